/**
 * The one-step safe deploy, in process: Slack "started" → rollout (blue-green/canary verified by the
 * smoke checks before traffic moves) → live smoke test → automatic rollback when either fails →
 * audit record (always, even for a failed attempt) → Slack outcome (the same message, updated, with a
 * bot token). Each part is the library the single action runs; their outputs are captured and
 * combined, and a failed notification or record never hides the deployment's own outcome.
 */
import { ActionFailedError, errorMessage, formatDuration, type OutputValue, type Services } from '../core/index.js';
import type { DeployInputs } from '../actions/deploy/inputs.js';
import type { RolloutResult, VerifyContext, VerifyOutcome } from '../kube/options.js';
import type { Status } from '../slack/types.js';

/** Services whose outputs go to a map instead of the step (each part sets its own names). */
function capturing(services: Services): { services: Services; outputs: Map<string, OutputValue> } {
  const outputs = new Map<string, OutputValue>();
  return { services: { ...services, outputs: { set: (name, value) => void outputs.set(name, value) } }, outputs };
}

export interface DeployResult {
  result: RolloutResult['result'];
  rollout: RolloutResult;
  smokeResult: 'pass' | 'fail' | 'skipped';
  smoke?: Record<string, OutputValue>;
  message: string;
  record?: { path: string; sha256: string; deploymentId?: number };
  slackTs?: string;
}

