/**
 * Contract tests: dist/smoke-test/index.js run with Node 24 exactly as the runner runs it, against a
 * real HTTP server on loopback.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBundle, type BundleRun } from '../harness/contract.js';
import { startSmokeServer, type TestServer } from '../helpers/http-server.js';
import { hasOpenssl, selfSignedCert } from '../helpers/tls.js';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

const TOKEN = 'sk-live-9f8e7d6c5b4a';
let server: TestServer;

beforeAll(async () => {
  server = await startSmokeServer({ token: TOKEN });
});
afterAll(async () => server.stop());

const smoke = (inputs: Record<string, string>): Promise<BundleRun> => runBundle('smoke-test', inputs);
const results = (run: BundleRun): { name: string; result: string; attempts: number; failures: string[]; status: number | null; samples: number }[] =>
  JSON.parse(run.outputs['results'] ?? '[]');

describe('smoke-test bundle (real HTTP server on loopback)', () => {
  it('passes a check with status, body, JSON and header expectations, and writes outputs and a summary', async () => {
    const run = await smoke({
      url: `${server.url}/ok`,
      'expect-status': '200',
      'expect-body': '/"version":"1\\.2\\.\\d+"/',
      'expect-json': 'status: ok\nitems[0].id: 7\n$.items[0].name: seven',
      'expect-header': 'x-version: "1.2"\ncontent-type: /json/',
    });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ result: 'pass', passed: '1', failed: '0' });
    expect(Number(run.outputs['p95-ms'])).toBeGreaterThanOrEqual(0);
    expect(results(run)[0]).toMatchObject({ result: 'pass', status: 200, attempts: 1 });
    expect(run.summary).toContain('Smoke test: pass — 1/1 checks passed');
    expect(run.summary).toMatch(/\| GET \/ok \| ✅ pass \| GET http:\/\/127\.0\.0\.1:\d+\/ok \| 200 \| 1 \|/);
  });

  it('fails on a wrong status, after the configured retries, naming what was expected', async () => {
    const before = server.requests.length;
    const run = await smoke({ url: `${server.url}/status?code=503`, retries: '2', 'retry-delay': '50ms' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ result: 'fail', passed: '0', failed: '1' });
    expect(server.requests.length - before).toBe(3);
    expect(run.errors.at(-1)).toBe('1 of 1 smoke check failed: GET /status (status 503, expected 2xx)');
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['body', { 'expect-body': 'healthy' }, 'body does not contain "healthy"'],
    ['JSON value', { 'expect-json': 'status: degraded' }, 'JSON status is "ok", expected "degraded"'],
    ['JSON path', { 'expect-json': 'items[3].id: 1' }, 'JSON items[3].id is missing'],
    ['header', { 'expect-header': 'x-version: "2.0"' }, 'header x-version is "1.2.3", expected "2.0"'],
    ['missing header', { 'expect-header': 'x-request-id: /.+/' }, 'header x-request-id is missing'],
  ])('fails on a %s mismatch', async (_what, expectation, message) => {
    const run = await smoke({ url: `${server.url}/ok`, retries: '0', ...expectation });
    expect(run.exitCode).toBe(1);
    expect(results(run)[0]?.failures[0]).toContain(message);
  });

  it('fails when the latency budget is exceeded', async () => {
    const run = await smoke({ url: `${server.url}/ok?delay=300`, 'max-latency-ms': '100', retries: '0' });
    expect(run.exitCode).toBe(1);
    expect(results(run)[0]?.failures[0]).toMatch(/^took \d+ ms, budget 100 ms$/);
  });

  it('retries a server that fails its first requests, and wins', async () => {
    const run = await smoke({ url: `${server.url}/flaky?key=retry-wins&fail=2`, retries: '3', 'retry-delay': '50ms' });
    expect(run.exitCode).toBe(0);
    expect(results(run)[0]).toMatchObject({ result: 'pass', attempts: 3 });
    expect(run.stdout).toContain('attempt 1 failed (status 503, expected 2xx); retrying in 50 ms');
  });

  it('times out a server that never answers', async () => {
    const run = await smoke({ url: `${server.url}/hang`, timeout: '400ms', retries: '0' });
    expect(run.exitCode).toBe(1);
    expect(results(run)[0]?.failures[0]).toBe('no response within 400 ms (timeout)');
  });

  it('keeps retrying past `retries` until the warm-up deadline, then passes', async () => {
    const run = await smoke({ url: `${server.url}/warmup?key=deadline-pass&after=1500`, retries: '0', 'retry-delay': '100ms', deadline: '20s' });
    expect(run.exitCode).toBe(0);
    expect(results(run)[0]?.attempts).toBeGreaterThan(1);
  });

  it('gives up when the deadline runs out', async () => {
    const run = await smoke({ url: `${server.url}/status?code=502`, retries: '50', 'retry-delay': '100ms', deadline: '1s' });
    expect(run.exitCode).toBe(1);
    const attempts = results(run)[0]?.attempts ?? 0;
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThan(50);
  });

  it('runs checks concurrently, up to `concurrency` in flight', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smoke-'));
    const checks = Array.from({ length: 6 }, (_, i) => `- name: slow-${i}\n  url: ${server.url}/ok?delay=400&i=${i}`).join('\n');
    writeFileSync(join(dir, 'checks.yml'), checks);
    server.peakInFlight = 0;
    const parallel = await smoke({ checks: join(dir, 'checks.yml'), concurrency: '3' });
    expect(parallel.exitCode).toBe(0);
    expect(parallel.outputs['passed']).toBe('6');
    expect(server.peakInFlight).toBe(3);
    server.peakInFlight = 0;
    const serial = await smoke({ checks, concurrency: '1' });
    expect(serial.exitCode).toBe(0);
    expect(server.peakInFlight).toBe(1);
  });

  it('takes `samples` requests per check and reports the p95', async () => {
    const before = server.requests.length;
    const run = await smoke({ url: `${server.url}/ok?sampled=1`, samples: '5' });
    expect(run.exitCode).toBe(0);
    expect(server.requests.length - before).toBe(5);
    expect(results(run)[0]?.samples).toBe(5);
    expect(run.outputs['p95-ms']).toMatch(/^\d+$/);
  });

  it('sends the bearer token but never prints it, in the log, the summary or the outputs', async () => {
    const run = await smoke({ url: `${server.url}/auth`, 'bearer-token': TOKEN, 'expect-json': 'user: deployer' });
    expect(run.exitCode).toBe(0);
    // The only occurrence is the mask command the runner consumes (it never reaches the log).
    expect(run.stdout.split(TOKEN).length - 1).toBe(1);
    expect(run.stdout).toContain(`::add-mask::${TOKEN}`);
    expect(run.stdout.indexOf('::add-mask::')).toBe(0);
    expect(run.summary).not.toContain(TOKEN);
    expect(JSON.stringify(run.outputs)).not.toContain(TOKEN);
    expect(run.stderr).not.toContain(TOKEN);
  });

  it('sends method, headers and a JSON body from a checks list', async () => {
    const run = await smoke({
      checks: `- name: create\n  url: ${server.url}/echo\n  method: put\n  body: {a: 1}\n  expect-json:\n    method: PUT\n    body: '{"a":1}'\n    contentType: application/json`,
    });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
  });
});

describe('smoke-test bundle: bad input fails with one line, before any request', () => {
  it.each([
    [{}, "Input 'url': give either `url` (one check) or `checks` (a YAML list or file)"],
    [{ checks: '- url: http://127.0.0.1:1/\n  headers: {a: 1\n' }, /^Input 'checks': malformed YAML at line \d+, column \d+: /],
    [{ checks: '- url: http://127.0.0.1:1/\n  expect-stauts: 200\n' }, /^Input 'checks': checks\[0\]: unknown field 'expect-stauts' \(known: /],
    [{ checks: '- name: a\n  method: GET\n' }, "Input 'checks': checks[0].url: is required"],
    [{ url: 'ftp://example.com/' }, "Input 'url': url: only http and https are supported, got ftp:"],
    [{ url: 'http://127.0.0.1:1/', 'expect-status': '2xx,600' }, "Input 'url': expect-status: '600' is not a status code (use 200, 2xx or a list such as 200,204)"],
    [{ url: 'http://127.0.0.1:1/', timeout: 'soon' }, "Input 'timeout': expected a duration such as 30s, 5m or 1h30m, got 'soon'"],
    [{ url: 'http://127.0.0.1:1/', checks: '- url: http://x/' }, "Input 'checks': give either `url` or `checks`, not both"],
  ] as const)('%j', async (inputs, message) => {
    const before = server.requests.length;
    const run = await smoke(inputs as Record<string, string>);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    if (typeof message === 'string') expect(run.errors[0]).toBe(message);
    else expect(run.errors[0]).toMatch(message);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toBe('');
    expect(run.outputs).toEqual({});
    expect(server.requests.length).toBe(before);
  });
});

describe.skipIf(!hasOpenssl())('smoke-test bundle: TLS (self-signed certificate from the real openssl)', () => {
  if (!hasOpenssl()) console.log('skipped TLS tests: install openssl (apt-get install -y openssl)');
  let https: Server;
  let url = '';
  beforeAll(async () => {
    https = createHttpsServer(selfSignedCert(), (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('secure ok');
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(https.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((r) => https.close(() => r())));

  it('verifies certificates by default', async () => {
    const run = await smoke({ url, retries: '0' });
    expect(run.exitCode).toBe(1);
    expect(results(run)[0]?.failures[0]).toMatch(/SELF_SIGNED|self-signed/i);
  });

  it('skips verification only with insecure-tls, and warns', async () => {
    const run = await smoke({ url, 'insecure-tls': 'true', 'expect-body': 'secure ok' });
    expect(run.exitCode).toBe(0);
    expect(run.warnings).toEqual(['insecure-tls is true: TLS certificates are not verified for these checks.']);
  });
});
