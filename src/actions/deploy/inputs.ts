/**
 * The root `deploy` action's inputs: the rollout's, the smoke test's, the audit record's and the Slack
 * message's, each read by that action's own reader through a view that renames the inputs. So every
 * rule (and every one-line error, named after the input the user typed) is the same as in the
 * single actions — and all of it runs before the cluster, Slack or GitHub is touched.
 */
import { ConfigurationError, InputReader, type Services } from '../../core/index.js';
import { STRATEGIES } from '../../kube/options.js';
import type { RolloutInputs } from '../../kube/options.js';
import type { SmokeInputs } from '../smoke-test/inputs.js';
import type { AuditRecordInputs } from '../audit-record/inputs.js';
import type { SlackNotifyInputs } from '../slack-notify/inputs.js';

export interface DeployInputs {
  environment: string;
  environmentUrl?: string;
  rollout: RolloutInputs;
  /** Live verification after the rollout; undefined = not verified (a warning says so). */
  smoke?: SmokeInputs;
  /** undefined for dry runs (nothing to record). */
  audit?: AuditRecordInputs;
  slack?: SlackNotifyInputs;
  reason?: string;
  /** The image recorded (the first digest-pinned one of `images`). */
  image?: string;
}

/** A reader that answers `name` from the deploy input `map[name]` (or a fixed value), naming errors after the deploy input. */
class RenamingReader extends InputReader {
  constructor(get: (name: string) => string, map: Record<string, string | { value: string }>, workspace: string, onSecret: (v: string) => void) {
    const source = (name: string): string => {
      const target = map[name];
      if (target === undefined) return '';
      return typeof target === 'string' ? get(target) : target.value;
    };
    super(source, workspace, onSecret);
    this.map = map;
  }
  private readonly map: Record<string, string | { value: string }>;
  /** The deploy input a sub-action input came from, for error messages. */
  deployName(name: string): string {
    const target = this.map[name];
    return typeof target === 'string' ? target : name;
  }
}

/** Runs a sub-reader, renaming the input in a ConfigurationError to the one the user typed. */
async function renamed<T>(reader: RenamingReader, read: (r: InputReader) => T | Promise<T>): Promise<T> {
  try {
    return await read(reader);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      const user = reader.deployName(error.input);
      throw new ConfigurationError(user, error.message.replace(/^Input '[^']*': /, ''));
    }
    throw error;
  }
}

export async function readDeployInputs(input: InputReader, services: Services): Promise<DeployInputs> {
  const raw = (name: string): string => input.string(name, { raw: true });
  const environment = input.string('environment', { required: true });
  const environmentUrl = input.optional('environment-url');
  if (environmentUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(environmentUrl)) throw new ConfigurationError('environment-url', `'${environmentUrl}' is not an http(s) URL`);
  const dryRun = input.boolean('dry-run', false);
  const reason = input.optional('reason');

  // Secrets first, so nothing below can print them.
  input.secret('slack-webhook-url');
  input.secret('slack-bot-token');
  input.secret('smoke-bearer-token');
  input.secret('github-token');

  // {{ url }} in the smoke checks is the environment's URL (in a checks file too: read it first).
  const checksText = input.textOrFile('smoke-checks')?.text ?? '';
  const smokeChecks = checksText.replace(/\{\{\s*url\s*\}\}/g, (environmentUrl ?? input.optional('smoke-url') ?? '').replace(/\/$/, ''));
  const smokeUrl = input.optional('smoke-url');
  // With checks, smoke-url is only the base of {{ url }}; alone, it is the one check.
  const smokeUrlCheck = smokeChecks.trim() === '' ? raw('smoke-url') : '';
  const get = (name: string): string => (name === 'smoke-checks' ? smokeChecks : name === 'smoke-url' ? smokeUrlCheck : raw(name));
  const view = (map: Record<string, string | { value: string }>): RenamingReader => new RenamingReader(get, map, services.workspace, services.addSecret);

  const rolling = input.enum('strategy', STRATEGIES, 'rolling') === 'rolling';
  const { readRolloutInputs } = await import('../rollout/inputs.js');
  const rollout = await renamed(
    view({
      manifests: 'manifests', images: 'images', namespace: 'namespace', strategy: 'strategy', 'canary-steps': 'canary-steps',
      'canary-pause': 'canary-pause', timeout: 'timeout', 'rollback-on-failure': 'rollback-on-failure', kubeconfig: 'kubeconfig',
      context: 'context', 'server-side': 'server-side', 'dry-run': 'dry-run',
      // The smoke checks verify blue-green and canary before traffic moves; a rolling deploy is verified live, below.
      ...(rolling ? {} : { url: 'smoke-url', checks: 'smoke-checks' }),
    }),
    (r) => readRolloutInputs(r, services),
  );

  let smoke: SmokeInputs | undefined;
  if (smokeUrl !== undefined || smokeChecks.trim() !== '') {
    const { readSmokeInputs } = await import('../smoke-test/inputs.js');
    smoke = await renamed(
      view({ url: 'smoke-url', checks: 'smoke-checks', deadline: 'smoke-deadline', timeout: 'smoke-timeout', samples: 'smoke-samples', 'bearer-token': 'smoke-bearer-token', 'insecure-tls': 'smoke-insecure-tls', 'retry-delay': { value: '1s' } }),
      (r) => readSmokeInputs(r),
    );
  }

  const image = rollout.images.map((i) => i.replace(/^[^=@/]+=/, '')).find((i) => /@sha256:[a-f0-9]{64}$/.test(i));

  let audit: AuditRecordInputs | undefined;
  if (!dryRun) {
    const { readAuditRecordInputs } = await import('../audit-record/inputs.js');
    audit = await renamed(
      view({
        environment: 'environment', 'environment-url': 'environment-url', 'github-token': 'github-token', store: 'audit-store', 'ledger-branch': 'ledger-branch',
        'fail-on-error': 'audit-fail-on-error', scan: 'scan', signature: 'signature', 'rollback-of': 'rollback-of',
        image: { value: image ?? '' }, status: { value: 'success' }, // the real status is known at the end
      }),
      (r) => readAuditRecordInputs(r, services),
    );
  }

  let slack: SlackNotifyInputs | undefined;
  if (input.has('slack-webhook-url') || input.has('slack-bot-token')) {
    const { readSlackNotifyInputs } = await import('../slack-notify/inputs.js');
    slack = await renamed(
      view({
        'webhook-url': 'slack-webhook-url', 'bot-token': 'slack-bot-token', channel: 'slack-channel', 'mention-on-failure': 'slack-mention-on-failure',
        environment: 'environment', 'environment-url': 'environment-url', status: { value: 'started' }, image: { value: image ?? rollout.images[0] ?? '' },
        'fail-on-error': { value: 'false' }, ...(reason ? { text: { value: `Reason: ${reason}` } } : {}),
      }),
      (r) => readSlackNotifyInputs(r, services),
    );
  }

  return {
    environment,
    ...(environmentUrl !== undefined ? { environmentUrl } : {}),
    rollout,
    ...(smoke ? { smoke } : {}),
    ...(audit ? { audit } : {}),
    ...(slack ? { slack } : {}),
    ...(reason ? { reason } : {}),
    ...(image ? { image } : {}),
  };
}