export async function runDeploy(inputs: DeployInputs, services: Services): Promise<DeployResult> {
  const { log, clock } = services;
  const started = clock.now();
  const [{ runRollout }, { runSmokeTest }] = await Promise.all([import('../kube/run.js'), import('../smoke/run.js')]);

  // 1. Slack: started. Never fatal.
  let slackTarget: { ts: string; channel: string } | undefined;
  const notify = async (status: Status, text?: string): Promise<void> => {
    if (!inputs.slack) return;
    try {
      const { runSlackNotify } = await import('../slack/run.js');
      const part = capturing(services);
      const slack = { ...inputs.slack, status, ...(text ? { text: [inputs.slack.text, text].filter(Boolean).join('\n') } : {}), ...(slackTarget ? { updateTs: slackTarget.ts, channel: slackTarget.channel } : {}) };
      const result = await runSlackNotify(slack, part.services);
      if (result.ts && result.channel && !slackTarget) slackTarget = { ts: result.ts, channel: result.channel };
    } catch (error) {
      log.warning(`Slack ${status} notification not delivered: ${errorMessage(error)}`);
    }
  };
  if (!inputs.rollout.dryRun) await notify('started', inputs.reason);

  // 2. Rollout, verified before traffic moves (blue-green preview, canary steps).
  const verify = inputs.rollout.verify;
  const hooks = verify
    ? {
        verify: async (context: VerifyContext): Promise<VerifyOutcome> => {
          const part = capturing(services);
          try {
            await runSmokeTest(verify, part.services);
            return { passed: true };
          } catch (error) {
            return { passed: false, detail: `${context.phase} verification: ${errorMessage(error)}` };
          }
        },
      }
    : {};
  const rolloutPart = capturing(services);
  let rollout = await runRollout(inputs.rollout, rolloutPart.services, hooks);
  let message = rollout.message;

  // 3. Live smoke test, and the automatic rollback when it fails.
  let smokeResult: DeployResult['smokeResult'] = 'skipped';
  let smokeOutputs: Record<string, OutputValue> | undefined;
  if (rollout.result === 'succeeded' && !inputs.rollout.dryRun) {
    if (inputs.smoke) {
      const part = capturing(services);
      try {
        await runSmokeTest(inputs.smoke, part.services);
        smokeResult = 'pass';
      } catch (error) {
        if (!(error instanceof ActionFailedError)) throw error;
        smokeResult = 'fail';
        message = `smoke test failed after the rollout: ${error.message}`;
      }
      smokeOutputs = Object.fromEntries(part.outputs);
      if (smokeResult === 'fail') {
        if (inputs.rollout.rollbackOnFailure) {
          log.error(`${message} — rolling back`);
          const back = await runRollout({ ...inputs.rollout, action: 'rollback', images: [] }, capturing(services).services);
          // `action: rollback` reports the restore itself: succeeded (or rolled-back) means it is done.
          const restored = back.result !== 'failed';
          rollout = { ...rollout, result: restored ? 'rolled-back' : 'failed', rolledBack: restored, message: `${message}; ${back.message}` };
        } else rollout = { ...rollout, result: 'failed', message };
        message = rollout.message;
      }
    } else {
      log.warning('No smoke-url or smoke-checks: the rollout completed but the deployment is not verified by a smoke test.');
    }
  }

  // 4. The audit record: always, for every attempt that was not a dry run.
  let record: DeployResult['record'];
  if (inputs.audit) {
    const { runAuditRecord } = await import('../audit/run.js');
    const status = rollout.result === 'succeeded' ? 'success' : rollout.result === 'rolled-back' ? 'rolled-back' : 'failure';
    const audit = {
      ...inputs.audit,
      status,
      statusDerived: false,
      rollout: { result: rollout.result, revision: rollout.revision ?? null, 'previous-revision': rollout.previousRevision ?? null, 'rolled-back': rollout.rolledBack, message: rollout.message },
      smoke: smokeOutputs ? { result: smokeResult, passed: smokeOutputs['passed'] ?? null, failed: smokeOutputs['failed'] ?? null, 'p95-ms': smokeOutputs['p95-ms'] ?? null } : null,
    } as typeof inputs.audit;
    const part = capturing(services);
    try {
      const result = await runAuditRecord(audit, part.services);
      record = { path: result.path, sha256: result.sha256, ...(result.deploymentId !== undefined ? { deploymentId: result.deploymentId } : {}) };
    } catch (error) {
      const path = part.outputs.get('record');
      if (typeof path === 'string' && path) record = { path, sha256: String(part.outputs.get('record-sha256') ?? '') };
      // The deployment's own outcome comes first; an audit failure is reported with it.
      if (rollout.result === 'succeeded') {
        await notify('failure', `Deployed, but the audit record could not be stored: ${errorMessage(error)}`);
        setOutputs(services, rollout, smokeResult, smokeOutputs, record, slackTarget);
        throw error;
      }
      log.error(`audit record: ${errorMessage(error)}`);
    }
  }

  // 5. Slack: the outcome.
  if (!inputs.rollout.dryRun) {
    const status: Status = rollout.result === 'succeeded' ? 'success' : rollout.result === 'rolled-back' ? 'rolled-back' : 'failure';
    await notify(status, rollout.result === 'succeeded' ? undefined : message);
  }

  setOutputs(services, rollout, smokeResult, smokeOutputs, record, slackTarget);
  const took = formatDuration(clock.now() - started);
  services.summary.heading(`${rollout.result === 'succeeded' ? '✅' : rollout.result === 'rolled-back' ? '↩️' : '❌'} Deploy to ${inputs.environment}: ${rollout.result}`, 2);
  services.summary.table(
    ['Stage', 'Outcome'],
    [
      ['Rollout', `${rollout.result}${rollout.revision !== undefined ? ` (revision ${rollout.revision})` : ''}`],
      ['Smoke test', smokeResult],
      ['Audit record', record ? `${record.sha256.slice(0, 12)}…${record.deploymentId !== undefined ? ` · deployment ${record.deploymentId}` : ''}` : inputs.audit ? 'not stored' : 'dry run'],
      ['Slack', inputs.slack ? (slackTarget ? `message ${slackTarget.ts}` : 'sent (webhook) or not delivered: see log') : 'not configured'],
      ['Took', took],
    ],
  );
  const result: DeployResult = { result: rollout.result, rollout, smokeResult, ...(smokeOutputs ? { smoke: smokeOutputs } : {}), message, ...(record ? { record } : {}), ...(slackTarget ? { slackTs: slackTarget.ts } : {}) };
  if (rollout.result !== 'succeeded') throw new ActionFailedError(`Deploy to ${inputs.environment} ${rollout.result}: ${message}`);
  log.info(`Deployed to ${inputs.environment} in ${took}${smokeResult === 'pass' ? ', verified by the smoke test' : ''}.`);
  return result;
}

function setOutputs(
  services: Services,
  rollout: RolloutResult,
  smokeResult: DeployResult['smokeResult'],
  smoke: Record<string, OutputValue> | undefined,
  record: DeployResult['record'],
  slack: { ts: string } | undefined,
): void {
  const { outputs } = services;
  outputs.set('result', rollout.result);
  outputs.set('revision', rollout.revision ?? '');
  outputs.set('previous-revision', rollout.previousRevision ?? '');
  outputs.set('rolled-back', rollout.rolledBack);
  outputs.set('workloads', rollout.workloads.map((w) => ({ kind: w.kind, name: w.name, namespace: w.namespace, images: w.images, revision: w.revision ?? null })));
  outputs.set('smoke-result', smokeResult);
  outputs.set('p95-ms', smoke?.['p95-ms'] ?? '');
  outputs.set('record', record?.path ?? '');
  outputs.set('record-sha256', record?.sha256 ?? '');
  outputs.set('deployment-id', record?.deploymentId ?? '');
  outputs.set('slack-ts', slack?.ts ?? '');
}
