/**
 * A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8) on a free loopback
 * port, storage in a temp dir, deletes enabled; optionally with Basic auth (htpasswd, bcrypt).
 * It has no referrers API, so OCI 1.1 referrers live under the `sha256-<hex>` tag schema.
 *
 *   const registry = await startRegistry();   // { url: 'http://127.0.0.1:PORT', host: '127.0.0.1:PORT', stop() }
 *
 * Tests skip with `describe.skipIf(!registryAvailable())` and print REGISTRY_INSTALL.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRY_BINARY = process.env['SHIPLINE_REGISTRY_BIN'] ?? 'docker-registry';
export const REGISTRY_INSTALL = 'install Debian docker-registry: apt-get install -y docker-registry (or bash .ci/install/20-registry-buildah.sh)';

export interface RunningRegistry {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`: the registry part of image references. */
  host: string;
  /** The storage root (for tests that inspect or corrupt what is stored). */
  storage: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** Basic auth: one user, hashed with `htpasswd -B` (Debian apache2-utils). */
  basicAuth?: { username: string; password: string };
}

export function registryAvailable(): boolean {
  return spawnSync(REGISTRY_BINARY, ['--version'], { stdio: 'ignore' }).status === 0;
}

export function htpasswdAvailable(): boolean {
  return spawnSync('htpasswd', ['-nbB', 'u', 'p'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, logs: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${logs()}`);
    try {
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not answer on ${url} within ${timeoutMs} ms: ${logs()}`);
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'shipline-registry-'));
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const storage = join(dir, 'data');
    let auth = '';
    if (options.basicAuth) {
      const hashed = spawnSync('htpasswd', ['-nbB', options.basicAuth.username, options.basicAuth.password], { encoding: 'utf8' });
      if (hashed.status !== 0) throw new Error(`htpasswd failed: ${hashed.stderr}`);
      writeFileSync(join(dir, 'htpasswd'), hashed.stdout.trim() + '\n');
      auth = `auth:\n  htpasswd:\n    realm: shipline-test\n    path: ${join(dir, 'htpasswd')}\n`;
    }
    writeFileSync(
      join(dir, 'config.yml'),
      `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n${auth}`,
    );
    // The registry logs to a file, never a pipe: a caller blocked in spawnSync would stop draining a
    // pipe, the registry would block on its next log line, and every request would hang.
    const logFile = join(dir, 'registry.log');
    const logFd = openSync(logFile, 'a');
    const child = spawn(REGISTRY_BINARY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    const stderr = (): string => {
      try {
        return readFileSync(logFile, 'utf8').slice(-4000);
      } catch {
        return '';
      }
    };
    const url = `http://${host}`;
    const stop = async (): Promise<void> => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await waitReady(url, child, stderr);
      return { url, host, storage, stop };
    } catch (error) {
      await stop();
      // Another process may have taken the port between probing and binding: try another.
      if (attempt >= 3 || !/address already in use/i.test(String(error))) throw error;
    }
  }
}
