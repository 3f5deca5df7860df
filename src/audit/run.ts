/**
 * audit-record: gather the facts (context, reviews, run start), build the record, append it to the
 * ledger (chaining it), create the deployment (its payload the chained record), and always write the
 * record file — also when a remote store failed, which then fails the step unless fail-on-error is
 * false.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ActionFailedError, errorMessage, type Services } from '../core/index.js';
import type { AuditRecordInputs, Store } from '../actions/audit-record/inputs.js';
import { createGitHubClient, withPermissionHint, type GitHubClient } from '../github/client.js';
import { readRunContext, type RunContext } from '../github/context.js';
import { getRun, listRunReviews } from '../github/runs.js';
import { canonicalJson, recordSha256 } from './canonical.js';
import { recordDeployment } from './deployment-store.js';
import { appendToLedger } from './ledger-store.js';
import { isVerified, ledgerFileName, RECORD_SCHEMA, rolloutVerdict, sameEnvironment, smokeVerdict, type Approval, type AuditRecord } from './record.js';

export interface AuditFacts {
  id: string;
  approvals: Approval[] | null;
  startedAt: string | null;
  finishedAt: string;
}

export function buildRecord(inputs: AuditRecordInputs, context: RunContext, facts: AuditFacts): AuditRecord {
  const partial = { rollout: inputs.rollout, smoke: inputs.smoke };
  return {
    schema: RECORD_SCHEMA,
    id: facts.id,
    repository: context.repository ?? null,
    environment: inputs.environment,
    status: inputs.status,
    verified: isVerified(partial),
    commit: inputs.commit,
    ref: context.ref ?? null,
    image: inputs.image,
    deployer: context.actor ?? null,
    triggeringActor: context.triggeringActor ?? context.actor ?? null,
    approvals: facts.approvals,
    run: {
      id: context.runId ?? null,
      attempt: context.runAttempt,
      number: context.runNumber ?? null,
      workflow: context.workflow ?? null,
      job: context.job ?? null,
      event: context.eventName ?? null,
      url: context.runUrl ?? null,
    },
    startedAt: facts.startedAt,
    finishedAt: facts.finishedAt,
    scan: inputs.scan,
    signature: inputs.signature,
    rollout: inputs.rollout,
    smoke: inputs.smoke,
    rollbackOf: inputs.rollbackOf,
    previousSha256: null,
  };
}

/** Where the record file goes: `$RUNNER_TEMP/shipline-audit/<env>-<run>-<attempt>-<id>.json`. */
export function recordFilePath(tempDir: string, record: AuditRecord): string {
  const env = ledgerFileName(record.environment).replace(/\.jsonl$/, '');
  return join(tempDir, 'shipline-audit', `${env}-${record.run.id ?? 'local'}-${record.run.attempt}-${record.id.slice(0, 8)}.json`);
}

/** Writes the canonical bytes, so `sha256sum` of the file is the record-sha256 output. */
export function writeRecordFile(path: string, record: AuditRecord): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, canonicalJson(record), { encoding: 'utf8', mode: 0o644 });
}

interface StoreOutcome {
  store: Store;
  ok: boolean;
  detail: string;
}

/** Facts only the API knows, best effort: a missing permission is a warning, not a lost record. */
async function gatherFacts(client: GitHubClient | undefined, context: RunContext, inputs: AuditRecordInputs, services: Services): Promise<{ approvals: Approval[] | null; startedAt: string | null; notes: string[] }> {
  const notes: string[] = [];
  if (!client || !context.owner || !context.repo || context.runId === undefined) {
    notes.push(client ? 'approvals not read: no workflow run (GITHUB_RUN_ID/GITHUB_REPOSITORY unset)' : 'approvals not read: no github-token');
    return { approvals: null, startedAt: null, notes };
  }
  const at = { owner: context.owner, repo: context.repo, runId: context.runId };
  const [reviews, run] = await Promise.allSettled([listRunReviews(client, at), getRun(client, at)]);
  let approvals: Approval[] | null = null;
  if (reviews.status === 'fulfilled') {
    approvals = reviews.value.filter((r) => r.environments.some((e) => sameEnvironment(e, inputs.environment)));
  } else {
    const message = errorMessage(withPermissionHint(reviews.reason, 'actions: read'));
    services.log.warning(`Could not read the run's environment approvals, recording approvals as unknown: ${message}`);
    notes.push(`approvals unknown: ${message}`);
  }
  let startedAt: string | null = null;
  if (run.status === 'fulfilled') startedAt = run.value.runStartedAt ?? null;
  else services.log.info(`Could not read when the run started (recording startedAt as null): ${errorMessage(withPermissionHint(run.reason, 'actions: read'))}`);
  return { approvals, startedAt, notes };
}

export interface AuditRecordResult {
  record: AuditRecord;
  sha256: string;
  path: string;
  deploymentId?: number;
  outcomes: StoreOutcome[];
}

