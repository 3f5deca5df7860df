import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAuditCli } from '../../../src/audit/cli.js';
import { appendRecord } from '../../../src/audit/ledger.js';
import type { AuditRecord } from '../../../src/audit/record.js';
import { parseTo } from '../../../src/audit/resolve.js';
import { DIGEST_A, DIGEST_B, DIGEST_C, DIGEST_D, makeRecord } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'shipline-audit-resolve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ledger(records: AuditRecord[]): { path: string; shas: string[] } {
  let text = '';
  const shas: string[] = [];
  for (const r of records) {
    const appended = appendRecord(text, r);
    text = appended.text;
    shas.push(appended.sha256);
  }
  const path = join(mkdtempSync(join(dir, 'ledger-')), 'production.jsonl');
  writeFileSync(path, text);
  return { path, shas };
}

async function resolve(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAuditCli(['resolve', '--environment', 'production', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

// A (good), B (good), C (failed), D (good, running now).
const history = (): AuditRecord[] => [
  makeRecord({ digest: DIGEST_A }),
  makeRecord({ digest: DIGEST_B }),
  makeRecord({ digest: DIGEST_C, status: 'failure', rollout: { result: 'failed' }, smoke: null }),
  makeRecord({ digest: DIGEST_D }),
];

describe('shipline audit resolve (the rollback workflow\'s target)', () => {
  it('previous = the last good deployment before the one running now, undoing the current one', async () => {
    const { path, shas } = ledger(history());
    const r = await resolve(['--file', path, '--to', 'previous', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ digest: DIGEST_B, image: `ghcr.io/acme/api@${DIGEST_B}`, 'rollback-of': shas[3], recordSha256: shas[1] });
  });

  it('after a rollback, previous moves further back (the undone deployment is never offered again)', async () => {
    const records = history();
    const first = ledger(records);
    const rolledBackTo = makeRecord({ digest: DIGEST_B, rollbackOf: first.shas[3] as string });
    const { path } = ledger([...records, rolledBackTo]);
    const r = await resolve(['--file', path, '--to', 'previous', '--json']);
    expect(JSON.parse(r.out).digest).toBe(DIGEST_A);
  });

  it('a digest must have a successful, verified record', async () => {
    const { path } = ledger(history());
    expect(JSON.parse((await resolve(['--file', path, '--to', DIGEST_A, '--json'])).out).digest).toBe(DIGEST_A);
    const failed = await resolve(['--file', path, '--to', DIGEST_C]);
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(/is not a successful, verified deployment by digest \(status failure\)/);
    const unknown = await resolve(['--file', path, '--to', `sha256:${'e'.repeat(64)}`]);
    expect(unknown.err).toMatch(/no record of production matches sha256:e{64}/);
  });

  it('writes image, digest and rollback-of to GITHUB_OUTPUT', async () => {
    const { path, shas } = ledger(history());
    const out = join(dir, 'github-output');
    writeFileSync(out, '');
    expect((await resolve(['--file', path, '--github-output'], { GITHUB_OUTPUT: out })).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(`image=ghcr.io/acme/api@${DIGEST_B}\ndigest=${DIGEST_B}\nrollback-of=${shas[3]}\nrecord-sha256=${shas[1]}\n`);
  });

  it('says so when there is nothing to go back to', async () => {
    const { path } = ledger([makeRecord({ digest: DIGEST_A })]);
    const r = await resolve(['--file', path]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no successful, verified deployment of production before the current one/);
  });

  it.each([
    ['previous', 'previous'],
    ['', 'previous'],
    [DIGEST_A, 'digest'],
    [`ghcr.io/acme/api@${DIGEST_A}`, 'digest'],
    ['1234', 'deployment'],
    ['a'.repeat(64), 'record'],
  ])('parses --to %j as %s', (to, kind) => expect((parseTo(to) as { kind: string }).kind).toBe(kind));

  it('rejects a --to it cannot read', () => expect(parseTo('last week')).toMatch(/^--to takes previous/));
});

describe('shipline audit list', () => {
  it('keeps its columns aligned when an image name is longer than the default width', async () => {
    const long = makeRecord({ digest: DIGEST_A });
    long.image = { ...(long.image as NonNullable<AuditRecord['image']>), name: 'registry.internal.example.com:5000/platform/payments/api-gateway' };
    const { path } = ledger([makeRecord({ digest: DIGEST_B }), long]);
    const out: string[] = [];
    expect(await runAuditCli(['list', '--environment', 'production', '--file', path], { out: (l) => out.push(l), err: () => {} }, {})).toBe(0);
    const shaColumn = (out[0] as string).indexOf('sha256');
    for (const row of out.slice(1)) expect(row.slice(shaColumn)).toMatch(/^[a-f0-9]{12}$/);
  });
});
