/**
 * The retry loop, with a scripted transport and a clock that records every sleep: timings are
 * asserted exactly, and no test waits.
 */
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseFileCommands } from '../../harness/contract.js';
import { DeliveryFailedError, MAX_RETRY_AFTER_MS, withRetries } from '../../../src/slack/deliver.js';
import { jobMessageVariable, matchJobMessage, readJobMessage, saveJobMessage } from '../../../src/slack/job-state.js';
import { SlackDeliveryError } from '../../../src/slack/transport.js';
import { describeSdkError } from '../../../src/slack/web-api.js';
import { fakeServices, FakeClock } from './fakes.js';

/** An attempt that fails with `failures` in order, then succeeds. */
function scripted(failures: SlackDeliveryError[]): { attempt: () => Promise<string>; calls: number[] } {
  const calls: number[] = [];
  let n = 0;
  return {
    calls,
    attempt: async () => {
      calls.push(n);
      const failure = failures[n++];
      if (failure) throw failure;
      return 'ok';
    },
  };
}

const policy = (retries: number, clock = new FakeClock()) => ({ retries, clock, log: fakeServices().services.log, random: () => 0.5, what: 'post' });
const rateLimited = (seconds?: number) => new SlackDeliveryError('rate-limited', 'rate_limited', 429, seconds === undefined ? undefined : seconds * 1000);

