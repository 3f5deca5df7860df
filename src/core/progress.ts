/**
 * Long waits log progress at least every 15 s (SPEC): `startProgress` prints `describe()` on an
 * interval until stopped. The timer is unref'd so it never keeps a process alive.
 */
import type { Logger } from './log.js';

export const PROGRESS_INTERVAL_MS = 10_000;

export function startProgress(log: Logger, describe: () => string, intervalMs = PROGRESS_INTERVAL_MS): () => void {
  const timer = setInterval(() => log.info(describe()), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
