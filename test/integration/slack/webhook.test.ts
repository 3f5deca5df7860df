/**
 * slack-notify through an incoming webhook, against the loopback Slack emulator
 * (test/helpers/slack-server.ts, checked against Slack's documented answers in emulator.test.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServices } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { readSlackNotifyInputs } from '../../../src/actions/slack-notify/inputs.js';
import { InputReader } from '../../../src/core/inputs.js';
import { runSlackNotify } from '../../../src/slack/run.js';
import { blocksProblem, startSlackServer, type SlackServer } from '../../helpers/slack-server.js';
import { FakeClock, GITHUB_ENV_VARS } from '../../unit/slack/fakes.js';
import { eventFile, notify } from './notify.js';

let slack: SlackServer;
beforeAll(async () => {
  slack = await startSlackServer();
});
afterAll(async () => slack.stop());
beforeEach(() => slack.reset());

const hook = (inputs: Record<string, string> = {}) => ({ 'webhook-url': slack.webhookUrl, 'job-status': 'success', environment: 'production', ...inputs });
const secretPart = (): string => slack.webhookUrl.split('/').at(-1) as string;

describe('slack-notify via incoming webhook (loopback Slack emulator)', () => {
  it('delivers the default message and reports it', async () => {
    const run = await notify(slack, hook({ image: 'ghcr.io/acme/api@sha256:' + 'c'.repeat(64) }));
    expect(run.code).toBe(0);
    expect(run.outputs).toEqual({ delivered: 'true', ts: '', channel: '' });
    expect(slack.messages).toHaveLength(1);
    const [message] = slack.messages;
    expect(message?.text).toBe('✅ Deployed acme/api to production (0123456) by octocat');
    expect(JSON.stringify(message?.blocks)).toContain('ghcr.io/acme/api@sha256:cccccccccccc');
    expect(message?.payload).toMatchObject({ unfurl_links: false, unfurl_media: false });
    expect(run.runner.summary).toBe('**Slack** ✅ success notification posted via incoming webhook — 1 attempt.\n\n');
    expect(run.runner.log).toContain('Slack: success notification posted after 1 attempt.');
  });

  it('honours Retry-After on webhook 429s, exactly, and then delivers', async () => {
    slack.script({ route: 'webhook', status: 429, retryAfter: 7, times: 2 });
    const run = await notify(slack, hook());
    expect(run.outputs['delivered']).toBe('true');
    expect(run.clock.sleeps).toEqual([7000, 7000]);
    expect(slack.requests.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(run.runner.log).toContain('attempt 1 of 6: rate limited (HTTP 429 rate_limited, Retry-After 7.0 s); retrying in 7.0 s');
    expect(run.runner.summary).toContain('— 3 attempts.');
  });

  it('gives up after `retries`, warns, and does not fail the step (fail-on-error: false)', async () => {
    slack.script({ route: 'webhook', status: 429, retryAfter: 2, times: 10 });
    const run = await notify(slack, hook({ retries: '2' }));
    expect(run.code).toBe(0);
    expect(run.outputs).toEqual({ delivered: 'false', ts: '', channel: '' });
    expect(slack.requests).toHaveLength(3);
    expect(run.clock.sleeps).toEqual([2000, 2000]);
    expect(run.warnings).toEqual([
      'Slack success notification was not delivered: rate limited (HTTP 429 rate_limited, Retry-After 2.0 s); gave up after 3 attempts (retries: 2) (fail-on-error is false: the step goes on)',
    ]);
    expect(run.errors).toEqual([]);
    expect(run.runner.summary).toContain('**Slack** ⚠️ success notification not delivered: rate limited');
  });

  it.each([
    ['an archived channel', 'old-deploys', 'HTTP 410 channel_is_archived'],
    ['a deleted channel', 'gone', 'HTTP 404 channel_not_found'],
  ])('fails the step on %s with fail-on-error: true, without retrying', async (_what, channel, answer) => {
    const run = await notify(slack, hook({ 'webhook-url': slack.addWebhook(channel), 'fail-on-error': 'true' }));
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([`Slack success notification was not delivered: Slack answered ${answer}`]);
    expect(run.outputs['delivered']).toBe('false');
    expect(slack.requests).toHaveLength(1);
    expect(run.clock.sleeps).toEqual([]);
  });

  it('fails the step on a revoked webhook (403 no_service) with fail-on-error: true', async () => {
    const run = await notify(slack, hook({ 'webhook-url': slack.webhookUrl.replace(/\/[^/]+$/, '/revokedrevoked'), 'fail-on-error': 'true' }));
    expect(run.errors).toEqual(['Slack success notification was not delivered: Slack answered HTTP 403 no_service']);
  });

  it('backs off on 500 rollup_error and on a dropped connection, then delivers', async () => {
    slack.script({ route: 'webhook', status: 500 }, { route: 'webhook', drop: true });
    const run = await notify(slack, hook());
    expect(run.outputs['delivered']).toBe('true');
    expect(slack.requests.map((r) => r.status)).toEqual([500, -1, 200]);
    expect(run.clock.sleeps).toHaveLength(2);
    expect(run.clock.sleeps[0]).toBeGreaterThanOrEqual(800);
    expect(run.clock.sleeps[0]).toBeLessThanOrEqual(1200);
    expect(run.clock.sleeps[1]).toBeGreaterThanOrEqual(1600);
    expect(run.clock.sleeps[1]).toBeLessThanOrEqual(2400);
    expect(run.runner.log).toMatch(/attempt 1 of 6: Slack answered HTTP 500 rollup_error; retrying in/);
    expect(run.runner.log).toMatch(/attempt 2 of 6: no response \((UND_ERR_SOCKET|ECONNRESET|other side closed)[^)]*\)/);
  });

  it('backs off exactly 1 s, 2 s, 4 s with the jitter pinned, then gives up', async () => {
    slack.script({ route: 'webhook', status: 503, times: 10 });
    const runner = new MemoryRunner({}, GITHUB_ENV_VARS);
    const clock = new FakeClock();
    const services = createServices(runner, { clock });
    const inputs = await readSlackNotifyInputs(new InputReader((n) => hook({ retries: '3' })[n as 'webhook-url'] ?? ''), services);
    const result = await runSlackNotify(inputs, services, { random: () => 0.5 });
    expect(result).toMatchObject({ delivered: false, attempts: 4 });
    expect(clock.sleeps).toEqual([1000, 2000, 4000]);
  });

  it('times out a Slack that does not answer, and retries', async () => {
    slack.script({ route: 'webhook', delayMs: 1500 });
    const runner = new MemoryRunner({}, GITHUB_ENV_VARS);
    const clock = new FakeClock();
    const services = createServices(runner, { clock });
    const inputs = await readSlackNotifyInputs(new InputReader((n) => hook()[n as 'webhook-url'] ?? ''), services);
    const result = await runSlackNotify(inputs, services, { random: () => 0.5, requestTimeoutMs: 300 });
    expect(result).toMatchObject({ delivered: true, attempts: 2 });
    expect(clock.sleeps).toEqual([1000]);
    expect(runner.log).toContain('attempt 1 of 6: no response (timeout); retrying in 1.0 s');
  });

  it('escapes hostile values end to end: commit message, author, and {{ }} placeholders in text and fields', async () => {
    const hostile = 'Fix "quotes" \\ <!channel> <!here|here> & <https://evil.example|login> 🚀 ünïcödé\nsecond line';
    const run = await notify(
      slack,
      hook({
        text: 'Notes: <https://example.com/notes|v1.2> <!channel> — {{ commit_message }} {{ stauts }}',
        fields: 'Note: "{{ commit_message }}"\nPasted: "<!here> <https://x.example|x>"',
      }),
      { env: { GITHUB_EVENT_PATH: eventFile({ head_commit: { message: hostile, author: { name: 'Eve <@U0EVE>\n<!everyone>' } } }) } },
    );
    expect(run.outputs['delivered']).toBe('true');
    // The request body is valid JSON whatever the values held…
    const sent = JSON.parse(slack.requests[0]?.body as string) as { blocks: { text?: { text: string }; fields?: { text: string }[] }[] };
    const json = JSON.stringify(sent);
    // …and no broadcast, user mention or foreign link survived as markup.
    expect(json).not.toMatch(/<!channel>|<!here|<!everyone>|<@U0EVE>|<https:\/\/evil/);
    const safe = 'Fix "quotes" \\ &lt;!channel&gt; &lt;!here|here&gt; &amp; &lt;https://evil.example|login&gt; 🚀 ünïcödé';
    expect(sent.blocks[1]?.text?.text).toBe(`Notes: <https://example.com/notes|v1.2> &lt;!channel&gt; — ${safe} {{ stauts }}`);
    const fields = sent.blocks[2]?.fields?.map((f) => f.text);
    expect(fields).toContain(`*Commit*\n<https://github.com/acme/api/commit/${GITHUB_ENV_VARS['GITHUB_SHA']}|0123456> ${safe}`);
    expect(fields).toContain('*Author*\nEve &lt;@U0EVE&gt;\n&lt;!everyone&gt;');
    expect(fields).toContain(`*Note*\n${safe}`);
    // Text pasted into an input (a ${{ }} expansion) keeps its links but loses broadcasts.
    expect(fields).toContain('*Pasted*\n&lt;!here&gt; <https://x.example|x>');
    expect(run.warnings).toEqual([expect.stringMatching(/^left as written \(not a known placeholder\): \{\{ stauts \}\}; known: status, /)]);
  });

  it('fills a custom payload with hostile values without breaking it', async () => {
    const hostile = '"}], "text": "pwned", "x": [{"' + '\n<!channel> \\u0000 ✨';
    const run = await notify(
      slack,
      hook({
        payload: '{\n  "text": "{{ commit_message }}",\n  "blocks": [\n    {"type": "header", "text": {"type": "plain_text", "text": "{{ status_emoji }} {{ title }}"}},\n    {"type": "section", "text": {"type": "mrkdwn", "text": "by {{ commit_author }} in {{ env.REGION }}"}}\n  ]\n}',
      }),
      { env: { REGION: 'eu-west-1 "a"', GITHUB_EVENT_PATH: eventFile({ head_commit: { message: hostile, author: { name: 'Eve <@U0EVE>' } } }) } },
    );
    expect(run.outputs['delivered']).toBe('true');
    const message = slack.messages[0];
    expect(message?.text).toBe('"}], "text": "pwned", "x": [{"');
    expect(message?.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: '✅ Deployed acme/api to production' } },
      { type: 'section', text: { type: 'mrkdwn', text: 'by Eve &lt;@U0EVE&gt; in eu-west-1 "a"' } },
    ]);
    expect(Object.keys(message?.payload ?? {}).sort()).toEqual(['blocks', 'text']);
  });

  it('cuts an oversized payload to Slack limits so the message is accepted, not rejected', async () => {
    const payload = {
      text: 'big',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'H'.repeat(300) } },
        { type: 'section', text: { type: 'mrkdwn', text: 'S'.repeat(5000) } },
        ...Array.from({ length: 80 }, (_, i) => ({ type: 'section', text: { type: 'mrkdwn', text: `row ${i}` } })),
      ],
    };
    expect(blocksProblem(payload.blocks)).toBeDefined();
    const run = await notify(slack, hook({ payload: JSON.stringify(payload) }));
    expect(run.outputs['delivered']).toBe('true');
    expect(slack.messages[0]?.blocks).toHaveLength(50);
    expect(run.runner.log).toContain("cut to Slack's limits: 82 blocks, kept 49 and a marker (Slack allows 50)");
    expect(run.runner.log).toContain("cut to Slack's limits: block 1 (header) text cut from 300 to 150 characters");
    expect(run.runner.summary).toContain('82 blocks, kept 49');
  });

  it('re-sends as plain text when Slack rejects the blocks (invalid_blocks), so the message still arrives', async () => {
    slack.script({ route: 'webhook', status: 400, body: 'invalid_blocks' });
    const run = await notify(slack, hook());
    expect(run.outputs['delivered']).toBe('true');
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]?.blocks).toBeUndefined();
    expect(slack.messages[0]?.text).toBe('✅ Deployed acme/api to production (0123456) by octocat');
    expect(run.warnings).toEqual(["Slack rejected the message's blocks (HTTP 400 invalid_blocks); sending it again as plain text"]);
  });

  it('never prints the webhook URL or its secret part, even when delivery fails', async () => {
    const url = slack.addWebhook('gone');
    const run = await notify(slack, hook({ 'webhook-url': url, 'mention-on-failure': 'here' }));
    expect(run.runner.secrets).toContain(url);
    const secret = url.split('/').at(-1) as string;
    expect(run.runner.secrets).toContain(secret);
    const printed = run.runner.lines.filter((l) => !l.startsWith('::add-mask::')).join('\n') + run.runner.summary;
    expect(printed).not.toContain(secret);
    expect(printed).not.toContain(secretPart());
    expect(run.warnings[0]).toContain('channel_not_found');
  });

  it('warns that channel is ignored with a webhook', async () => {
    const run = await notify(slack, hook({ channel: '#elsewhere' }));
    expect(run.warnings[0]).toMatch(/^channel '#elsewhere' is ignored: an incoming webhook always posts to the channel it was created for/);
    expect(slack.messages[0]?.channel).toBe('C0DEPLOYS1');
  });

  it('shows the duration since the job\'s `started` notification', async () => {
    const clock = new FakeClock();
    const started = await notify(slack, hook({ status: 'started' }), { clock });
    expect(started.exported).toEqual({ SHIPLINE_SLACK_PRODUCTION: JSON.stringify({ startedAt: clock.time }) });
    clock.time += 95_000;
    const done = await notify(slack, hook(), { clock, env: started.exported });
    expect(JSON.stringify(slack.messages[1]?.blocks)).toContain('*Duration*\\n1m 35s');
    expect(done.exported).toEqual(started.exported);
  });

  it('does nothing on a bad input: one error line, no request', async () => {
    const run = await notify(slack, { 'webhook-url': slack.webhookUrl, status: 'shipped' });
    expect(run.code).toBe(1);
    expect(run.errors).toEqual(["Input 'status': expected one of started, success, failure, cancelled, rolled-back, got 'shipped'"]);
    expect(slack.requests).toHaveLength(0);
  });
});