describe('retries', () => {
  it('waits exactly what each Retry-After asked', async () => {
    const clock = new FakeClock();
    const { attempt } = scripted([rateLimited(3), rateLimited(0), rateLimited(17)]);
    expect(await withRetries(attempt, policy(5, clock))).toEqual({ value: 'ok', attempts: 4 });
    expect(clock.sleeps).toEqual([3000, 0, 17_000]);
  });

  it('backs off exponentially on 5xx and network errors (1 s, 2 s, 4 s …, capped at 30 s)', async () => {
    const clock = new FakeClock();
    const failures = [...Array.from({ length: 3 }, () => new SlackDeliveryError('server', 'rollup_error', 500)), ...Array.from({ length: 4 }, () => new SlackDeliveryError('network', 'ECONNRESET'))];
    const { attempt } = scripted(failures);
    expect((await withRetries(attempt, policy(10, clock))).attempts).toBe(8);
    expect(clock.sleeps).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('backs off when a 429 has no usable Retry-After', async () => {
    const clock = new FakeClock();
    await withRetries(scripted([rateLimited(), rateLimited()]).attempt, policy(5, clock));
    expect(clock.sleeps).toEqual([1000, 2000]);
  });

  it('jitters the backoff by ±20%', async () => {
    for (const [random, expected] of [[0, 800], [1, 1200]] as const) {
      const clock = new FakeClock();
      await withRetries(scripted([new SlackDeliveryError('server', 'x', 503)]).attempt, { ...policy(1, clock), random: () => random });
      expect(clock.sleeps).toEqual([expected]);
    }
  });

  it('gives up after `retries` retries and says so', async () => {
    const clock = new FakeClock();
    const { attempt, calls } = scripted(Array.from({ length: 10 }, () => rateLimited(2)));
    const error = await withRetries(attempt, policy(3, clock)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryFailedError);
    expect(calls).toHaveLength(4);
    expect(clock.sleeps).toEqual([2000, 2000, 2000]);
    expect((error as DeliveryFailedError).attempts).toBe(4);
    expect((error as Error).message).toBe('rate limited (HTTP 429 rate_limited, Retry-After 2.0 s); gave up after 4 attempts (retries: 3)');
  });

  it('does not retry what Slack rejected on purpose', async () => {
    const clock = new FakeClock();
    const { attempt, calls } = scripted([new SlackDeliveryError('rejected', 'channel_is_archived', 410)]);
    const error = (await withRetries(attempt, policy(5, clock)).catch((e: unknown) => e)) as DeliveryFailedError;
    expect(calls).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(error.message).toBe('Slack answered HTTP 410 channel_is_archived');
  });

  it('does not wait out a Retry-After longer than the cap', async () => {
    const clock = new FakeClock();
    const error = (await withRetries(scripted([rateLimited(MAX_RETRY_AFTER_MS / 1000 + 1)]).attempt, policy(5, clock)).catch((e: unknown) => e)) as DeliveryFailedError;
    expect(clock.sleeps).toEqual([]);
    expect(error.message).toBe('rate limited (HTTP 429 rate_limited, Retry-After 2m 1s); Slack asked to wait 2m 1s, longer than the 2m this step waits');
  });

  it('with retries 0 makes one attempt', async () => {
    const { attempt, calls } = scripted([new SlackDeliveryError('server', 'x', 500)]);
    await expect(withRetries(attempt, policy(0))).rejects.toBeInstanceOf(DeliveryFailedError);
    expect(calls).toHaveLength(1);
  });

  it('logs each retry with its reason and wait', async () => {
    const { runner, services } = fakeServices();
    const clock = new FakeClock();
    await withRetries(scripted([rateLimited(12)]).attempt, { ...policy(1, clock), log: services.log });
    expect(runner.log).toContain('Slack post: attempt 1 of 2: rate limited (HTTP 429 rate_limited, Retry-After 12.0 s); retrying in 12.0 s');
  });

  it('logs progress at least every 15 s while it waits a long Retry-After', async () => {
    vi.useFakeTimers();
    try {
      const { runner, services } = fakeServices();
      const realtime = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
      const done = withRetries(scripted([rateLimited(25)]).attempt, { ...policy(1), clock: realtime, log: services.log });
      await vi.advanceTimersByTimeAsync(25_000);
      await done;
      expect(runner.lines.filter((l) => l.startsWith('… still waiting'))).toEqual([
        '… still waiting to retry the Slack post: 15.0 s left',
        '… still waiting to retry the Slack post: 5.0 s left',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('lets a bug through untouched (with its stack)', async () => {
    const bug = new TypeError('x is undefined');
    await expect(withRetries(async () => Promise.reject(bug), policy(3))).rejects.toBe(bug);
  });
});

describe('Web API errors (as @slack/web-api throws them)', () => {
  it.each([
    [{ code: 'slack_webapi_rate_limited_error', retryAfter: 7 }, ['rate-limited', 'ratelimited', 429, 7000]],
    [{ code: 'slack_webapi_platform_error', data: { ok: false, error: 'channel_not_found' } }, ['rejected', 'channel_not_found', undefined, undefined]],
    [{ code: 'slack_webapi_platform_error', data: { ok: false, error: 'internal_error' } }, ['server', 'internal_error', undefined, undefined]],
    [{ code: 'slack_webapi_platform_error', data: { ok: false, error: 'ratelimited', response_metadata: { retryAfter: 4 } } }, ['rate-limited', 'ratelimited', undefined, 4000]],
    [{ code: 'slack_webapi_http_error', statusCode: 503, body: 'upstream down' }, ['server', 'upstream down', 503, undefined]],
    [{ code: 'slack_webapi_http_error', statusCode: 404, body: '' }, ['rejected', 'http_error', 404, undefined]],
    [{ code: 'slack_webapi_http_error', statusCode: 500, body: { ok: false, error: 'rollup_error' } }, ['server', 'rollup_error', 500, undefined]],
    [{ code: 'slack_webapi_request_error', original: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' } }) }, ['network', 'ECONNREFUSED', undefined, undefined]],
    [new Error('Retry header did not contain a valid timeout (url: x, retry-after header: soon)'), ['rate-limited', 'ratelimited', 429, undefined]],
  ])('%j', (thrown, [kind, code, status, retryAfterMs]) => {
    const error = describeSdkError(thrown);
    expect([error.kind, error.code, error.status, error.retryAfterMs]).toEqual([kind, code, status, retryAfterMs]);
  });
});

describe('one message per deployment (job state)', () => {
  it('keys by environment', () => {
    expect(jobMessageVariable('production')).toBe('SHIPLINE_SLACK_PRODUCTION');
    expect(jobMessageVariable('eu-west/prod')).toBe('SHIPLINE_SLACK_EU_WEST_PROD');
    expect(jobMessageVariable(undefined)).toBe('SHIPLINE_SLACK_DEFAULT');
  });

  it('writes GITHUB_ENV in the runner format and reads it back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slack-env-'));
    const file = join(dir, 'env');
    writeFileSync(file, '');
    expect(saveJobMessage({ GITHUB_ENV: file }, 'production', { ts: '1.000001', channel: 'C1', requested: '#deploys', startedAt: 5 })).toBe(true);
    const written = parseFileCommands(readFileSync(file, 'utf8'));
    const env = { SHIPLINE_SLACK_PRODUCTION: written['SHIPLINE_SLACK_PRODUCTION'] };
    expect(readJobMessage(env, 'production')).toEqual({ ts: '1.000001', channel: 'C1', requested: '#deploys', startedAt: 5 });
    expect(saveJobMessage({}, 'production', {})).toBe(false);
  });

  it.each([
    ['C1', true],
    ['#deploys', true],
    ['deploys', true],
    ['#other', false],
    [undefined, false],
  ])('matches the earlier message for channel %j: %s', (channel, matches) => {
    expect(matchJobMessage({ ts: '1.000001', channel: 'C1', requested: '#deploys' }, channel) !== undefined).toBe(matches);
  });

  it('ignores a garbled variable', () => {
    expect(readJobMessage({ SHIPLINE_SLACK_DEFAULT: '{not json' }, undefined)).toEqual({});
    expect(readJobMessage({ SHIPLINE_SLACK_DEFAULT: '{"ts": "yesterday", "startedAt": "x"}' }, undefined)).toEqual({});
  });
});