export async function runAuditRecord(inputs: AuditRecordInputs, services: Services): Promise<AuditRecordResult> {
  const { log, clock } = services;
  const context = readRunContext(services.env);
  const remote = inputs.stores.filter((s) => s !== 'file');
  const client = inputs.githubToken
    ? await createGitHubClient({ token: inputs.githubToken, apiUrl: context.apiUrl, clock, log })
    : undefined;

  const facts = await log.group('Gathering the facts', async () => {
    const gathered = await gatherFacts(client, context, inputs, services);
    return { id: randomUUID(), ...gathered, finishedAt: new Date(clock.now()).toISOString() };
  });
  let record = buildRecord(inputs, context, facts);
  if (inputs.statusDerived) log.info(`status not given: ${record.status}, from the rollout/smoke results`);
  const contradiction = record.status === 'success' && (['fail', 'rolled-back'].includes(rolloutVerdict(record.rollout)) || smokeVerdict(record.smoke) === 'fail');
  if (contradiction) log.warning(`status is success but the rollout/smoke results say otherwise: recorded as given, and not counted as a verified deployment`);
  else if (record.status === 'success' && !record.verified) {
    log.notice(`No rollout or smoke result was given: this record is not a verified deployment, and \`shipline audit last-good\` will not offer it for rollback.`);
  }

  const outcomes: StoreOutcome[] = [];
  const failures: string[] = [];
  let deploymentId: number | undefined;
  let path: string;
  try {
    const owner = context.owner as string;
    const repo = context.repo as string;
    for (const store of remote) {
      if (!client) break;
      try {
        if (store === 'ledger-branch') {
          const appended = await log.group(`Appending to the ledger ${inputs.ledgerBranch}:${ledgerFileName(record.environment)}`, () =>
            appendToLedger(client, { owner, repo, branch: inputs.ledgerBranch }, record, { clock, log }),
          );
          record = appended.record;
          outcomes.push({
            store,
            ok: true,
            detail: `line ${appended.lineNumber} of \`${inputs.ledgerBranch}:${appended.path}\`${appended.attempts > 1 ? ` after ${appended.attempts} attempts` : ''}${appended.branchCreated ? ' (branch created)' : ''}`,
          });
        } else {
          const sha256 = recordSha256(record);
          const deployment = await log.group(`Creating a deployment to ${record.environment}`, () =>
            recordDeployment(client, { owner, repo }, record, sha256, { ...(inputs.environmentUrl ? { environmentUrl: inputs.environmentUrl } : {}), log }),
          );
          deploymentId = deployment.id;
          outcomes.push({ store, ok: true, detail: `deployment ${deployment.id}${deployment.retired.length ? `, retired ${deployment.retired.join(', ')}` : ''}` });
        }
      } catch (error) {
        const message = errorMessage(error);
        outcomes.push({ store, ok: false, detail: message });
        failures.push(`${store}: ${message}`);
        log.error(`${store} store failed: ${message}`);
      }
    }
  } finally {
    path = recordFilePath(services.tempDir, record);
    writeRecordFile(path, record);
  }
  const sha256 = recordSha256(record);
  outcomes.push({ store: 'file', ok: true, detail: `\`${path}\`` });
  log.info(`Record ${sha256} written to ${path}`);

  services.outputs.set('record', path);
  services.outputs.set('record-sha256', sha256);
  services.outputs.set('previous-sha256', record.previousSha256 ?? '');
  services.outputs.set('deployment-id', deploymentId ?? '');
  writeSummary(services, record, sha256, outcomes, facts.notes);

  if (failures.length) {
    const message = `The record was written to ${path}, but ${failures.length === 1 ? 'a remote store' : `${failures.length} remote stores`} failed — ${failures.join('; ')}`;
    if (inputs.failOnError) throw new ActionFailedError(message);
    log.warning(`${message} (fail-on-error is false)`);
  }
  return { record, sha256, path, ...(deploymentId !== undefined ? { deploymentId } : {}), outcomes };
}

function describeResult(value: Record<string, unknown> | null): string {
  if (!value) return '';
  const result = value['result'];
  const extras = ['blocking', 'critical', 'high', 'passed', 'failed', 'p95-ms', 'revision', 'digest', 'signature-digest']
    .filter((k) => value[k] !== undefined && value[k] !== '' && (typeof value[k] !== 'object' || value[k] === null))
    .map((k) => `${k} ${String(value[k])}`);
  return [typeof result === 'string' ? `**${result}**` : '', ...extras].filter(Boolean).join(', ');
}

function writeSummary(services: Services, record: AuditRecord, sha256: string, outcomes: StoreOutcome[], notes: string[]): void {
  const icon = record.status === 'success' ? '✅' : record.status === 'cancelled' ? '⚪' : record.status === 'rolled-back' ? '↩️' : '❌';
  const approvals =
    record.approvals === null ? 'unknown' : record.approvals.length === 0 ? 'none required' : record.approvals.map((a) => `${a.user} (${a.state}${a.comment ? `: “${a.comment}”` : ''})`).join(', ');
  const rows: [string, string | null][] = [
    ['Environment', record.environment],
    ['Status', `${record.status}${record.verified ? ' (verified)' : ' (not verified)'}`],
    ['Image', record.image?.reference ?? null],
    ['Commit', record.commit],
    ['Ref', record.ref],
    ['Deployer', record.deployer],
    ['Triggering actor', record.triggeringActor],
    ['Approvals', approvals],
    ['Run', record.run.url],
    ['Started', record.startedAt],
    ['Finished', record.finishedAt],
    ['Scan', describeResult(record.scan)],
    ['Signature', describeResult(record.signature)],
    ['Rollout', describeResult(record.rollout)],
    ['Smoke test', describeResult(record.smoke)],
    ['Rollback of', record.rollbackOf],
    ['Record sha256', sha256],
    ['Previous sha256', record.previousSha256],
  ];
  services.summary
    .heading(`${icon} Audit record: ${record.status} — ${record.environment}`, 3)
    .table(
      ['Field', 'Value'],
      rows.filter(([, v]) => v !== null && v !== '').map(([k, v]) => [k, v]),
    )
    .table(
      ['Store', 'Result', 'Detail'],
      outcomes.map((o) => [o.store, o.ok ? '✅ stored' : '❌ failed', o.detail]),
    );
  if (notes.length) services.summary.list(notes);
}
