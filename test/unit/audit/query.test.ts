import { describe, expect, it } from 'vitest';
import { appendRecord, verifyLedger, type LedgerEntry } from '../../../src/audit/ledger.js';
import { lastGood } from '../../../src/audit/query.js';
import type { AuditRecord } from '../../../src/audit/record.js';
import { DIGEST_A, DIGEST_B, DIGEST_C, DIGEST_D, makeRecord } from './fixtures.js';

function entries(records: AuditRecord[]): LedgerEntry[] {
  let text = '';
  for (const r of records) text = appendRecord(text, r).text;
  const check = verifyLedger(text);
  expect(check.ok).toBe(true);
  return check.entries;
}

const digestOf = (e: LedgerEntry | undefined): string | undefined => e?.record.image?.digest;

describe('lastGood: the last successful, verified, digest-pinned deployment not rolled back since', () => {
  it('skips failed, rolled-back, unverified and failed-verification records', () => {
    const list = entries([
      makeRecord({ digest: DIGEST_A }),
      makeRecord({ digest: DIGEST_B, status: 'failure', rollout: { result: 'failed' } }),
      makeRecord({ digest: DIGEST_C, status: 'rolled-back', rollout: { result: 'rolled-back' } }),
      makeRecord({ digest: DIGEST_D, smoke: { result: 'fail' } }),
      makeRecord({ digest: DIGEST_B, rollout: null, smoke: null }),
      makeRecord({ digest: DIGEST_C, status: 'cancelled' }),
    ]);
    expect(digestOf(lastGood(list, { environment: 'production' }))).toBe(DIGEST_A);
  });

  it('returns the newest good one', () => {
    const list = entries([makeRecord({ digest: DIGEST_A }), makeRecord({ digest: DIGEST_B }), makeRecord({ digest: DIGEST_C, status: 'failure' })]);
    expect(lastGood(list, { environment: 'production' })?.line).toBe(2);
  });

  it.each([
    ['its record sha256', (e: LedgerEntry) => e.sha256],
    ['its image digest', (e: LedgerEntry) => e.record.image?.digest as string],
    ['its record id', (e: LedgerEntry) => e.record.id],
  ])('skips a deployment a later rollback names by %s', (_what, name) => {
    const first = entries([makeRecord({ digest: DIGEST_A }), makeRecord({ digest: DIGEST_B })]);
    const bad = first[1] as LedgerEntry;
    // The rollback redeployed A, then a later deployment of C failed.
    const list = entries([
      first[0]?.record as AuditRecord,
      bad.record,
      makeRecord({ digest: DIGEST_A, rollbackOf: name(bad), status: 'failure', rollout: { result: 'failed' } }),
      makeRecord({ digest: DIGEST_C, status: 'failure', rollout: { result: 'failed' } }),
    ]);
    expect(digestOf(lastGood(list, { environment: 'production' }))).toBe(DIGEST_A);
  });

  it('offers a successful rollback itself as the last good deployment', () => {
    const base = entries([makeRecord({ digest: DIGEST_A }), makeRecord({ digest: DIGEST_B })]);
    const list = entries([base[0]?.record as AuditRecord, base[1]?.record as AuditRecord, makeRecord({ digest: DIGEST_A, rollbackOf: DIGEST_B })]);
    const found = lastGood(list, { environment: 'production' });
    expect(found?.line).toBe(3);
    expect(digestOf(found)).toBe(DIGEST_A);
  });

  it('excludes digests asked for (the one running now), and filters by environment case-insensitively', () => {
    const list = entries([
      makeRecord({ digest: DIGEST_A }),
      makeRecord({ digest: DIGEST_D, environment: 'staging' }),
      makeRecord({ digest: DIGEST_B, environment: 'Production' }),
    ]);
    expect(digestOf(lastGood(list, { environment: 'PRODUCTION' }))).toBe(DIGEST_B);
    expect(digestOf(lastGood(list, { environment: 'production', excludeDigests: [DIGEST_B] }))).toBe(DIGEST_A);
    expect(digestOf(lastGood(list, { environment: 'staging' }))).toBe(DIGEST_D);
    expect(lastGood(list, { environment: 'production', excludeDigests: [DIGEST_A, DIGEST_B] })).toBeUndefined();
    expect(lastGood(list, { environment: 'qa' })).toBeUndefined();
  });
});
