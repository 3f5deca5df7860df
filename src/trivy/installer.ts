/**
 * Installs a pinned Trivy: the release archive is fetched from a list of download URLs (mirrors, in
 * order), its sha256 checked against the table built into the action, the `trivy` binary extracted
 * into the runner's tool cache (`$RUNNER_TOOL_CACHE/trivy/<version>/<arch>`, the layout of
 * @actions/tool-cache) with the binary's own sha256 beside it, so a later run on the same runner
 * re-verifies it instead of downloading again.
 *
 * A checksum mismatch never falls back to trusting the file: the next mirror is tried, and if none
 * serves the expected bytes the install fails.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { errorMessage, retry, startProgress, type Clock, type Exec, type Logger } from '../core/index.js';
import { assetName } from './checksums.js';

export const DEFAULT_DOWNLOAD_URLS = ['https://github.com/aquasecurity/trivy/releases/download/v{version}/{asset}'];

export class InstallError extends Error {
  override readonly name = 'InstallError';
}

/** Where installed tools live between runs on one runner. */
export interface ToolCache {
  /** The directory of a complete install, or undefined. */
  find(tool: string, version: string, arch: string): string | undefined;
  /** A fresh (emptied) directory to install into. */
  prepare(tool: string, version: string, arch: string): string;
  /** Marks an install complete (only complete installs are found). */
  complete(tool: string, version: string, arch: string): void;
}

/** The runner's tool cache, laid out as @actions/tool-cache lays it out. */
export class DirectoryToolCache implements ToolCache {
  constructor(readonly root: string) {}
  private dir(tool: string, version: string, arch: string): string {
    return join(this.root, tool, version, arch);
  }
  find(tool: string, version: string, arch: string): string | undefined {
    const dir = this.dir(tool, version, arch);
    return existsSync(`${dir}.complete`) && existsSync(dir) ? dir : undefined;
  }
  prepare(tool: string, version: string, arch: string): string {
    const dir = this.dir(tool, version, arch);
    rmSync(`${dir}.complete`, { force: true });
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  complete(tool: string, version: string, arch: string): void {
    writeFileSync(`${this.dir(tool, version, arch)}.complete`, '');
  }
}

export interface InstallOptions {
  version: string;
  platform: string;
  arch: string;
  /** version → asset → sha256. */
  checksums: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** URL templates with `{version}` and `{asset}`, tried in order. */
  urls: readonly string[];
  cache: ToolCache;
  tempDir: string;
  exec: Exec;
  log: Logger;
  clock: Clock;
  fetch?: typeof fetch;
  /** Retries per URL for network errors and 5xx (404 goes straight to the next URL). */
  retries?: number;
  timeoutMs?: number;
}

export interface Installed {
  binary: string;
  version: string;
  /** The URL it was downloaded from; undefined when found in the tool cache. */
  source?: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    url: string,
  ) {
    super(`HTTP ${status} from ${url}`);
  }
}

/** Downloads `url` to `file`, returning the sha256 of what was written. */
async function download(url: string, file: string, options: InstallOptions): Promise<string> {
  const doFetch = options.fetch ?? fetch;
  const response = await doFetch(url, { redirect: 'follow', signal: AbortSignal.timeout(options.timeoutMs ?? 300_000) });
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => {});
    throw new HttpStatusError(response.status, url);
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const total = Number(response.headers.get('content-length') ?? 0);
  const stop = startProgress(options.log, () => `… downloading ${url}: ${(bytes / 1e6).toFixed(1)}${total ? ` of ${(total / 1e6).toFixed(1)}` : ''} MB`);
  try {
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    await pipeline(body, createWriteStream(file));
  } finally {
    stop();
  }
  return hash.digest('hex');
}

export async function installTrivy(options: InstallOptions): Promise<Installed> {
  const { version, log } = options;
  const asset = assetName(version, options.platform, options.arch);
  if (!asset) throw new InstallError(`Trivy publishes no archive this action pins for ${options.platform}/${options.arch}`);
  const expected = options.checksums[version]?.[asset];
  if (!expected || !/^[0-9a-f]{64}$/.test(expected)) throw new InstallError(`no built-in sha256 for ${asset}: refusing to install an unverifiable Trivy`);

  const cached = options.cache.find('trivy', version, options.arch);
  if (cached) {
    const binary = join(cached, 'trivy');
    const recorded = existsSync(join(cached, 'trivy.sha256')) ? readFileSync(join(cached, 'trivy.sha256'), 'utf8').trim() : '';
    if (existsSync(binary) && recorded !== '' && (await sha256File(binary)) === recorded) {
      log.info(`Trivy ${version} found in the tool cache (${cached}), binary sha256 ${recorded.slice(0, 12)}… verified.`);
      return { binary, version };
    }
    log.warning(`The cached Trivy ${version} in ${cached} does not match the sha256 recorded when it was installed: installing it again.`);
  }

  const work = join(options.tempDir, `trivy-download-${process.pid}-${options.clock.now()}`);
  mkdirSync(work, { recursive: true });
  const archive = join(work, asset);
  const failures: string[] = [];
  try {
    for (const template of options.urls) {
      const url = template.replace(/\{version\}/g, version).replace(/\{asset\}/g, asset);
      try {
        const actual = await retry(() => download(url, archive, options), {
          retries: options.retries ?? 2,
          minDelayMs: 1000,
          clock: options.clock,
          retryable: (error) => !(error instanceof HttpStatusError) || error.status >= 500 || error.status === 429,
          onRetry: (error, attempt, delay) => log.info(`  ${url}: attempt ${attempt} failed (${errorMessage(error)}); retrying in ${delay} ms`),
        });
        if (actual !== expected) {
          failures.push(`${url}: sha256 ${actual} is not the pinned ${expected}`);
          log.warning(`${asset} from ${url} has sha256 ${actual}, not the pinned ${expected}: discarded.`);
          continue;
        }
        log.info(`Downloaded ${asset} from ${url}; sha256 ${expected} matches the pinned value.`);
        const dir = options.cache.prepare('trivy', version, options.arch);
        await options.exec('tar', ['-xzf', archive, '-C', dir, 'trivy'], { silent: true });
        const binary = join(dir, 'trivy');
        const stat = existsSync(binary) ? lstatSync(binary) : undefined;
        if (!stat?.isFile()) {
          rmSync(dir, { recursive: true, force: true });
          throw new InstallError(`${asset} has no regular file named trivy`);
        }
        chmodSync(binary, 0o755);
        writeFileSync(join(dir, 'trivy.sha256'), `${await sha256File(binary)}\n`);
        options.cache.complete('trivy', version, options.arch);
        return { binary, version, source: url };
      } catch (error) {
        if (error instanceof InstallError) throw error;
        failures.push(`${url}: ${errorMessage(error)}`);
        log.warning(`Could not download ${asset} from ${url}: ${errorMessage(error)}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  throw new InstallError(`could not install Trivy ${version}: ${failures.join('; ')}`);
}
