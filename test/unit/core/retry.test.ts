import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, retry } from '../../../src/core/index.js';

function fakeClock(): { sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms) };
}

describe('retry', () => {
  it('retries until success with exponential backoff', async () => {
    const clock = fakeClock();
    let calls = 0;
    const value = await retry(
      async () => {
        if (++calls < 4) throw new Error(`fail ${calls}`);
        return 'ok';
      },
      { retries: 5, minDelayMs: 100, jitter: 0, clock },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(4);
    expect(clock.sleeps).toEqual([100, 200, 400]);
  });

  it('gives up after `retries` retries and rethrows the last error', async () => {
    const clock = fakeClock();
    let calls = 0;
    await expect(
      retry(
        async () => {
          throw new Error(`fail ${++calls}`);
        },
        { retries: 2, minDelayMs: 10, jitter: 0, clock },
      ),
    ).rejects.toThrow('fail 3');
    expect(clock.sleeps).toEqual([10, 20]);
  });

  it('does not retry errors that are not retryable', async () => {
    const clock = fakeClock();
    await expect(
      retry(
        async () => {
          throw new Error('400 bad request');
        },
        { retries: 5, minDelayMs: 10, clock, retryable: () => false },
      ),
    ).rejects.toThrow('400');
    expect(clock.sleeps).toEqual([]);
  });

  it('waits what the server asked for (Retry-After) instead of the backoff', async () => {
    const clock = fakeClock();
    let calls = 0;
    await retry(
      async () => {
        if (++calls === 1) throw Object.assign(new Error('429'), { retryAfter: 7000 });
        return 1;
      },
      { retries: 3, minDelayMs: 10, clock, retryAfterMs: (e) => (e as { retryAfter?: number }).retryAfter },
    );
    expect(clock.sleeps).toEqual([7000]);
  });

  it('caps and jitters the backoff within bounds', () => {
    expect(backoffDelay(10, { minDelayMs: 1000, maxDelayMs: 5000, jitter: 0 })).toBe(5000);
    expect(backoffDelay(1, { minDelayMs: 1000, jitter: 0.5, random: () => 0 })).toBe(500);
    expect(backoffDelay(1, { minDelayMs: 1000, jitter: 0.5, random: () => 0.999999 })).toBe(1500);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-22T10:00:00Z');
  it.each([
    ['3', 3000],
    ['0', 0],
    ['1.5', 1500],
    ['Sun, 22 Nov 2026 10:00:30 GMT', 30_000],
    ['Sun, 22 Nov 2026 09:59:00 GMT', 0],
  ])('%j → %d ms', (header, ms) => expect(parseRetryAfter(header, now)).toBe(ms));
  it.each([null, undefined, '', 'soon'])('%j → undefined', (header) => expect(parseRetryAfter(header, now)).toBeUndefined());
});
