/**
 * Questions asked of a ledger: which records belong to an environment, and which is the last good
 * one to roll back to — succeeded, verified by its rollout or smoke test, pinned by digest, and not
 * rolled back since (neither recorded as `rolled-back` nor named by a later record's `rollbackOf`).
 */
import type { LedgerEntry } from './ledger.js';
import { isGood, sameEnvironment } from './record.js';

export function entriesFor(entries: readonly LedgerEntry[], environment: string | undefined): LedgerEntry[] {
  return environment === undefined ? [...entries] : entries.filter((e) => sameEnvironment(e.record.environment, environment));
}

/** The identifiers a later `rollbackOf` may use to name this entry. */
function namesOf(entry: LedgerEntry): string[] {
  const names = [entry.sha256, entry.record.id];
  if (entry.record.image) names.push(entry.record.image.digest, entry.record.image.reference);
  return names.map((n) => n.toLowerCase());
}

export interface LastGoodOptions {
  environment: string;
  /** Digests never to return (e.g. the one running now). */
  excludeDigests?: readonly string[];
}

export function lastGood(entries: readonly LedgerEntry[], options: LastGoodOptions): LedgerEntry | undefined {
  const mine = entriesFor(entries, options.environment);
  const excluded = new Set((options.excludeDigests ?? []).map((d) => d.toLowerCase()));
  const rolledBack = new Set<string>();
  for (let i = mine.length - 1; i >= 0; i--) {
    const entry = mine[i] as LedgerEntry;
    if (isGood(entry.record) && !excluded.has((entry.record.image?.digest ?? '').toLowerCase()) && !namesOf(entry).some((n) => rolledBack.has(n))) return entry;
    // Everything older than a rollback that names it is no longer good.
    if (entry.record.rollbackOf) rolledBack.add(entry.record.rollbackOf.trim().toLowerCase());
  }
  return undefined;
}
