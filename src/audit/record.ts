/**
 * The audit record, version 1: who deployed what, where, approved by whom, verified how. Published
 * as a JSON Schema in `schema/audit-record.v1.json`; every field is always present (null when
 * unknown) so consumers never guess. Its identity is the sha256 of its canonical JSON (RFC 8785).
 */
export const RECORD_SCHEMA = 'shipline.audit-record.v1';

export type RecordStatus = 'success' | 'failure' | 'cancelled' | 'rolled-back' | 'error';
export const RECORD_STATUSES: readonly RecordStatus[] = ['success', 'failure', 'cancelled', 'rolled-back', 'error'];

export interface ImageRef {
  /** `name[:tag]@sha256:…` as given. */
  reference: string;
  /** Repository, e.g. `ghcr.io/acme/api`. */
  name: string;
  tag: string | null;
  /** `sha256:<64 hex>` (or another algorithm the OCI spec allows). */
  digest: string;
}

export interface Approval {
  user: string;
  state: 'approved' | 'rejected' | 'pending';
  comment: string;
  environments: string[];
}

/** A result another action produced (its outputs as JSON), with the verdict normalised. */
export type ResultObject = Record<string, unknown>;

export interface RunInfo {
  id: number | null;
  attempt: number;
  number: number | null;
  workflow: string | null;
  job: string | null;
  event: string | null;
  url: string | null;
}

export interface AuditRecord {
  schema: typeof RECORD_SCHEMA;
  /** Unique per record (random), so a retried append can tell its own line. */
  id: string;
  repository: string | null;
  environment: string;
  status: RecordStatus;
  /** A rollout or smoke result is present, and every one present passed. */
  verified: boolean;
  commit: string | null;
  ref: string | null;
  image: ImageRef | null;
  /** GITHUB_ACTOR: who started the run. */
  deployer: string | null;
  /** GITHUB_TRIGGERING_ACTOR: who started this attempt (a re-run may differ). */
  triggeringActor: string | null;
  /** Reviews of this environment in the run; null when they could not be read. */
  approvals: Approval[] | null;
  run: RunInfo;
  /** When the run attempt started (GitHub's run_started_at); null when unknown. */
  startedAt: string | null;
  finishedAt: string;
  scan: ResultObject | null;
  signature: ResultObject | null;
  rollout: ResultObject | null;
  smoke: ResultObject | null;
  /** What this deployment rolls back (a record sha256, a digest or a deployment id). */
  rollbackOf: string | null;
  /** sha256 of the previous line of the environment's ledger; null for the first or unchained. */
  previousSha256: string | null;
}

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/i;

/**
 * Parses `name[:tag]@digest`. Returns a message when the text is not an image reference pinned by
 * digest (a tag alone can move, so it proves nothing about what ran).
 */
export function parseImageRef(text: string): ImageRef | string {
  const reference = text.trim();
  const at = reference.lastIndexOf('@');
  if (at < 0) return `'${reference}' has no digest: give name@sha256:<64 hex> (a tag can be moved; a digest cannot)`;
  const digest = reference.slice(at + 1);
  let name = reference.slice(0, at);
  if (!DIGEST.test(digest) || (digest.startsWith('sha256:') && !SHA256_DIGEST.test(digest))) return `'${digest}' is not a digest such as sha256:<64 lowercase hex>`;
  let tag: string | null = null;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) return `'${tag}' is not a valid tag`;
  }
  if (!name || !NAME.test(name)) return `'${name}' is not an image repository such as ghcr.io/acme/api`;
  return { reference, name, tag, digest };
}

export type Verdict = 'pass' | 'fail' | 'unknown';

/** smoke-test `result`: pass | fail. */
export function smokeVerdict(smoke: ResultObject | null): Verdict {
  const result = typeof smoke?.['result'] === 'string' ? smoke['result'].toLowerCase() : undefined;
  if (result === 'pass' || result === 'passed' || result === 'success') return 'pass';
  if (result === 'fail' || result === 'failed' || result === 'failure' || result === 'error') return 'fail';
  return 'unknown';
}

/** rollout `result`: succeeded | rolled-back | failed. */
export function rolloutVerdict(rollout: ResultObject | null): Verdict | 'rolled-back' {
  const result = typeof rollout?.['result'] === 'string' ? rollout['result'].toLowerCase() : undefined;
  if (result === 'succeeded' || result === 'success') return 'pass';
  if (result === 'rolled-back') return 'rolled-back';
  if (result === 'failed' || result === 'failure' || result === 'error') return 'fail';
  return 'unknown';
}

/** Verified = at least one of rollout/smoke passed, and none failed. */
export function isVerified(record: Pick<AuditRecord, 'rollout' | 'smoke'>): boolean {
  const verdicts = [rolloutVerdict(record.rollout), smokeVerdict(record.smoke)];
  return verdicts.includes('pass') && !verdicts.some((v) => v === 'fail' || v === 'rolled-back');
}

/** The status the results imply, when the caller gave none. */
export function deriveStatus(rollout: ResultObject | null, smoke: ResultObject | null): RecordStatus | undefined {
  const r = rolloutVerdict(rollout);
  const s = smokeVerdict(smoke);
  if (r === 'rolled-back') return 'rolled-back';
  if (r === 'fail' || s === 'fail') return 'failure';
  if (r === 'pass' || s === 'pass') return 'success';
  return undefined;
}

/** A record that can be used to roll back to: succeeded, verified, pinned by digest. */
export function isGood(record: AuditRecord): boolean {
  return record.status === 'success' && isVerified(record) && record.image !== null;
}

/**
 * The ledger file of an environment. GitHub environment names are case-insensitive, so the name is
 * lower-cased; characters unsafe in a path become `-`.
 */
export function ledgerFileName(environment: string): string {
  const base = environment
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '');
  return `${base || 'environment'}.jsonl`;
}

/** Same environment, as GitHub compares them (case-insensitively). */
export function sameEnvironment(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
