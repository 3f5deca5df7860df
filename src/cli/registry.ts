/**
 * The actions the CLI can run, loaded lazily so `shipline smoke-test` never loads the other actions.
 * Each action's `action.yml` is read at run time (it sits two folders up from both src/cli and
 * dist/cli), so the CLI knows the same inputs and defaults the runner does.
 */
import type { ActionDefinition } from '../core/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- definitions differ in their Inputs type
export type AnyDefinition = ActionDefinition<any>;

export const actions: Record<string, () => Promise<AnyDefinition>> = {
  'smoke-test': async () => (await import('../actions/smoke-test/action.js')).smokeTest,
  deploy: async () => (await import('../actions/deploy/action.js')).deploy,
  'trivy-gate': async () => (await import('../actions/trivy-gate/action.js')).trivyGate,
  rollout: async () => (await import('../actions/rollout/action.js')).rollout,
  'build-and-sign': async () => (await import('../actions/build-and-sign/action.js')).buildAndSign,
  'audit-record': async () => (await import('../actions/audit-record/action.js')).auditRecord,
  'slack-notify': async () => (await import('../actions/slack-notify/action.js')).slackNotify,
};

export function actionYamlUrl(name: string): URL {
  return new URL(name === 'deploy' ? '../../action.yml' : `../../actions/${name}/action.yml`, import.meta.url);
}
