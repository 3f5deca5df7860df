/**
 * Scanning an image: install the pinned Trivy (verified), prepare the DB (cache, mirrors,
 * retries), run one scan that writes the full JSON report. Any failure here is a ScanError, which
 * the gate reports as `result=error` — a scan that broke is never a pass.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { errorMessage, ExecError, formatDuration, startProgress, type Services } from '../core/index.js';
import type { TrivyGateInputs } from '../actions/trivy-gate/inputs.js';
import { TRIVY_CHECKSUMS } from './checksums.js';
import { DbError, githubDbCache, prepareDb, type DbCache } from './db.js';
import { DEFAULT_DOWNLOAD_URLS, DirectoryToolCache, installTrivy, InstallError, type ToolCache } from './installer.js';
import { ScanError, type ImageScanner } from './run.js';
import { Trivy, trivyEnv } from './trivy.js';

export const SCAN_TIMEOUT = '15m';

export interface ScannerOptions {
  toolCache?: ToolCache;
  dbCache?: DbCache;
  downloadUrls?: readonly string[];
  checksums?: typeof TRIVY_CHECKSUMS;
  fetch?: typeof fetch;
  platform?: string;
  arch?: string;
  dbRetries?: number;
  dbRetryDelayMs?: number;
}

/**
 * Download URL templates: `SHIPLINE_TRIVY_DOWNLOAD_URLS` (comma/newline list with `{version}` and
 * `{asset}`, e.g. an internal mirror) first, then the GitHub release. The checksum is pinned, so a
 * mirror cannot substitute anything.
 */
export function downloadUrls(env: Readonly<Record<string, string | undefined>>): string[] {
  const extra = (env['SHIPLINE_TRIVY_DOWNLOAD_URLS'] ?? '')
    .split(/[\n,]/)
    .map((u) => u.trim())
    .filter(Boolean);
  return [...extra, ...DEFAULT_DOWNLOAD_URLS];
}

function wrap(error: unknown, what: string): never {
  if (error instanceof InstallError || error instanceof DbError) throw new ScanError(error.message);
  if (error instanceof ExecError) throw new ScanError(`${what}: ${error.message}`);
  throw error;
}

export function defaultScanner(options: ScannerOptions = {}): ImageScanner {
  return {
    async scan(image: string, inputs: TrivyGateInputs, services: Services): Promise<string> {
      const { log, env, clock } = services;
      // Registry credentials Trivy reads from the environment are masked before Trivy can echo them.
      for (const name of ['TRIVY_PASSWORD', 'TRIVY_REGISTRY_TOKEN']) {
        const value = env[name];
        if (value) services.addSecret(value);
      }
      const platform = options.platform ?? process.platform;
      const arch = options.arch ?? process.arch;
      const work = join(services.tempDir, `trivy-gate-${process.pid}-${clock.now()}`);
      mkdirSync(work, { recursive: true });

      const installed = await log
        .group(`Installing Trivy ${inputs.trivyVersion}`, () =>
          installTrivy({
            version: inputs.trivyVersion,
            platform,
            arch,
            checksums: options.checksums ?? TRIVY_CHECKSUMS,
            urls: options.downloadUrls ?? downloadUrls(env),
            cache: options.toolCache ?? new DirectoryToolCache(env['RUNNER_TOOL_CACHE'] || join(homedir(), '.cache', 'shipline', 'tool-cache')),
            tempDir: work,
            exec: services.exec,
            log,
            clock,
            ...(options.fetch ? { fetch: options.fetch } : {}),
          }),
        )
        .catch((error: unknown) => wrap(error, 'installing Trivy'));

      const trivy = new Trivy(installed.binary, services.exec, trivyEnv(env), work);
      // Trivy's own variable for its cache directory is honoured; else its default location.
      const cacheDir = env['TRIVY_CACHE_DIR'] || join(homedir(), '.cache', 'trivy');
      await log
        .group('Vulnerability DB', async () =>
          prepareDb({
            trivy,
            repositories: inputs.dbRepositories,
            cacheDir,
            cache: options.dbCache ?? (await githubDbCache(env, log)),
            clock,
            log,
            platform: `${platform}-${arch}`,
            ...(options.dbRetries !== undefined ? { retries: options.dbRetries } : {}),
            ...(options.dbRetryDelayMs !== undefined ? { minDelayMs: options.dbRetryDelayMs } : {}),
          }),
        )
        .catch((error: unknown) => wrap(error, 'preparing the Trivy DB'));

      const output = join(work, 'report.json');
      const ignoreFile = join(work, 'empty.trivyignore');
      writeFileSync(ignoreFile, '');
      await log
        .group(`Scanning ${image}`, async () => {
          const started = clock.now();
          const stop = startProgress(log, () => `… still scanning ${image} (${formatDuration(clock.now() - started)})`);
          try {
            await trivy.scan({ image, output, cacheDir, ignoreFile, timeout: SCAN_TIMEOUT }, 20 * 60_000);
          } finally {
            stop();
          }
          log.info(`Scanned ${image} in ${formatDuration(clock.now() - started)}.`);
        })
        .catch((error: unknown) => {
          if (error instanceof ExecError) throw new ScanError(`Trivy could not scan ${image}: ${error.message}`);
          throw new ScanError(`Trivy could not scan ${image}: ${errorMessage(error)}`);
        });
      return output;
    },
  };
}
