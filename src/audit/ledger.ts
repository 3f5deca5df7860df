/**
 * The ledger: one environment's records, one canonical-JSON line each, every line carrying the
 * sha256 of the line before it (`previousSha256`; null on the first). Changing, removing, inserting
 * or reordering any line breaks a link; `verifyLedger` reports the first broken one and says which
 * of those it looks like. The newest line has no successor to vouch for it: pin it from outside with
 * `expect` (a record-sha256 output, a deployment payload).
 */
import { canonicalJson, sha256Hex } from './canonical.js';
import { ledgerFileName, type AuditRecord } from './record.js';
import { parseRecord } from './schema.js';

export interface LedgerEntry {
  /** 1-based line number. */
  line: number;
  text: string;
  sha256: string;
  record: AuditRecord;
}

export interface LedgerBreak {
  line: number;
  reason: string;
}

export interface LedgerCheck {
  ok: boolean;
  /** Every line that parsed as a record, in file order (also past a break, for listing). */
  entries: LedgerEntry[];
  /** The first problem, when there is one. */
  broken?: LedgerBreak;
  /** sha256 of the last line; null for an empty ledger. */
  headSha256: string | null;
  lines: number;
}

export interface VerifyOptions {
  /** The file's name (`production.jsonl`): every record must belong to it. */
  fileName?: string;
  /** Record sha256s known from elsewhere that must be in the chain. */
  expect?: readonly string[];
}

const short = (sha: string | null): string => (sha ? sha.slice(0, 12) : 'null');

/** The ledger's lines: a final newline ends the last line, it does not start an empty one. */
export function ledgerLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

export function verifyLedger(text: string, options: VerifyOptions = {}): LedgerCheck {
  const lines = ledgerLines(text);
  const hashes = lines.map((line) => sha256Hex(line));
  const lineOf = new Map<string, number>();
  hashes.forEach((hash, i) => {
    if (!lineOf.has(hash)) lineOf.set(hash, i + 1);
  });
  const entries: LedgerEntry[] = [];
  const ids = new Map<string, number>();
  let broken: LedgerBreak | undefined;
  const breakAt = (line: number, reason: string): void => {
    broken ??= { line, reason };
  };

  lines.forEach((text, index) => {
    const n = index + 1;
    const sha256 = hashes[index] as string;
    if (text.trim() === '') return breakAt(n, `line ${n} is empty`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return breakAt(n, `line ${n} is not JSON`);
    }
    const record = parseRecord(value);
    if (typeof record === 'string') return breakAt(n, `line ${n} is not an audit record (${record})`);
    entries.push({ line: n, text, sha256, record });
    if (canonicalJson(value) !== text) breakAt(n, `line ${n} is not in canonical JSON form: it was edited after it was written`);
    if (options.fileName && ledgerFileName(record.environment) !== options.fileName) {
      breakAt(n, `line ${n} is a record for environment '${record.environment}', not for this ledger (${options.fileName})`);
    }
    const seen = ids.get(record.id);
    if (seen !== undefined) breakAt(n, `line ${n} repeats the record of line ${seen} (id ${record.id})`);
    else ids.set(record.id, n);

    const expected = index === 0 ? null : (hashes[index - 1] as string);
    const named = record.previousSha256;
    if (named === expected) return;
    if (index === 0) {
      const at = named ? lineOf.get(named) : undefined;
      return breakAt(n, at ? `line 1 names line ${at} as its predecessor: lines were reordered` : `line 1 names a predecessor (sha256 ${short(named)}…) that is not in the ledger: earlier lines were removed`);
    }
    if (named === null) return breakAt(n, `line ${n} claims to be the first record (previousSha256 null) but follows line ${n - 1}: lines were inserted or reordered`);
    const at = lineOf.get(named);
    if (at === undefined) {
      return breakAt(n, `line ${n} does not link to line ${n - 1}: it names sha256 ${short(named)}…, line ${n - 1} hashes to ${short(expected)}… — line ${n - 1} was changed, or a line between them was removed`);
    }
    if (at > n - 1) return breakAt(n, `line ${n} names line ${at} as its predecessor: lines were reordered`);
    return breakAt(n, `line ${n} names line ${at} as its predecessor, not line ${n - 1}: line(s) ${at + 1}${at + 1 < n - 1 ? `–${n - 1}` : ''} were inserted or moved`);
  });

  if (!broken) {
    for (const sha of options.expect ?? []) {
      if (!lineOf.has(sha.toLowerCase())) {
        breakAt(lines.length, `record ${short(sha)}… is not in the ledger: it was changed or removed${lines.length ? ` (the ledger ends at line ${lines.length}, sha256 ${short(hashes.at(-1) ?? null)}…)` : ''}`);
        break;
      }
    }
  }
  return { ok: broken === undefined, entries, ...(broken ? { broken } : {}), headSha256: hashes.at(-1) ?? null, lines: lines.length };
}

export interface Appended {
  text: string;
  line: string;
  lineNumber: number;
  sha256: string;
  previousSha256: string | null;
  record: AuditRecord;
}

/** Appends `record` to the ledger text, linking it to the current last line. */
export function appendRecord(text: string, record: AuditRecord): Appended {
  const lines = ledgerLines(text);
  const last = lines.at(-1);
  const previousSha256 = last === undefined ? null : sha256Hex(last);
  const linked: AuditRecord = { ...record, previousSha256 };
  const line = canonicalJson(linked);
  const base = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  return { text: `${base}${line}\n`, line, lineNumber: lines.length + 1, sha256: sha256Hex(line), previousSha256, record: linked };
}

/** The line holding the record with this id, if the ledger has it (a retried write that had landed). */
export function findRecord(text: string, id: string): { lineNumber: number; line: string; sha256: string; record: AuditRecord } | undefined {
  const needle = `"id":${JSON.stringify(id)}`;
  const lines = ledgerLines(text);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    if (!line.includes(needle)) continue;
    try {
      const record = parseRecord(JSON.parse(line));
      if (typeof record !== 'string' && record.id === id) return { lineNumber: i + 1, line, sha256: sha256Hex(line), record };
    } catch {
      // not JSON: not ours
    }
  }
  return undefined;
}
