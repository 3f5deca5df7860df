/**
 * The `image` path end to end with real processes on loopback: the installer downloads a release
 * archive from a loopback mirror (checksum table injected), Trivy is a STAND-IN binary
 * (test/helpers/trivy/stand-in-trivy.mjs: Trivy cannot be downloaded here) that honours the CLI
 * flags trivy-gate passes, the DB comes from loopback OCI registries, the GitHub cache is an
 * in-memory fake (the cache service does not exist outside GitHub).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ActionFailedError, createServices, InputReader, type Clock } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { readTrivyGateInputs } from '../../../src/actions/trivy-gate/inputs.js';
import { assetName } from '../../../src/trivy/checksums.js';
import type { DbCache } from '../../../src/trivy/db.js';
import { DirectoryToolCache } from '../../../src/trivy/installer.js';
import { runTrivyGate } from '../../../src/trivy/run.js';
import { defaultScanner } from '../../../src/trivy/scan.js';
import { startDbRegistry, type DbRegistry } from '../../helpers/trivy/db-registry.js';
import { fixture, tempDir } from '../../helpers/trivy/reports.js';

const STAND_IN = resolve(import.meta.dirname, '..', '..', 'helpers', 'trivy', 'stand-in-trivy.mjs');
const NOW = Date.UTC(2026, 5, 15, 12);
const clock: Clock = { now: () => NOW, sleep: async () => {} };
const asset = assetName('0.72.0', process.platform, process.arch) as string;

let archive: Buffer;
let mirror: Server;
let mirrorBase = '';
let registry: DbRegistry;
const work = tempDir('shipline-trivy-scan-');

class MemoryCache implements DbCache {
  entries = new Map<string, Map<string, string>>();
  saved: string[] = [];
  async restore(paths: string[], key: string, restoreKeys: string[]): Promise<string | undefined> {
    const hit = this.entries.has(key) ? key : [...this.entries.keys()].sort().reverse().find((k) => restoreKeys.some((p) => k.startsWith(p)));
    if (!hit) return undefined;
    for (const [path, content] of this.entries.get(hit) ?? []) {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, content);
    }
    void paths;
    return hit;
  }
  async save(paths: string[], key: string): Promise<void> {
    this.saved.push(key);
    const files = new Map<string, string>();
    for (const p of paths) for (const f of ['metadata.json', 'trivy.db']) if (existsSync(join(p, f))) files.set(join(p, f), readFileSync(join(p, f), 'utf8'));
    this.entries.set(key, files);
  }
}

beforeAll(async () => {
  const src = join(work, 'src');
  mkdirSync(src);
  copyFileSync(STAND_IN, join(src, 'trivy'));
  execFileSync('tar', ['-czf', join(work, asset), '-C', src, 'trivy']);
  archive = readFileSync(join(work, asset));
  mirror = createServer((req, res) => {
    if (req.url === `/releases/v0.72.0/${asset}`) res.writeHead(200).end(archive);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
  mirrorBase = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
  registry = await startDbRegistry(['aquasecurity/trivy-db:2']);
});
afterAll(async () => {
  await registry.close();
  await new Promise<void>((r) => mirror.close(() => r()));
});

let log: string;
let cacheDir: string;
beforeEach(() => {
  const dir = tempDir();
  log = join(dir, 'calls.jsonl');
  cacheDir = join(dir, 'trivy-cache');
  process.env['STANDIN_TRIVY_LOG'] = log;
  process.env['STANDIN_TRIVY_REPORT'] = fixture('alpine-310.json.golden');
  delete process.env['STANDIN_TRIVY_SCAN_ERROR'];
  registry.requests.length = 0;
});
const calls = (): { argv: string[]; env: Record<string, string>; cwd: string }[] =>
  existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; env: Record<string, string>; cwd: string }) : [];

async function scanGate(inputs: Record<string, string>, opts: { cache?: MemoryCache | DbCache; toolRoot?: string; dbRetries?: number; env?: Record<string, string> } = {}) {
  const workspace = tempDir();
  const env = { ...process.env, RUNNER_TEMP: join(workspace, 'tmp'), GITHUB_WORKSPACE: workspace, TRIVY_CACHE_DIR: cacheDir, ...opts.env };
  const runner = new MemoryRunner({ severity: 'CRITICAL,HIGH', 'ignore-unfixed': 'true', mode: 'enforce', 'trivy-version': '0.72.0', ...inputs }, env);
  const services = createServices(runner, { clock });
  const parsed = await readTrivyGateInputs(new InputReader((n) => runner.getInput(n), workspace), services);
  const cache = (opts.cache as MemoryCache | undefined) ?? new MemoryCache();
  const toolRoot = opts.toolRoot ?? tempDir();
  const scanner = defaultScanner({
    toolCache: new DirectoryToolCache(toolRoot),
    dbCache: cache,
    downloadUrls: [`${mirrorBase}/missing/{asset}`, `${mirrorBase}/releases/v{version}/{asset}`],
    checksums: { '0.72.0': { [asset]: createHash('sha256').update(archive).digest('hex') } },
    dbRetries: opts.dbRetries ?? 2,
    dbRetryDelayMs: 1,
  });
  let thrown: unknown;
  const outcome = await runTrivyGate(parsed, services, { scanner }).catch((e: unknown) => {
    thrown = e;
    return undefined;
  });
  return { outcome, thrown, outputs: Object.fromEntries(runner.outputs), runner, cache, summary: services.summary.toString() };
}

describe('scanning an image with a stand-in trivy binary (installed from a loopback mirror, DB from loopback registries)', () => {
  it('installs, refreshes the DB through the mirror list, scans once with the full-report flags, decides', async () => {
    const r = await scanGate({ image: 'ghcr.io/acme/api:1.0', severity: 'MEDIUM', 'db-repository': `${registry.host}/missing/trivy-db:2, ${registry.host}/aquasecurity/trivy-db:2` }, { env: { TRIVY_SEVERITY: 'CRITICAL', TRIVY_IGNORE_UNFIXED: 'true', TRIVY_USERNAME: 'bot', TRIVY_PASSWORD: 's3cr3t-registry-pass' } });
    expect(r.thrown).toBeInstanceOf(ActionFailedError);
    expect(r.outputs).toMatchObject({ result: 'fail', blocking: '4', medium: '4' });
    const [db, scan] = calls();
    expect(db?.argv).toEqual(['image', '--download-db-only', '--db-repository', `${registry.host}/missing/trivy-db:2,${registry.host}/aquasecurity/trivy-db:2`, '--cache-dir', cacheDir, '--no-progress']);
    expect(scan?.argv.slice(0, -1)).toEqual([
      'image', '--format', 'json', '--output', expect.stringMatching(/report\.json$/), '--scanners', 'vuln', '--severity', 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
      '--ignorefile', expect.stringMatching(/empty\.trivyignore$/), '--exit-code', '0', '--skip-db-update', '--cache-dir', cacheDir, '--timeout', '15m', '--no-progress',
    ]);
    expect(scan?.argv.at(-1)).toBe('ghcr.io/acme/api:1.0');
    // Report filters set in the environment never reach Trivy; registry credentials do (masked).
    expect(scan?.env).toEqual({ TRIVY_USERNAME: 'bot', TRIVY_PASSWORD: 's3cr3t-registry-pass' });
    expect(r.runner.secrets).toContain('s3cr3t-registry-pass');
    expect(r.runner.log).not.toContain('s3cr3t-registry-pass');
    expect(scan?.cwd).toMatch(/trivy-gate-\d+-\d+$/);
    expect(registry.requests).toEqual(['GET /v2/missing/trivy-db/manifests/2', 'GET /v2/aquasecurity/trivy-db/manifests/2']);
    expect(r.cache.saved).toEqual([`shipline-trivy-db-${process.platform}-${process.arch}-2026-06-15`]);
    const report = JSON.parse(readFileSync(r.outputs['report'] as string, 'utf8')) as { ArtifactName: string };
    expect(report.ArtifactName).toBe('ghcr.io/acme/api:1.0');
  });

  it("retries the DB download when every repository fails, then scans; today's cache hit is not saved again", async () => {
    const flaky = await startDbRegistry(['aquasecurity/trivy-db:2'], { failFirst: 2 });
    try {
      const cache = new MemoryCache();
      const r = await scanGate({ image: 'ghcr.io/acme/api:1.0', 'db-repository': `${flaky.host}/aquasecurity/trivy-db:2` }, { cache });
      expect(r.outputs['result']).toBe('pass');
      expect(calls().filter((c) => c.argv.includes('--download-db-only'))).toHaveLength(3);
      expect(r.runner.log).toContain('DB download attempt 1 failed');
      expect(cache.saved).toHaveLength(1);
      const again = await scanGate({ image: 'ghcr.io/acme/api:1.0', 'db-repository': `${flaky.host}/aquasecurity/trivy-db:2` }, { cache });
      expect(again.runner.log).toContain(`Restored the Trivy DB from the cache (shipline-trivy-db-${process.platform}-${process.arch}-2026-06-15)`);
      expect(cache.saved).toHaveLength(1);
    } finally {
      await flaky.close();
    }
  });

  it('no DB anywhere: result=error (never pass), with the reason', async () => {
    const r = await scanGate({ image: 'ghcr.io/acme/api:1.0', 'db-repository': `${registry.host}/nothing/here:2` }, { dbRetries: 1 });
    expect(r.thrown).toBeInstanceOf(ActionFailedError);
    expect((r.thrown as Error).message).toMatch(/the Trivy DB could not be downloaded from 127\.0\.0\.1:\d+\/nothing\/here:2 after 2 attempts: .*exited with code 1/);
    expect(r.outputs['result']).toBe('error');
    expect(calls().some((c) => !c.argv.includes('--download-db-only'))).toBe(false);
  });

  it('DB refresh fails but yesterday\'s cached DB is restored: scans with it and says so', async () => {
    const cache = new MemoryCache();
    cache.entries.set(`shipline-trivy-db-${process.platform}-${process.arch}-2026-06-14`, new Map([[join(cacheDir, 'db', 'metadata.json'), '{"Version":2}']]));
    const r = await scanGate({ image: 'ghcr.io/acme/api:1.0', 'db-repository': `${registry.host}/nothing/here:2` }, { cache, dbRetries: 0 });
    expect(r.outputs['result']).toBe('pass');
    expect(r.runner.log).toMatch(/scanning with the cached DB \(shipline-trivy-db-.*-2026-06-14\) instead/);
    expect(cache.saved).toEqual([]);
  });

  it("Trivy's own failure is result=error with its message, not fail and not pass", async () => {
    process.env['STANDIN_TRIVY_SCAN_ERROR'] = 'unable to find the specified image "ghcr.io/acme/nope:1"';
    const r = await scanGate({ image: 'ghcr.io/acme/nope:1', 'db-repository': `${registry.host}/aquasecurity/trivy-db:2` });
    expect(r.outputs['result']).toBe('error');
    expect((r.thrown as Error).message).toMatch(/^Trivy could not scan ghcr\.io\/acme\/nope:1: .* exited with code 1: .*unable to find the specified image/);
    expect(r.summary).toContain('Trivy gate: error');
    const soft = await scanGate({ image: 'ghcr.io/acme/nope:1', mode: 'report', 'db-repository': `${registry.host}/aquasecurity/trivy-db:2` });
    expect([soft.thrown, soft.outputs['result']]).toEqual([undefined, 'error']);
  });

  it('reuses the verified tool-cache install on the next run (no download)', async () => {
    const toolRoot = tempDir();
    await scanGate({ image: 'ghcr.io/acme/api:1.0', 'db-repository': `${registry.host}/aquasecurity/trivy-db:2` }, { toolRoot });
    const second = await scanGate({ image: 'ghcr.io/acme/api:1.0', 'db-repository': `${registry.host}/aquasecurity/trivy-db:2` }, { toolRoot });
    expect(second.runner.log).toMatch(/Trivy 0\.72\.0 found in the tool cache .* verified/);
    rmSync(toolRoot, { recursive: true, force: true });
  });
});
