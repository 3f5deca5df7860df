import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../../src/audit/canonical.js';
import { appendRecord, findRecord, ledgerLines, verifyLedger } from '../../../src/audit/ledger.js';
import type { AuditRecord } from '../../../src/audit/record.js';
import { makeRecord } from './fixtures.js';

/** A valid ledger of `n` records, and its lines. */
function ledger(n: number, environment = 'production'): { text: string; lines: string[]; records: AuditRecord[] } {
  let text = '';
  const records: AuditRecord[] = [];
  for (let i = 0; i < n; i++) {
    const appended = appendRecord(text, makeRecord({ environment }));
    text = appended.text;
    records.push(appended.record);
  }
  return { text, lines: ledgerLines(text), records };
}

const join = (lines: string[]): string => `${lines.join('\n')}\n`;

describe('appendRecord', () => {
  it('links each line to the sha256 of the line before it, the first to null', () => {
    const { text, lines, records } = ledger(3);
    expect(records[0]?.previousSha256).toBeNull();
    expect(records[1]?.previousSha256).toBe(sha256Hex(lines[0] as string));
    expect(records[2]?.previousSha256).toBe(sha256Hex(lines[1] as string));
    expect(text.endsWith('\n')).toBe(true);
    expect(lines).toHaveLength(3);
    expect(verifyLedger(text)).toMatchObject({ ok: true, lines: 3, headSha256: sha256Hex(lines[2] as string) });
  });

  it('adds the missing final newline of a ledger before appending', () => {
    const { text } = ledger(2);
    const appended = appendRecord(text.trimEnd(), makeRecord());
    expect(ledgerLines(appended.text)).toHaveLength(3);
    expect(verifyLedger(appended.text).ok).toBe(true);
  });

  it('finds a record by id (how a retried append recognises a write that landed)', () => {
    const { text, records } = ledger(4);
    const found = findRecord(text, records[2]?.id as string);
    expect(found?.lineNumber).toBe(3);
    expect(found?.record.id).toBe(records[2]?.id);
    expect(findRecord(text, 'no-such-id')).toBeUndefined();
  });
});

