/**
 * The `ledger-branch` store: appends the record to `<environment>.jsonl` on the audit branch through
 * the contents API. Read, link to the last line, write naming the blob sha that was read: when
 * another run wrote first GitHub answers 409 (stale sha) or 422 (sha missing for a file that now
 * exists), and the append starts over from a fresh read. After an error whose outcome is unknown
 * (a 5xx, a timeout) the fresh read first looks for this record's id, so a write that landed is
 * never appended twice. Concurrent runs therefore neither lose nor fork a record.
 */
import { backoffDelay, type Clock, type Logger } from '../core/index.js';
import { GitHubApiError, withPermissionHint, type GitHubClient } from '../github/client.js';
import { ensureOrphanBranch, getFile, putFile, type RepoRef } from '../github/files.js';
import { appendRecord, findRecord, verifyLedger } from './ledger.js';
import { ledgerFileName, type AuditRecord } from './record.js';

export const DEFAULT_LEDGER_BRANCH = 'shipline-audit';

export interface LedgerTarget extends RepoRef {
  branch: string;
}

export interface LedgerAppendOptions {
  clock: Pick<Clock, 'sleep'>;
  log: Pick<Logger, 'info' | 'warning'>;
  /** Read-link-write rounds before giving up. */
  maxAttempts?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

export interface LedgerAppendResult {
  record: AuditRecord;
  sha256: string;
  previousSha256: string | null;
  path: string;
  lineNumber: number;
  attempts: number;
  branchCreated: boolean;
  commitSha?: string;
}

export const LEDGER_README = `# shipline audit ledger

One file per deployment environment, \`<environment>.jsonl\`: one deployment record per line, in
RFC 8785 canonical JSON (schema \`shipline.audit-record.v1\`). Each record's \`previousSha256\` is the
sha256 of the line before it (null on the first line), so changing, removing or reordering a line
breaks the chain.

Written only by the shipline \`audit-record\` action. Check it with:

    shipline audit verify --environment <environment>
    shipline audit last-good --environment <environment>

Do not edit these files by hand: a hand edit is indistinguishable from tampering.
`;

function isConflict(error: unknown): boolean {
  if (!(error instanceof GitHubApiError)) return false;
  return error.status === 409 || (error.status === 422 && /\bsha\b/i.test(error.apiMessage));
}

export function commitMessage(record: AuditRecord): string {
  const what = record.image ? `${record.image.name}@${record.image.digest.slice(0, 19)}` : (record.commit?.slice(0, 12) ?? 'no image');
  const run = record.run.id ? ` (run ${record.run.id}/${record.run.attempt})` : '';
  return `audit(${record.environment}): ${record.status} ${what}${run} [skip ci]`;
}

export async function appendToLedger(client: GitHubClient, target: LedgerTarget, record: AuditRecord, options: LedgerAppendOptions): Promise<LedgerAppendResult> {
  const path = ledgerFileName(record.environment);
  const maxAttempts = options.maxAttempts ?? 10;
  const where = `${target.owner}/${target.repo}@${target.branch}:${path}`;
  let branchCreated: boolean;
  try {
    branchCreated = await ensureOrphanBranch(client, { ...target, message: 'shipline audit ledger [skip ci]', files: { 'README.md': LEDGER_README } });
    if (branchCreated) options.log.info(`Created the audit branch ${target.branch} (an orphan branch: it holds only the ledgers)`);
  } catch (error) {
    throw withPermissionHint(error, 'contents: write');
  }

  let warnedBroken = false;
  for (let attempt = 1; ; attempt++) {
    let current;
    try {
      current = await getFile(client, { ...target, path, ref: target.branch });
    } catch (error) {
      throw withPermissionHint(error, 'contents: write');
    }
    const text = current?.text ?? '';
    const landed = findRecord(text, record.id);
    if (landed) {
      options.log.info(`The record is already at line ${landed.lineNumber} of ${where} (an earlier attempt's write landed)`);
      return { record: landed.record, sha256: landed.sha256, previousSha256: landed.record.previousSha256, path, lineNumber: landed.lineNumber, attempts: attempt, branchCreated };
    }
    if (!warnedBroken) {
      const check = verifyLedger(text, { fileName: path });
      if (!check.ok && check.broken) {
        options.log.warning(`The ledger ${where} is already broken — ${check.broken.reason}. Appending anyway; run \`shipline audit verify\` and investigate.`);
      }
      warnedBroken = true;
    }
    const appended = appendRecord(text, record);
    try {
      const written = await putFile(client, { ...target, path, branch: target.branch, text: appended.text, message: commitMessage(appended.record), ...(current ? { sha: current.sha } : {}) });
      return {
        record: appended.record,
        sha256: appended.sha256,
        previousSha256: appended.previousSha256,
        path,
        lineNumber: appended.lineNumber,
        attempts: attempt,
        branchCreated,
        ...(written.commitSha ? { commitSha: written.commitSha } : {}),
      };
    } catch (error) {
      const branchGone = error instanceof GitHubApiError && error.status === 404;
      const retryable = isConflict(error) || (error instanceof GitHubApiError && error.transient) || branchGone;
      if (!retryable || attempt >= maxAttempts) {
        const hinted = withPermissionHint(error, 'contents: write');
        if (retryable && hinted instanceof Error) throw new Error(`could not append to ${where} after ${attempt} attempts: ${hinted.message}`, { cause: error });
        throw hinted;
      }
      if (branchGone) await ensureOrphanBranch(client, { ...target, message: 'shipline audit ledger [skip ci]', files: { 'README.md': LEDGER_README } });
      const delay = backoffDelay(attempt, { minDelayMs: options.minDelayMs ?? 300, maxDelayMs: options.maxDelayMs ?? 5000, jitter: 0.5, ...(options.random ? { random: options.random } : {}) });
      const why = isConflict(error) ? 'another run appended first' : (error as Error).message;
      options.log.info(`Ledger append ${attempt}/${maxAttempts}: ${why}; reading it again in ${(delay / 1000).toFixed(1)} s`);
      await options.clock.sleep(delay);
    }
  }
}
