/**
 * The vulnerability DB: restored from the GitHub Actions cache (keyed by day, falling back to the
 * most recent earlier day), refreshed by Trivy from the DB repositories in order (Trivy itself falls
 * through the list; a failed attempt is retried with backoff), and saved back under today's key.
 * When every attempt fails but a cached DB was restored, the scan goes on with it and says so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, retry, startProgress, type Clock, type Logger } from '../core/index.js';
import type { Trivy } from './trivy.js';

export interface DbCache {
  /** Restores `paths`; returns the key that matched, or undefined on a miss. */
  restore(paths: string[], key: string, restoreKeys: string[]): Promise<string | undefined>;
  save(paths: string[], key: string): Promise<void>;
}

/** No cache service (outside GitHub Actions, or caching unavailable): always a miss. */
export const noDbCache: DbCache = {
  restore: async () => undefined,
  save: async () => {},
};

/** The GitHub Actions cache, through @actions/cache (loaded only when a scan needs it). */
export async function githubDbCache(env: Readonly<Record<string, string | undefined>>, log: Logger): Promise<DbCache> {
  if (!env['ACTIONS_RUNTIME_TOKEN'] || !(env['ACTIONS_CACHE_URL'] || env['ACTIONS_RESULTS_URL'])) {
    log.info('The GitHub Actions cache is not available here: the DB is downloaded without it.');
    return noDbCache;
  }
  const cache = await import('@actions/cache');
  return {
    restore: async (paths, key, restoreKeys) => {
      try {
        return await cache.restoreCache(paths, key, restoreKeys);
      } catch (error) {
        log.warning(`Could not restore the Trivy DB from the cache: ${errorMessage(error)}`);
        return undefined;
      }
    },
    save: async (paths, key) => {
      try {
        await cache.saveCache(paths, key);
      } catch (error) {
        log.warning(`Could not save the Trivy DB to the cache: ${errorMessage(error)}`);
      }
    },
  };
}

export interface DbOptions {
  trivy: Trivy;
  repositories: readonly string[];
  cacheDir: string;
  cache: DbCache;
  clock: Clock;
  log: Logger;
  platform: string;
  retries?: number;
  minDelayMs?: number;
  timeoutMs?: number;
}

export interface DbState {
  /** The cache key restored, if any. */
  restoredKey?: string;
  /** Whether Trivy refreshed the DB in this run. */
  downloaded: boolean;
  /** Set when the refresh failed and a restored DB is used instead. */
  staleWarning?: string;
}

export function dbCacheKey(platform: string, now: number): { key: string; restoreKeys: string[] } {
  const day = new Date(now).toISOString().slice(0, 10);
  const prefix = `shipline-trivy-db-${platform}-`;
  return { key: `${prefix}${day}`, restoreKeys: [prefix] };
}

export class DbError extends Error {
  override readonly name = 'DbError';
}

export async function prepareDb(options: DbOptions): Promise<DbState> {
  const { log, cacheDir } = options;
  const paths = [join(cacheDir, 'db'), join(cacheDir, 'java-db')];
  const { key, restoreKeys } = dbCacheKey(options.platform, options.clock.now());
  const restoredKey = await options.cache.restore(paths, key, restoreKeys);
  const haveDb = (): boolean => existsSync(join(cacheDir, 'db', 'metadata.json'));
  if (restoredKey) log.info(`Restored the Trivy DB from the cache (${restoredKey}).`);

  const attempts = (options.retries ?? 2) + 1;
  let downloaded = false;
  let staleWarning: string | undefined;
  const started = options.clock.now();
  const stop = startProgress(log, () => `… still downloading the Trivy DB (${Math.round((options.clock.now() - started) / 1000)} s)`);
  try {
    await retry(
      async (attempt) => {
        log.info(`Refreshing the DB from ${options.repositories.join(', ')} (attempt ${attempt} of ${attempts})`);
        await options.trivy.downloadDb(options.repositories, cacheDir, options.timeoutMs ?? 600_000);
      },
      {
        retries: attempts - 1,
        minDelayMs: options.minDelayMs ?? 5000,
        clock: options.clock,
        onRetry: (error, attempt, delay) => log.warning(`DB download attempt ${attempt} failed (${errorMessage(error)}); retrying in ${Math.round(delay / 1000)} s`),
      },
    );
    downloaded = true;
  } catch (error) {
    const why = `the Trivy DB could not be downloaded from ${options.repositories.join(', ')} after ${attempts} attempts: ${errorMessage(error)}`;
    if (!haveDb()) throw new DbError(why);
    staleWarning = `${why}; scanning with the cached DB (${restoredKey ?? 'already on this runner'}) instead.`;
    log.warning(staleWarning);
  } finally {
    stop();
  }
  if (!haveDb()) throw new DbError(`Trivy reported success but left no DB in ${join(cacheDir, 'db')}`);
  if (downloaded && restoredKey !== key) await options.cache.save(paths.filter((p) => existsSync(p)), key);
  return { ...(restoredKey ? { restoredKey } : {}), downloaded, ...(staleWarning ? { staleWarning } : {}) };
}