describe('verifyLedger finds the first broken link', () => {
  it('accepts an empty ledger', () => {
    expect(verifyLedger('')).toMatchObject({ ok: true, lines: 0, headSha256: null, entries: [] });
  });

  it('detects an edited line (a changed value, re-canonicalised) at the next line', () => {
    const { lines } = ledger(5);
    const edited = JSON.parse(lines[1] as string) as AuditRecord;
    edited.image = { reference: `ghcr.io/acme/api@sha256:${'e'.repeat(64)}`, name: 'ghcr.io/acme/api', tag: null, digest: `sha256:${'e'.repeat(64)}` };
    lines[1] = canonicalJson(edited);
    const check = verifyLedger(join(lines));
    expect(check.ok).toBe(false);
    expect(check.broken?.line).toBe(3);
    expect(check.broken?.reason).toMatch(/^line 3 does not link to line 2: .* line 2 was changed, or a line between them was removed$/);
  });

  it('detects a hand edit that leaves the JSON non-canonical, at the edited line', () => {
    const { lines } = ledger(3);
    lines[1] = (lines[1] as string).replace('"deployer":"octocat"', '"deployer": "mallory"');
    const check = verifyLedger(join(lines));
    expect(check.broken).toEqual({ line: 2, reason: 'line 2 is not in canonical JSON form: it was edited after it was written' });
  });

  it('detects a removed line in the middle', () => {
    const { lines } = ledger(5);
    lines.splice(2, 1);
    const check = verifyLedger(join(lines));
    expect(check.broken?.line).toBe(3);
    expect(check.broken?.reason).toMatch(/line 3 does not link to line 2/);
  });

  it('detects removed first lines', () => {
    const { lines } = ledger(4);
    const check = verifyLedger(join(lines.slice(2)));
    expect(check.broken?.line).toBe(1);
    expect(check.broken?.reason).toMatch(/^line 1 names a predecessor \(sha256 [0-9a-f]{12}…\) that is not in the ledger: earlier lines were removed$/);
  });

  it.each([
    ['two neighbours swapped', [0, 2, 1, 3, 4], 2, /line 2 names line 3 as its predecessor: lines were reordered/],
    ['the first two swapped', [1, 0, 2], 1, /line 1 names line 2 as its predecessor: lines were reordered/],
    ['the last line moved to the front', [4, 0, 1, 2, 3], 1, /line 1 names line 5 as its predecessor: lines were reordered/],
    ['a line moved down', [0, 2, 3, 1, 4], 2, /line 2 names line 4 as its predecessor: lines were reordered/],
  ])('detects reordered lines: %s', (_what, order, line, reason) => {
    const { lines } = ledger(5);
    const check = verifyLedger(join(order.map((i) => lines[i] as string)));
    expect(check.broken?.line).toBe(line);
    expect(check.broken?.reason).toMatch(reason);
  });

  it('detects a duplicated line', () => {
    const { lines } = ledger(3);
    lines.splice(2, 0, lines[1] as string);
    const check = verifyLedger(join(lines));
    expect(check.broken?.line).toBe(3);
    expect(check.broken?.reason).toBe(`line 3 repeats the record of line 2 (id ${JSON.parse(lines[1] as string).id})`);
  });

  it('detects a line claiming to be first in the middle (a second chain spliced in)', () => {
    const a = ledger(2);
    const b = ledger(1);
    const check = verifyLedger(join([...a.lines, ...b.lines]));
    expect(check.broken).toEqual({ line: 3, reason: 'line 3 claims to be the first record (previousSha256 null) but follows line 2: lines were inserted or reordered' });
  });

  it.each([
    ['an empty line', (l: string[]) => l.splice(1, 0, ''), 2, 'line 2 is empty'],
    ['a line that is not JSON', (l: string[]) => (l[1] = '{"schema":"shipline.audit-record.v1",'), 2, 'line 2 is not JSON'],
    ['a line that is not a record', (l: string[]) => (l[0] = '{"hello":"world"}'), 1, /^line 1 is not an audit record \(schema: /],
  ])('detects %s', (_what, mutate, line, reason) => {
    const { lines } = ledger(3);
    mutate(lines);
    const check = verifyLedger(join(lines));
    expect(check.broken?.line).toBe(line);
    expect(check.broken?.reason).toMatch(reason);
  });

  it('cannot see an edit of the newest line by itself, but does with the record hash known from elsewhere', () => {
    const { lines } = ledger(3);
    const original = sha256Hex(lines[2] as string);
    const edited = JSON.parse(lines[2] as string) as AuditRecord;
    edited.status = 'failure';
    lines[2] = appendRecord(join(lines.slice(0, 2)), edited).line;
    expect(verifyLedger(join(lines)).ok).toBe(true);
    const check = verifyLedger(join(lines), { expect: [original] });
    expect(check.ok).toBe(false);
    expect(check.broken?.reason).toMatch(new RegExp(`^record ${original.slice(0, 12)}… is not in the ledger: it was changed or removed`));
  });

  it('detects a record filed in another environment’s ledger', () => {
    const { text } = ledger(2);
    const staging = appendRecord(text, makeRecord({ environment: 'staging' }));
    expect(verifyLedger(staging.text, { fileName: 'production.jsonl' }).broken).toEqual({ line: 3, reason: "line 3 is a record for environment 'staging', not for this ledger (production.jsonl)" });
    expect(verifyLedger(ledger(2, 'Production').text, { fileName: 'production.jsonl' }).ok).toBe(true);
  });

  it('still lists every parsable record past a break', () => {
    const { lines } = ledger(4);
    lines.splice(1, 1);
    const check = verifyLedger(join(lines));
    expect(check.ok).toBe(false);
    expect(check.entries.map((e) => e.line)).toEqual([1, 2, 3]);
  });
});
