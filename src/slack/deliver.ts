/**
 * The one retry loop for both transports. A 429 waits exactly what Slack's Retry-After asked (webhooks
 * too — the anchor gives up on the first webhook 429, slackapi/slack-github-action#292); 5xx and
 * network failures back off exponentially with jitter; Slack's deliberate rejections stop at once.
 * `retries` bounds the attempts. Time comes from the injected clock, so tests are exact and fast.
 */
import { formatDuration } from '../core/duration.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { startProgress } from '../core/progress.js';
import { retry } from '../core/retry.js';
import { SlackDeliveryError } from './transport.js';

/** First backoff delay (doubles: 1 s, 2 s, 4 s … at most 30 s, ±20% jitter). */
export const MIN_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 30_000;
/** A Retry-After longer than this is not waited out: a notification must not hold a deploy job hostage. */
export const MAX_RETRY_AFTER_MS = 120_000;

export interface RetryPolicy {
  retries: number;
  clock: Clock;
  log: Logger;
  /** Jitter source (tests pass a constant). */
  random?: () => number;
  /** What is being attempted, for log lines: "post to #deploys". */
  what: string;
}

export class DeliveryFailedError extends Error {
  override readonly name = 'DeliveryFailedError';
  constructor(
    readonly failure: SlackDeliveryError,
    readonly attempts: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export function describeFailure(error: SlackDeliveryError): string {
  switch (error.kind) {
    case 'rate-limited':
      return `rate limited (${error.status ? `HTTP ${error.status} ` : ''}${error.code}${error.retryAfterMs !== undefined ? `, Retry-After ${formatDuration(error.retryAfterMs)}` : ', no Retry-After'})`;
    case 'network':
      return `no response (${error.code})`;
    default:
      return `Slack answered ${error.message}`;
  }
}

/** Runs `attempt` until it succeeds, retries are spent, or Slack rejects it. */
export async function withRetries<T>(attempt: () => Promise<T>, policy: RetryPolicy): Promise<{ value: T; attempts: number }> {
  const { clock, log } = policy;
  let attempts = 0;
  const sleep = async (ms: number): Promise<void> => {
    if (ms < 10_000) return clock.sleep(ms);
    const until = clock.now() + ms;
    const stop = startProgress(log, () => `… still waiting to retry the Slack ${policy.what}: ${formatDuration(Math.max(0, until - clock.now()))} left`);
    try {
      await clock.sleep(ms);
    } finally {
      stop();
    }
  };
  try {
    const value = await retry(
      async () => {
        attempts++;
        return attempt();
      },
      {
        retries: policy.retries,
        minDelayMs: MIN_BACKOFF_MS,
        maxDelayMs: MAX_BACKOFF_MS,
        factor: 2,
        jitter: 0.2,
        ...(policy.random ? { random: policy.random } : {}),
        clock: { sleep },
        retryable: (error) => error instanceof SlackDeliveryError && error.retryable && (error.retryAfterMs ?? 0) <= MAX_RETRY_AFTER_MS,
        retryAfterMs: (error) => (error instanceof SlackDeliveryError && error.kind === 'rate-limited' ? error.retryAfterMs : undefined),
        onRetry: (error, n, delay) => {
          const what = error instanceof SlackDeliveryError ? describeFailure(error) : String(error);
          log.info(`Slack ${policy.what}: attempt ${n} of ${policy.retries + 1}: ${what}; retrying in ${formatDuration(delay)}`);
        },
      },
    );
    return { value, attempts };
  } catch (error) {
    if (!(error instanceof SlackDeliveryError)) throw error;
    let reason = describeFailure(error);
    if (error.retryable && (error.retryAfterMs ?? 0) > MAX_RETRY_AFTER_MS) {
      reason += `; Slack asked to wait ${formatDuration(error.retryAfterMs ?? 0)}, longer than the ${formatDuration(MAX_RETRY_AFTER_MS)} this step waits`;
    } else if (error.retryable) {
      reason += `; gave up after ${attempts} attempt${attempts > 1 ? 's' : ''} (retries: ${policy.retries})`;
    }
    throw new DeliveryFailedError(error, attempts, reason);
  }
}
