/**
 * audit-record inputs, read once into a typed object. Nothing here touches the network or the disk:
 * every mistake is one line naming the input, before anything is recorded.
 */
import { ConfigurationError, type InputReader, type Services } from '../../core/index.js';
import { deriveStatus, parseImageRef, RECORD_STATUSES, type ImageRef, type RecordStatus, type ResultObject } from '../../audit/record.js';
import { parseResult } from '../../audit/results.js';

export const STORES = ['github-deployment', 'ledger-branch', 'file'] as const;
export type Store = (typeof STORES)[number];
const STORE_ORDER: readonly Store[] = ['ledger-branch', 'github-deployment', 'file'];

export interface AuditRecordInputs {
  environment: string;
  status: RecordStatus;
  /** Whether `status` was given or derived from the rollout/smoke results. */
  statusDerived: boolean;
  image: ImageRef | null;
  commit: string | null;
  scan: ResultObject | null;
  signature: ResultObject | null;
  rollout: ResultObject | null;
  smoke: ResultObject | null;
  rollbackOf: string | null;
  githubToken?: string;
  /** Remote stores, in the order they run; the record file is always written. */
  stores: Store[];
  ledgerBranch: string;
  failOnError: boolean;
  environmentUrl?: string;
}

const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** git check-ref-format, for a branch name. */
const hasControl = (text: string): boolean => [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

export function branchProblem(name: string): string | undefined {
  if (name.length > 200) return 'is too long';
  if (/[\s~^:?*[\\]/.test(name) || hasControl(name)) return 'contains a character git does not allow in a branch name (space ~ ^ : ? * [ \\)';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'has an empty path component';
  if (name.includes('..') || name.includes('@{') || name === '@') return "contains '..' or '@{'";
  if (name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) return "has a component starting with '.' or ending with '.lock'";
  if (name.endsWith('.') || name.startsWith('-')) return "starts with '-' or ends with '.'";
  return undefined;
}

function readResult(input: InputReader, name: string): ResultObject | null {
  const parsed = parseResult(input.string(name, { raw: true }));
  if (typeof parsed === 'string') throw new ConfigurationError(name, parsed);
  return parsed;
}

export function readAuditRecordInputs(input: InputReader, services: Pick<Services, 'env'>): AuditRecordInputs {
  const env = services.env;
  // Masked first, before anything could print it.
  const githubToken = input.secret('github-token');
  const environment = input.string('environment', { required: true });
  if (environment.length > 255) throw new ConfigurationError('environment', 'is longer than 255 characters (GitHub’s limit)');
  if (hasControl(environment) || /^\.+$/.test(environment)) throw new ConfigurationError('environment', `'${environment}' is not an environment name`);

  const imageText = input.optional('image');
  let image: ImageRef | null = null;
  if (imageText) {
    const parsed = parseImageRef(imageText);
    if (typeof parsed === 'string') throw new ConfigurationError('image', parsed);
    image = parsed;
  }

  const commitInput = input.optional('commit');
  const commitText = (commitInput ?? env['GITHUB_SHA'] ?? '').trim().toLowerCase();
  if (commitText && !COMMIT.test(commitText)) {
    throw new ConfigurationError('commit', `'${commitText}' is not a full commit SHA (40 hex characters)${commitInput ? '' : ' (from GITHUB_SHA)'}`);
  }

  const scan = readResult(input, 'scan');
  const signature = readResult(input, 'signature');
  const rollout = readResult(input, 'rollout');
  const smoke = readResult(input, 'smoke');

  const statusText = input.optional('status');
  let status: RecordStatus | undefined;
  if (statusText) {
    const wanted = statusText.toLowerCase().replace(/_/g, '-');
    status = RECORD_STATUSES.find((s) => s === wanted);
    if (!status) throw new ConfigurationError('status', `expected one of ${RECORD_STATUSES.join(', ')} (e.g. \${{ job.status }}), got '${statusText}'`);
  }
  const derived = status ? undefined : deriveStatus(rollout, smoke);
  if (!status && !derived) {
    throw new ConfigurationError('status', 'was not given and there is no rollout or smoke result to derive it from: pass `status: ${{ job.status }}`, or the `rollout`/`smoke` outputs');
  }

  const rollbackOf = input.optional('rollback-of') ?? null;
  if (rollbackOf && (rollbackOf.length > 200 || /[\r\n]/.test(rollbackOf))) throw new ConfigurationError('rollback-of', 'expected one record sha256, image digest or deployment id');

  const requested = input.list('store').map((s) => s.toLowerCase());
  if (requested.length === 0) throw new ConfigurationError('store', `give one or more of ${STORES.join(', ')}`);
  const stores: Store[] = [];
  for (const name of requested) {
    const store = STORES.find((s) => s === name);
    if (!store) throw new ConfigurationError('store', `unknown store '${name}' (expected ${STORES.join(', ')})`);
    if (!stores.includes(store)) stores.push(store);
  }
  // The ledger first: the deployment's payload then carries the chained record.
  stores.sort((a, b) => STORE_ORDER.indexOf(a) - STORE_ORDER.indexOf(b));
  const remote = stores.filter((s) => s !== 'file');

  const ledgerBranch = input.string('ledger-branch', { default: 'shipline-audit' }).replace(/^refs\/heads\//, '');
  const problem = branchProblem(ledgerBranch);
  if (problem) throw new ConfigurationError('ledger-branch', `'${ledgerBranch}' ${problem}`);

  const failOnError = input.boolean('fail-on-error', true);
  if (remote.length && !githubToken) {
    throw new ConfigurationError('github-token', `is required for store ${remote.join(', ')} (pass \${{ github.token }} with permissions ${remote.map((s) => (s === 'ledger-branch' ? 'contents: write' : 'deployments: write')).join(', ')})`);
  }
  if (remote.length && !/^[^/\s]+\/[^/\s]+$/.test(env['GITHUB_REPOSITORY'] ?? '')) {
    throw new ConfigurationError('store', `${remote.join(', ')} needs the repository: GITHUB_REPOSITORY (owner/name) is not set`);
  }
  if (stores.includes('github-deployment') && !commitText) {
    throw new ConfigurationError('commit', 'is required for store github-deployment (a deployment names the commit it deployed) and GITHUB_SHA is not set');
  }

  const environmentUrl = input.optional('environment-url');
  if (environmentUrl) {
    let url: URL | undefined;
    try {
      url = new URL(environmentUrl);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol)) throw new ConfigurationError('environment-url', `'${environmentUrl}' is not an http(s) URL`);
  }

  return {
    environment,
    status: (status ?? derived) as RecordStatus,
    statusDerived: !status,
    image,
    commit: commitText || null,
    scan,
    signature,
    rollout,
    smoke,
    rollbackOf,
    ...(githubToken ? { githubToken } : {}),
    stores,
    ledgerBranch,
    failOnError,
    ...(environmentUrl ? { environmentUrl } : {}),
  };
}
