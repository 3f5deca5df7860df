import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Clock } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { assetName, DEFAULT_TRIVY_VERSION, TRIVY_CHECKSUMS } from '../../../src/trivy/checksums.js';
import { DirectoryToolCache, installTrivy, InstallError, type InstallOptions } from '../../../src/trivy/installer.js';
import { tempDir } from '../../helpers/trivy/reports.js';

const STAND_IN = resolve(import.meta.dirname, '..', '..', 'helpers', 'trivy', 'stand-in-trivy.mjs');
const clock: Clock = { now: () => Date.now(), sleep: async () => {} };
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A real .tar.gz like Trivy's release archive (trivy + LICENSE + README), built with tar. */
function makeArchive(dir: string, withBinary = true): Buffer {
  const src = join(dir, `src-${withBinary}`);
  mkdirSync(src, { recursive: true });
  if (withBinary) copyFileSync(STAND_IN, join(src, 'trivy'));
  writeFileSync(join(src, 'LICENSE'), 'Apache-2.0\n');
  writeFileSync(join(src, 'README.md'), '# trivy\n');
  const out = join(dir, `archive-${withBinary}.tar.gz`);
  execFileSync('tar', ['-czf', out, '-C', src, ...(withBinary ? ['trivy'] : []), 'LICENSE', 'README.md']);
  return readFileSync(out);
}

interface Mirror {
  base: string;
  requests: string[];
  /** path → responses to give in turn (status, body); the last one repeats. */
  routes: Map<string, { status: number; body?: Buffer }[]>;
}

let server: Server;
let mirror: Mirror;
const asset = assetName('9.9.9', 'linux', 'x64') as string;
let good: Buffer;
let noBinary: Buffer;
const work = tempDir('shipline-installer-');

