/**
 * Retry with exponential backoff and jitter, honouring a server's Retry-After.
 */
import type { Clock } from './clock.js';

export interface RetryOptions {
  /** Retries after the first attempt (so `retries: 3` makes at most 4 attempts). */
  retries: number;
  minDelayMs: number;
  maxDelayMs?: number;
  factor?: number;
  /** Fraction of the delay randomised, 0..1 (default 0.2). */
  jitter?: number;
  random?: () => number;
  clock: Pick<Clock, 'sleep'>;
  /** Whether this error is worth another attempt (default: every error). */
  retryable?: (error: unknown) => boolean;
  /** A delay the server asked for (Retry-After), which overrides the backoff. */
  retryAfterMs?: (error: unknown) => number | undefined;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export function backoffDelay(attempt: number, options: Pick<RetryOptions, 'minDelayMs' | 'maxDelayMs' | 'factor' | 'jitter' | 'random'>): number {
  const base = options.minDelayMs * (options.factor ?? 2) ** (attempt - 1);
  const capped = Math.min(base, options.maxDelayMs ?? 30_000);
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  return Math.max(0, Math.round(capped * (1 - jitter + 2 * jitter * random())));
}

/** Runs `fn` until it resolves or the retries are spent; the last error is rethrown. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt > options.retries || !(options.retryable?.(error) ?? true)) throw error;
      const asked = options.retryAfterMs?.(error);
      const delay = asked !== undefined ? asked : backoffDelay(attempt, options);
      options.onRetry?.(error, attempt, delay);
      await options.clock.sleep(delay);
    }
  }
}

/**
 * Parses an HTTP Retry-After header (delta-seconds or an HTTP date) into milliseconds from `nowMs`.
 * Returns undefined for a missing or unusable value; negative waits become 0.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
