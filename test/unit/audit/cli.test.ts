import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { runAuditCli } from '../../../src/audit/cli.js';
import { appendRecord, ledgerLines } from '../../../src/audit/ledger.js';
import type { AuditRecord } from '../../../src/audit/record.js';
import { DIGEST_A, DIGEST_B, DIGEST_C, makeRecord } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'shipline-audit-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeLedger(name: string, records: AuditRecord[]): { path: string; text: string } {
  let text = '';
  for (const r of records) text = appendRecord(text, r).text;
  const path = join(dir, name);
  writeFileSync(path, text);
  return { path, text };
}

async function cli(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAuditCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
  return { code, out, err };
}

const history = (): AuditRecord[] => [
  makeRecord({ digest: DIGEST_A }),
  makeRecord({ digest: DIGEST_B }),
  makeRecord({ digest: DIGEST_C, status: 'rolled-back', rollout: { result: 'rolled-back' }, smoke: null }),
];

describe('shipline audit (local ledger files)', () => {
  it('verify: reports an intact chain with its head', async () => {
    const { path } = writeLedger('production.jsonl', history());
    const { code, out } = await cli(['verify', '--file', path]);
    expect(code).toBe(0);
    expect(out).toEqual([expect.stringMatching(new RegExp(`^✓ ${path}: 3 records, chain intact, head [0-9a-f]{64}$`))]);
  });

  it.each([
    ['an edited line', (l: string[]) => (l[0] = (l[0] as string).replace('"deployer":"octocat"', '"deployer": "mallory"')), /line 1 is not in canonical JSON form/],
    ['a removed line', (l: string[]) => l.splice(1, 1), /line 2 does not link to line 1/],
    ['reordered lines', (l: string[]) => l.reverse(), /line 1 names line 2 as its predecessor: lines were reordered/],
  ])('verify: exits 1 on %s, naming the first broken link', async (_what, mutate, reason) => {
    const { text } = writeLedger('tmp.jsonl', history());
    const lines = ledgerLines(text);
    mutate(lines);
    const path = join(dir, 'production.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const { code, out } = await cli(['verify', '--file', path]);
    expect(code).toBe(1);
    expect(out[0]).toMatch(new RegExp(`^✗ ${path}: `));
    expect(out[0]).toMatch(reason);
  });

  it('verify --json and --expect: a record known from elsewhere must be in the chain', async () => {
    const { path, text } = writeLedger('production.jsonl', history());
    const { sha256Hex } = await import('../../../src/audit/canonical.js');
    const head = sha256Hex(ledgerLines(text)[2] as string);
    const ok = await cli(['verify', '--file', path, '--expect', head, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out.join('\n'))).toEqual({ ok: true, missing: [], ledgers: [{ ledger: path, ok: true, records: 3, lines: 3, headSha256: head }] });
    const missing = 'f'.repeat(64);
    const bad = await cli(['verify', '--file', path, '--expect', missing]);
    expect(bad.code).toBe(1);
    expect(bad.out.at(-1)).toBe(`✗ record ${missing} is in none of the ledgers read: it was changed or removed`);
  });

  it('last-good: prints the digest of the last successful, verified deployment; --json gives the record', async () => {
    const { path } = writeLedger('production.jsonl', history());
    expect((await cli(['last-good', '--environment', 'production', '--file', path])).out).toEqual([DIGEST_B]);
    const json = await cli(['last-good', '--environment', 'Production', '--file', path, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out.join('\n'))).toMatchObject({ environment: 'production', digest: DIGEST_B, image: `ghcr.io/acme/api@${DIGEST_B}`, line: 2, recordSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const excluded = await cli(['last-good', '--environment', 'production', '--file', path, '--exclude-digest', `ghcr.io/acme/api@${DIGEST_B}`]);
    expect(excluded.out).toEqual([DIGEST_A]);
  });

  it('last-good: exits 1 when nothing qualifies, and refuses a broken ledger unless --no-verify', async () => {
    const { path } = writeLedger('production.jsonl', [makeRecord({ status: 'failure', rollout: { result: 'failed' } })]);
    const none = await cli(['last-good', '--environment', 'production', '--file', path]);
    expect(none).toMatchObject({ code: 1, out: [] });
    expect(none.err).toEqual(['shipline audit: no successful, verified deployment of production to roll back to']);

    const { text } = writeLedger('x.jsonl', history());
    const lines = ledgerLines(text);
    lines.splice(0, 1);
    const broken = join(dir, 'production.jsonl');
    writeFileSync(broken, `${lines.join('\n')}\n`);
    const refused = await cli(['last-good', '--environment', 'production', '--file', broken]);
    expect(refused.code).toBe(1);
    expect(refused.err[0]).toMatch(/is broken — line 1 names a predecessor .* earlier lines were removed \(use --no-verify to read it anyway\)$/);
    expect((await cli(['last-good', '--environment', 'production', '--file', broken, '--no-verify'])).out).toEqual([DIGEST_B]);
  });

  it('list: newest first, with status, verification, image, deployer, approvers and hash', async () => {
    const { path } = writeLedger('production.jsonl', history());
    const { code, out } = await cli(['list', '--environment', 'production', '--file', path]);
    expect(code).toBe(0);
    expect(out).toHaveLength(4);
    expect(out[0]).toMatch(/^line {2}finished +status +verified {2}image +deployer +approved by +sha256$/);
    expect(out[1]).toMatch(/^ {3}3 {2}\S+ {2}rolled-back {2}- +ghcr\.io\/acme\/api@sha256:cccccccccccc +octocat +lead +[0-9a-f]{12}$/);
    expect(out[3]).toMatch(/^ {3}1 .* success +verified .*sha256:aaaaaaaaaaaa/);
    const json = await cli(['list', '--environment', 'production', '--file', path, '--limit', '1', '--json']);
    expect(JSON.parse(json.out.join('\n'))).toEqual([expect.objectContaining({ line: 3, record: expect.objectContaining({ status: 'rolled-back' }) })]);
  });

  it.each([
    [['frobnicate'], /unknown subcommand 'frobnicate'/],
    [['list', '--file', 'x'], /--environment is required/],
    [['verify', '--expect', 'abc'], /--expect takes a record sha256/],
    [['verify', '--colour'], /unknown option '--colour'/],
    [['list', '--environment'], /--environment needs a value/],
    [['verify', '--file', '/no/such/file.jsonl'], /cannot read \/no\/such\/file\.jsonl/],
    [['verify'], /give --file, or --repo owner\/name \(or set GITHUB_REPOSITORY\)/],
  ])('usage errors exit 2: %j', async (argv, message) => {
    const { code, err } = await cli(argv);
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(message);
  });

  it('asks for a token before reading the branch through the API', async () => {
    const { code, err } = await cli(['verify', '--repo', 'acme/api']);
    expect(code).toBe(2);
    expect(err).toEqual(['shipline audit verify: set GITHUB_TOKEN (or GH_TOKEN) to read the ledger through the API, or give --file']);
  });

  it('is registered as `shipline audit`', async () => {
    const { path } = writeLedger('production.jsonl', history());
    const out: string[] = [];
    const code = await main(['audit', 'last-good', '--environment', 'production', '--file', path], { out: (l) => out.push(l), err: () => {}, color: false });
    expect(code).toBe(0);
    expect(out).toEqual([DIGEST_B]);
  });
});