beforeAll(async () => {
  good = makeArchive(work);
  noBinary = makeArchive(work, false);
  mirror = { base: '', requests: [], routes: new Map() };
  server = createServer((req, res) => {
    mirror.requests.push(req.url ?? '');
    const queue = mirror.routes.get(req.url ?? '');
    const next = queue && (queue.length > 1 ? queue.shift() : queue[0]);
    if (!next) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(next.status, { 'content-length': String(next.body?.length ?? 0) }).end(next.body ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  mirror.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function options(cacheRoot: string, over: Partial<InstallOptions> = {}): InstallOptions {
  const services = createServices(new MemoryRunner());
  return {
    version: '9.9.9',
    platform: 'linux',
    arch: 'x64',
    checksums: { '9.9.9': { [asset]: sha256(good) } },
    urls: [`${mirror.base}/a/v{version}/{asset}`, `${mirror.base}/b/v{version}/{asset}`],
    cache: new DirectoryToolCache(cacheRoot),
    tempDir: work,
    exec: services.exec,
    log: services.log,
    clock,
    retries: 2,
    ...over,
  };
}

describe('Trivy installer (loopback mirrors serving a test archive; checksum table injected)', () => {
  it('falls back to the next mirror on 404, verifies the sha256, installs into the tool cache', async () => {
    mirror.requests.length = 0;
    mirror.routes = new Map([[`/b/v9.9.9/${asset}`, [{ status: 200, body: good }]]]);
    const cacheRoot = tempDir();
    const installed = await installTrivy(options(cacheRoot));
    expect(installed.source).toBe(`${mirror.base}/b/v9.9.9/${asset}`);
    expect(mirror.requests).toEqual([`/a/v9.9.9/${asset}`, `/b/v9.9.9/${asset}`]);
    expect(installed.binary).toBe(join(cacheRoot, 'trivy', '9.9.9', 'x64', 'trivy'));
    expect(statSync(installed.binary).mode & 0o111).not.toBe(0);
    expect(existsSync(join(cacheRoot, 'trivy', '9.9.9', 'x64.complete'))).toBe(true);
    expect(readFileSync(join(cacheRoot, 'trivy', '9.9.9', 'x64', 'trivy.sha256'), 'utf8').trim()).toBe(sha256(readFileSync(STAND_IN)));
    expect(execFileSync(installed.binary, ['--version'], { encoding: 'utf8' })).toContain('Version: 0.72.0');
  });

  it('discards an archive whose sha256 differs from the table and uses the next mirror', async () => {
    mirror.requests.length = 0;
    const tampered = Buffer.concat([good, Buffer.from('x')]);
    mirror.routes = new Map([
      [`/a/v9.9.9/${asset}`, [{ status: 200, body: tampered }]],
      [`/b/v9.9.9/${asset}`, [{ status: 200, body: good }]],
    ]);
    const services = createServices(new MemoryRunner());
    const runner = new MemoryRunner();
    const logged = createServices(runner);
    const installed = await installTrivy(options(tempDir(), { log: logged.log, exec: services.exec }));
    expect(installed.source).toContain('/b/');
    expect(runner.log).toContain(`has sha256 ${sha256(tampered)}, not the pinned ${sha256(good)}: discarded`);
  });

  it('retries a mirror that answers 5xx, then succeeds on it', async () => {
    mirror.requests.length = 0;
    mirror.routes = new Map([[`/a/v9.9.9/${asset}`, [{ status: 503 }, { status: 502 }, { status: 200, body: good }]]]);
    const installed = await installTrivy(options(tempDir()));
    expect(installed.source).toContain('/a/');
    expect(mirror.requests).toEqual([`/a/v9.9.9/${asset}`, `/a/v9.9.9/${asset}`, `/a/v9.9.9/${asset}`]);
  });

  it('fails, naming every mirror, when none serves the pinned bytes; nothing is marked installed', async () => {
    mirror.routes = new Map([
      [`/a/v9.9.9/${asset}`, [{ status: 200, body: Buffer.from('evil') }]],
      [`/b/v9.9.9/${asset}`, [{ status: 500 }]],
    ]);
    const cacheRoot = tempDir();
    const error = await installTrivy(options(cacheRoot, { retries: 1 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InstallError);
    expect((error as Error).message).toMatch(/could not install Trivy 9\.9\.9: .*\/a\/.*sha256 [0-9a-f]{64} is not the pinned .*; .*\/b\/.*HTTP 500/);
    expect(existsSync(join(cacheRoot, 'trivy', '9.9.9', 'x64.complete'))).toBe(false);
  });

  it('refuses an archive (with the right checksum) that has no trivy binary', async () => {
    mirror.routes = new Map([[`/a/v9.9.9/${asset}`, [{ status: 200, body: noBinary }]]]);
    const error = await installTrivy(options(tempDir(), { checksums: { '9.9.9': { [asset]: sha256(noBinary) } }, urls: [`${mirror.base}/a/v{version}/{asset}`] })).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/could not install Trivy 9\.9\.9: .*tar/);
  });

  it('uses a verified tool-cache install without downloading; reinstalls a tampered one', async () => {
    mirror.routes = new Map([[`/a/v9.9.9/${asset}`, [{ status: 200, body: good }]]]);
    const cacheRoot = tempDir();
    await installTrivy(options(cacheRoot));
    mirror.requests.length = 0;
    const again = await installTrivy(options(cacheRoot));
    expect(again.source).toBeUndefined();
    expect(mirror.requests).toEqual([]);
    writeFileSync(again.binary, '#!/bin/sh\necho evil\n');
    const repaired = await installTrivy(options(cacheRoot));
    expect(repaired.source).toContain('/a/');
    expect(readFileSync(repaired.binary)).toEqual(readFileSync(STAND_IN));
  });

  it('refuses versions and platforms without a pinned checksum', async () => {
    await expect(installTrivy(options(tempDir(), { version: '1.0.0' }))).rejects.toThrow(/no built-in sha256 for trivy_1\.0\.0_Linux-64bit\.tar\.gz/);
    await expect(installTrivy(options(tempDir(), { platform: 'win32' }))).rejects.toThrow(/no archive this action pins for win32\/x64/);
  });
});

describe('the built-in checksum table', () => {
  it('pins the default version for Linux and macOS on x64 and arm64 with sha256 values', () => {
    const table = TRIVY_CHECKSUMS[DEFAULT_TRIVY_VERSION] as Record<string, string>;
    for (const [platform, arch] of [['linux', 'x64'], ['linux', 'arm64'], ['darwin', 'x64'], ['darwin', 'arm64']] as const) {
      const name = assetName(DEFAULT_TRIVY_VERSION, platform, arch) as string;
      expect(table[name], name).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(assetName('0.72.0', 'linux', 'x64')).toBe('trivy_0.72.0_Linux-64bit.tar.gz');
    expect(assetName('0.72.0', 'darwin', 'arm64')).toBe('trivy_0.72.0_macOS-ARM64.tar.gz');
    expect(assetName('0.72.0', 'linux', 'ia32')).toBeUndefined();
    expect(new Set(Object.values(table)).size).toBe(Object.keys(table).length);
  });
});
