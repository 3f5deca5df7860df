/**
 * What the rollback workflow redeploys: `to` is `previous` (the last good deployment before the one
 * running now), a recorded image digest (`sha256:…`), a record sha256 or id, or a GitHub deployment id
 * (whose payload is the record). Only a successful, verified record of the same environment is ever a
 * target; `rollbackOf` names the deployment being undone (the one running now), which is what
 * `lastGood` reads so an undone deployment is never offered again.
 */
import type { LedgerEntry } from './ledger.js';
import { entriesFor, lastGood } from './query.js';
import { isGood } from './record.js';

export interface RollbackTarget {
  entry: LedgerEntry;
  /** The record being undone (sha256), when one is running. */
  rollbackOf?: LedgerEntry;
}

export type ResolveTo = { kind: 'previous' } | { kind: 'digest'; digest: string } | { kind: 'record'; id: string } | { kind: 'deployment'; id: number };

export function parseTo(to: string): ResolveTo | string {
  const value = to.trim();
  if (value === '' || value === 'previous') return { kind: 'previous' };
  if (/^sha256:[a-f0-9]{64}$/i.test(value)) return { kind: 'digest', digest: value.toLowerCase() };
  if (/@sha256:[a-f0-9]{64}$/i.test(value)) return { kind: 'digest', digest: (value.split('@')[1] as string).toLowerCase() };
  if (/^\d+$/.test(value)) return { kind: 'deployment', id: Number(value) };
  if (/^[a-f0-9]{64}$/i.test(value) || /^[\w.-]{8,}$/.test(value)) return { kind: 'record', id: value.toLowerCase() };
  return `--to takes previous, a deployment id, an image digest (sha256:…) or a record sha256, got '${to}'`;
}

/** Resolves a target among one environment's ledger entries (a deployment id is resolved to a record id first). */
export function resolveTarget(entries: readonly LedgerEntry[], environment: string, to: Exclude<ResolveTo, { kind: 'deployment' }>): RollbackTarget | string {
  const mine = entriesFor(entries, environment);
  const current = lastGood(mine, { environment });
  if (to.kind === 'previous') {
    if (!current) return `no successful, verified deployment of ${environment} is recorded`;
    const digest = current.record.image?.digest;
    const previous = lastGood(mine, { environment, excludeDigests: digest ? [digest] : [] });
    if (!previous) return `no successful, verified deployment of ${environment} before the current one (${digest ?? current.sha256})`;
    return { entry: previous, rollbackOf: current };
  }
  const matches = (e: LedgerEntry): boolean =>
    to.kind === 'digest' ? e.record.image?.digest.toLowerCase() === to.digest : e.sha256 === to.id || e.record.id.toLowerCase() === to.id;
  const found = [...mine].reverse().find(matches);
  if (!found) return `no record of ${environment} matches ${to.kind === 'digest' ? to.digest : to.id}`;
  if (!isGood(found.record) || !found.record.image) return `the record of ${environment} matching ${to.kind === 'digest' ? to.digest : to.id} is not a successful, verified deployment by digest (status ${found.record.status})`;
  return { entry: found, ...(current && current.sha256 !== found.sha256 ? { rollbackOf: current } : {}) };
}
