/**
 * The ledger-branch store against the loopback GitHub API emulator (checked against GitHub's OpenAPI
 * description): concurrent appends, compare-and-swap conflicts, 5xx/rate-limit retries, writes that
 * landed although the client saw an error, large files, and permission failures.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/audit/canonical.js';
import { ledgerLines, verifyLedger } from '../../../src/audit/ledger.js';
import { appendToLedger, LEDGER_README } from '../../../src/audit/ledger-store.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../helpers/github-emulator.js';
import { makeRecord } from '../../unit/audit/fixtures.js';
import { clientFor, fastClock, quietLog, REPO } from './helpers.js';

const BRANCH = 'shipline-audit';
const target = { ...REPO, branch: BRANCH };
let gh: GitHubEmulator;

beforeEach(async () => {
  gh = await startGitHubEmulator();
});
afterEach(async () => {
  await gh.stop();
});

const puts = (): { status: number; injected: boolean }[] => gh.requests.filter((r) => r.operationId === 'repos/create-or-update-file-contents');

describe('ledger-branch store (GitHub API emulator checked against @octokit/openapi)', () => {
  it('creates the audit branch as an orphan holding only the README, then appends the first record', async () => {
    const clock = fastClock();
    const client = await clientFor(gh, clock);
    const result = await appendToLedger(client, target, makeRecord(), { clock, log: quietLog() });
    expect(result).toMatchObject({ path: 'production.jsonl', lineNumber: 1, attempts: 1, branchCreated: true, previousSha256: null });
    const history = gh.state.history(BRANCH);
    expect(history).toHaveLength(2);
    expect(history[1]?.parents).toEqual([]);
    expect(history[0]?.message).toMatch(/^audit\(production\): success ghcr\.io\/acme\/api@sha256:aaaaaaaaaaaa \(run \d+\/1\) \[skip ci\]$/);
    expect([...(gh.state.treeAt(BRANCH)?.keys() ?? [])].sort()).toEqual(['README.md', 'production.jsonl']);
    expect(gh.state.readFile(BRANCH, 'README.md')).toBe(LEDGER_README);
    expect(gh.state.readFile('main', 'production.jsonl')).toBeUndefined();
    const text = gh.state.readFile(BRANCH, 'production.jsonl') as string;
    expect(sha256Hex(ledgerLines(text)[0] as string)).toBe(result.sha256);
    expect(gh.mismatches).toEqual([]);
  });

  it('5 concurrent appends give 5 records in one valid chain (compare-and-swap on the blob sha)', async () => {
    const clock = fastClock();
    const records = Array.from({ length: 5 }, () => makeRecord());
    // Five runs, five clients, all at once.
    const results = await Promise.all(records.map(async (record) => appendToLedger(await clientFor(gh, clock), target, record, { clock, log: quietLog() })));
    const text = gh.state.readFile(BRANCH, 'production.jsonl') as string;
    const check = verifyLedger(text, { fileName: 'production.jsonl' });
    expect(check.ok).toBe(true);
    expect(check.entries.map((e) => e.record.id).sort()).toEqual(records.map((r) => r.id).sort());
    expect(results.map((r) => r.lineNumber).sort()).toEqual([1, 2, 3, 4, 5]);
    for (const result of results) expect(check.entries[result.lineNumber - 1]?.sha256).toBe(result.sha256);
    // The race really happened: writers named a stale blob (409) or none for a file that now existed (422).
    const conflicts = puts().filter((p) => p.status === 409 || p.status === 422);
    expect(conflicts.length).toBeGreaterThan(0);
    expect(puts().filter((p) => p.status === 200 || p.status === 201)).toHaveLength(5);
    // One branch, created once although every run found it missing.
    expect(gh.state.history(BRANCH).filter((c) => c.parents.length === 0)).toHaveLength(1);
    expect(gh.mismatches).toEqual([]);
  });

  it('appends to an existing ledger, linking to its last line, with a second environment in its own file', async () => {
    const clock = fastClock();
    const client = await clientFor(gh, clock);
    const first = await appendToLedger(client, target, makeRecord(), { clock, log: quietLog() });
    const staging = await appendToLedger(client, target, makeRecord({ environment: 'Staging' }), { clock, log: quietLog() });
    const second = await appendToLedger(client, target, makeRecord(), { clock, log: quietLog() });
    expect(second.previousSha256).toBe(first.sha256);
    expect(staging).toMatchObject({ path: 'staging.jsonl', previousSha256: null, lineNumber: 1, branchCreated: false });
    expect(verifyLedger(gh.state.readFile(BRANCH, 'production.jsonl') as string).lines).toBe(2);
  });

  it('retries a 502 and a 503 on the write, without a duplicate', async () => {
    const clock = fastClock();
    const client = await clientFor(gh, clock);
    await appendToLedger(client, target, makeRecord(), { clock, log: quietLog() });
    gh.fail({ method: 'PUT', path: 'repos/create-or-update-file-contents', status: 502, times: 1 });
    gh.fail({ method: 'PUT', path: 'repos/create-or-update-file-contents', status: 503, times: 1, headers: { 'retry-after': '3' } });
    const result = await appendToLedger(client, target, makeRecord(), { clock, log: quietLog() });
    expect(result.lineNumber).toBe(2);
    expect(puts().map((p) => p.status)).toEqual([201, 502, 503, 200]);
    expect(clock.waits).toContain(3000); // Retry-After honoured
    expect(verifyLedger(gh.state.readFile(BRANCH, 'production.jsonl') as string)).toMatchObject({ ok: true, lines: 2 });
    expect(gh.mismatches).toEqual([]);
  });

  it('does not append twice when a write landed but the client saw a 500 (it finds its own record)', async () => {
    const clock = fastClock();
    const client = await clientFor(gh, clock);
    const log = quietLog();
    gh.fail({ method: 'PUT', path: 'repos/create-or-update-file-contents', status: 500, times: 1, afterHandling: true });
    const record = makeRecord();
    const result = await appendToLedger(client, target, record, { clock, log });
    const text = gh.state.readFile(BRANCH, 'production.jsonl') as string;
    expect(ledgerLines(text)).toHaveLength(1);
    expect(result).toMatchObject({ lineNumber: 1, previousSha256: null });
    expect(result.sha256).toBe(sha256Hex(ledgerLines(text)[0] as string));
    // The client retried the same create: the file now existed, GitHub said 422 (no sha), and the re-read found it.
    expect(puts().map((p) => p.status)).toEqual([500, 422]);
    expect(log.lines.some((l) => l.includes('already at line 1'))).toBe(true);
  });

  it('re-reads after an injected 409 and a 422, and retries a secondary rate limit (403 + Retry-After) and a 429', async () => {
    const clock = fastClock();
    const client = await clientFor(gh, clock);
    await appendToLedger(client, target, makeRecord(), { clock, log: quietLog() });
    gh.fail({ path: 'repos/create-or-update-file-contents', status: 409, body: { message: 'production.jsonl does not match 0000', documentation_url: 'https://docs.github.com/rest' } });
    gh.fail({ path: 'repos/create-or-update-file-contents', status: 422, body: { message: 'Invalid request.\n\n"sha" wasn\'t supplied.', documentation_url: 'https://docs.github.com/rest' } });
    gh.fail({ path: 'repos/get-content', status: 403, headers: { 'retry-after': '2' }, body: { message: 'You have exceeded a secondary rate limit.', documentation_url: 'https://docs.github.com/rest' } });
    gh.fail({ path: 'repos/create-or-update-file-contents', status: 429, headers: { 'retry-after': '1' } });
    const result = await appendToLedger(client, target, makeRecord(), { clock, log: quietLog() });
    expect(result.lineNumber).toBe(2);
    expect(result.attempts).toBe(3);
    expect(clock.waits).toEqual(expect.arrayContaining([2000, 1000]));
    expect(verifyLedger(gh.state.readFile(BRANCH, 'production.jsonl') as string)).toMatchObject({ ok: true, lines: 2 });
    expect(gh.mismatches).toEqual([]);
  });

  it('does not sit out a rate-limit reset longer than a minute: it fails with GitHub’s message', async () => {
    const clock = fastClock();
    const client = await clientFor(gh, clock);
    gh.fail({ path: 'git/get-ref', status: 403, headers: { 'retry-after': '3600' }, body: { message: 'API rate limit exceeded for installation.', documentation_url: 'https://docs.github.com/rest' } });
    await expect(appendToLedger(client, target, makeRecord(), { clock, log: quietLog() })).rejects.toThrow('GitHub API GET /repos/acme/api/git/ref/heads%2Fshipline-audit → 403: API rate limit exceeded for installation.');
    expect(clock.waits).toEqual([]);
  });

  it('gives up after the configured attempts with one clear line', async () => {
    const clock = fastClock();
    const client = await clientFor(gh, clock);
    gh.fail({ path: 'repos/create-or-update-file-contents', status: 409, times: 100, body: { message: 'production.jsonl does not match x', documentation_url: 'https://docs.github.com/rest' } });
    await expect(appendToLedger(client, target, makeRecord(), { clock, log: quietLog(), maxAttempts: 3 })).rejects.toThrow(
      /^could not append to acme\/api@shipline-audit:production\.jsonl after 3 attempts: GitHub API PUT \/repos\/acme\/api\/contents\/production\.jsonl → 409: production\.jsonl does not match x$/,
    );
  });

  it('fails fast, naming the permission, when the token may not write contents', async () => {
    const clock = fastClock();
    const client = await clientFor(gh, clock);
    gh.state.forbidden.add('git/create-tree');
    await expect(appendToLedger(client, target, makeRecord(), { clock, log: quietLog() })).rejects.toThrow(
      'GitHub API POST /repos/acme/api/git/trees → 403: Resource not accessible by integration — the token needs `permissions: contents: write`',
    );
    expect(clock.waits).toEqual([]);
  });

  it('reads a ledger over 1 MB through the git blobs API, as GitHub serves it', async () => {
    gh.state.largeFileBytes = 2048;
    const clock = fastClock();
    const client = await clientFor(gh, clock);
    for (let i = 0; i < 4; i++) await appendToLedger(client, target, makeRecord(), { clock, log: quietLog() });
    const text = gh.state.readFile(BRANCH, 'production.jsonl') as string;
    expect(text.length).toBeGreaterThan(2048);
    expect(verifyLedger(text)).toMatchObject({ ok: true, lines: 4 });
    expect(gh.requests.filter((r) => r.operationId === 'git/get-blob').length).toBeGreaterThan(0);
    expect(gh.mismatches).toEqual([]);
  });

  it('warns, but still appends, when the ledger is already broken', async () => {
    const clock = fastClock();
    const client = await clientFor(gh, clock);
    for (let i = 0; i < 3; i++) await appendToLedger(client, target, makeRecord(), { clock, log: quietLog() });
    const lines = ledgerLines(gh.state.readFile(BRANCH, 'production.jsonl') as string);
    gh.state.commitFiles(BRANCH, { 'production.jsonl': `${[lines[0], lines[2]].join('\n')}\n` }, 'tamper');
    const log = quietLog();
    await appendToLedger(client, target, makeRecord(), { clock, log });
    expect(log.lines.find((l) => l.startsWith('warning:'))).toMatch(/already broken — line 2 does not link to line 1/);
    expect(ledgerLines(gh.state.readFile(BRANCH, 'production.jsonl') as string)).toHaveLength(3);
  });
});
