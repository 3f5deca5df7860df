/**
 * slack-notify with a bot token through @slack/web-api, against the loopback Slack emulator
 * (SLACK_API_URL points WebClient's slackApiUrl at it).
 */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSlackServer, type SlackServer } from '../../helpers/slack-server.js';
import { FakeClock } from '../../unit/slack/fakes.js';
import { notify } from './notify.js';

let slack: SlackServer;
beforeAll(async () => {
  slack = await startSlackServer();
});
afterAll(async () => slack.stop());
beforeEach(() => slack.reset());

const bot = (inputs: Record<string, string> = {}) => ({ 'bot-token': slack.token, channel: '#deploys', environment: 'production', status: 'success', ...inputs });
const header = (blocks: unknown[] | undefined): string => (blocks?.[0] as { text: { text: string } }).text.text;

describe('slack-notify with a bot token (Web API, loopback Slack emulator)', () => {
  it('posts with chat.postMessage and outputs ts and the channel ID', async () => {
    const run = await notify(slack, bot());
    expect(run.code).toBe(0);
    const [message] = slack.messages;
    expect(message).toMatchObject({ via: 'api', channel: 'C0DEPLOYS1' });
    expect(run.outputs).toEqual({ delivered: 'true', ts: message?.ts, channel: 'C0DEPLOYS1' });
    expect(run.runner.summary).toBe(`**Slack** ✅ success notification posted in \`C0DEPLOYS1\` (ts \`${message?.ts}\`) — 1 attempt.\n\n`);
    expect(slack.requests[0]?.headers['authorization']).toBe(`Bearer ${slack.token}`);
  });

  it('edits a message by update-ts (chat.update) and keeps its ts', async () => {
    const posted = await new WebClient(slack.token, { slackApiUrl: slack.apiUrl }).chat.postMessage({ channel: 'C0DEPLOYS1', text: 'deploying…' });
    const run = await notify(slack, bot({ channel: 'C0DEPLOYS1', 'update-ts': posted.ts as string, status: 'failure', 'mention-on-failure': 'here' }));
    expect(run.outputs).toEqual({ delivered: 'true', ts: posted.ts, channel: 'C0DEPLOYS1' });
    expect(slack.messages).toHaveLength(1);
    const message = slack.message(posted.ts as string);
    expect(message?.history).toEqual([{ text: 'deploying…' }]);
    expect(header(message?.blocks)).toBe('❌ Deployment of acme/api to production failed');
    expect(message?.text?.startsWith('<!here> ❌')).toBe(true);
    expect(slack.requests.map((r) => r.method)).toEqual(['chat.postMessage', 'chat.update']);
    expect(run.runner.summary).toContain('failure notification updated in `C0DEPLOYS1`');
  });

  it('keeps one message per deployment: a later step of the job edits the `started` message, with its duration', async () => {
    const clock = new FakeClock();
    const started = await notify(slack, bot({ status: 'started' }), { clock });
    const ts = started.outputs['ts'] as string;
    expect(JSON.parse(started.exported['SHIPLINE_SLACK_PRODUCTION'] as string)).toEqual({ startedAt: clock.time, ts, channel: 'C0DEPLOYS1', requested: '#deploys' });
    clock.time += 42_000;
    const done = await notify(slack, bot({ status: 'success' }), { clock, env: started.exported });
    expect(done.outputs['ts']).toBe(ts);
    expect(slack.messages).toHaveLength(1);
    const message = slack.message(ts);
    expect(header(message?.history[0]?.['blocks'] as unknown[])).toBe('🚀 Deploying acme/api to production');
    expect(header(message?.blocks)).toBe('✅ Deployed acme/api to production');
    expect(JSON.stringify(message?.blocks)).toContain('*Duration*\\n42.0 s');
    expect(done.runner.log).toContain(`Slack: success notification via Web API (bot token) to #deploys (updating ${ts}, posted earlier in this job)`);
    // Another environment, or `update-ts: new`, posts its own message.
    await notify(slack, bot({ environment: 'staging' }), { clock, env: started.exported });
    await notify(slack, bot({ 'update-ts': 'new' }), { clock, env: started.exported });
    expect(slack.messages).toHaveLength(3);
  });

  it('posts a new message when the one to update is gone (message_not_found)', async () => {
    const run = await notify(slack, bot({ channel: 'C0DEPLOYS1', 'update-ts': '1700000000.999999' }));
    expect(run.outputs['delivered']).toBe('true');
    expect(slack.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['chat.update 200', 'chat.postMessage 200']);
    expect(run.warnings).toEqual(['Slack: message 1700000000.999999 could not be updated (message_not_found); posting a new message instead']);
    expect(run.runner.summary).toContain('— 2 attempts; message 1700000000.999999 could not be updated (message_not_found): posted a new one.');
  });

  it('honours the Web API 429 Retry-After (ratelimited), exactly', async () => {
    slack.script({ route: 'chat.postMessage', status: 429, retryAfter: 5 }, { route: 'chat.postMessage', status: 429, retryAfter: 1 });
    const run = await notify(slack, bot());
    expect(run.outputs['delivered']).toBe('true');
    expect(run.clock.sleeps).toEqual([5000, 1000]);
    expect(slack.requests.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(run.runner.log).toContain('attempt 1 of 6: rate limited (HTTP 429 ratelimited, Retry-After 5.0 s); retrying in 5.0 s');
  });

  it('retries transient { ok: false } errors and 5xx, not deliberate ones', async () => {
    slack.script({ route: 'chat.postMessage', body: { ok: false, error: 'internal_error' } }, { route: 'chat.postMessage', status: 502, body: 'bad gateway' });
    const run = await notify(slack, bot());
    expect(run.outputs['delivered']).toBe('true');
    expect(slack.requests).toHaveLength(3);
    expect(run.clock.sleeps).toHaveLength(2);
    expect(run.runner.log).toContain('attempt 1 of 6: Slack answered internal_error; retrying in');
    expect(run.runner.log).toContain('attempt 2 of 6: Slack answered HTTP 502 bad gateway; retrying in');
  });

  it.each([
    ['#nope', 'channel_not_found'],
    ['#old-deploys', 'is_archived'],
    ['#private-ops', 'not_in_channel'],
  ])('does not retry %s (%s): a warning and delivered=false', async (channel, code) => {
    const run = await notify(slack, bot({ channel }));
    expect(run.code).toBe(0);
    expect(run.outputs).toEqual({ delivered: 'false', ts: '', channel: '' });
    expect(slack.requests).toHaveLength(1);
    expect(run.warnings).toEqual([`Slack success notification was not delivered: Slack answered ${code} (fail-on-error is false: the step goes on)`]);
  });

  it('fails the step on a revoked token with fail-on-error: true, never printing the token', async () => {
    const token = 'xoxb-999-revoked-token-abcdef';
    const run = await notify(slack, bot({ 'bot-token': token, 'fail-on-error': 'true' }));
    expect(run.code).toBe(1);
    expect(run.errors).toEqual(['Slack success notification was not delivered: Slack answered invalid_auth']);
    expect(run.runner.secrets).toEqual([token]);
    expect(run.runner.lines.filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain(token);
  });

  it('never prints the token, even in debug logs of the SDK', async () => {
    const run = await notify(slack, bot(), { env: { RUNNER_DEBUG: '1' } });
    expect(run.runner.log).toContain('::debug::@slack/web-api:');
    expect(run.runner.lines.filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain(slack.token);
  });

  it('replies in a thread with thread-ts', async () => {
    const parent = await notify(slack, bot({ status: 'started', 'update-ts': 'new' }));
    const reply = await notify(slack, bot({ 'thread-ts': parent.outputs['ts'] as string, text: 'smoke tests passed' }), { env: parent.exported });
    expect(reply.outputs['ts']).not.toBe(parent.outputs['ts']);
    expect(slack.messages.map((m) => m.threadTs)).toEqual([undefined, parent.outputs['ts']]);
    // The reply does not become the deployment's message: the next step edits the parent.
    expect(reply.exported).toEqual(parent.exported);
    const done = await notify(slack, bot(), { env: reply.exported });
    expect(done.outputs['ts']).toBe(parent.outputs['ts']);
    expect(slack.messages).toHaveLength(2);
  });

  it('sends a custom payload to the channel it names, with placeholders filled', async () => {
    const run = await notify(slack, bot({ channel: '', payload: 'channel: "#deploys"\ntext: "{{ status_emoji }} {{ repository }}@{{ short_sha }} → {{ environment }}"\n' }));
    expect(run.outputs['channel']).toBe('C0DEPLOYS1');
    expect(slack.messages[0]?.text).toBe('✅ acme/api@0123456 → production');
    // The channel input, when given, wins over the payload's.
    await notify(slack, bot({ channel: 'C0DEPLOYS1', payload: '{"channel": "#nope", "text": "x"}' }));
    expect(slack.messages.map((m) => m.channel)).toEqual(['C0DEPLOYS1', 'C0DEPLOYS1']);
  });
});
