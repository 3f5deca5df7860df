/**
 * The Slack emulator (test/helpers/slack-server.ts) checked with Slack's own SDK clients: if
 * @slack/webhook and @slack/web-api see the answers they are built to see from Slack (status codes
 * and error strings for webhooks, `{ ok: false, error }` and 429 + Retry-After for the Web API), the
 * emulator is a fair stand-in for the tests that use it.
 */
import { IncomingWebhook } from '@slack/webhook';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSlackServer, type SlackServer } from '../../helpers/slack-server.js';

let slack: SlackServer;
beforeAll(async () => {
  slack = await startSlackServer();
});
afterAll(async () => slack.stop());
beforeEach(() => slack.reset());

const client = (token = slack.token): WebClient => new WebClient(token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });

async function webhookError(url: string, message: Record<string, unknown> = { text: 'hi' }): Promise<{ statusCode: number; body: string }> {
  const error = (await new IncomingWebhook(url).send(message).catch((e: unknown) => e)) as { original?: { statusCode: number; body: string }; statusCode?: number; body?: string };
  // p-retry's AbortError wraps 4xx; 5xx come through as they are.
  const http = error.original ?? error;
  return { statusCode: http.statusCode as number, body: http.body as string };
}

describe('Slack emulator, seen through Slack SDK clients', () => {
  it('incoming webhook: 200 ok, message recorded', async () => {
    const result = await new IncomingWebhook(slack.webhookUrl).send({ text: 'hello', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }] });
    expect(result.text).toBe('ok');
    expect(slack.messages).toMatchObject([{ via: 'webhook', channel: 'C0DEPLOYS1', text: 'hello', blocks: [{ type: 'section' }] }]);
  });

  it.each([
    ['an archived channel', () => slack.addWebhook('old-deploys'), { text: 'x' }, 410, 'channel_is_archived'],
    ['a deleted channel', () => slack.addWebhook('gone'), { text: 'x' }, 404, 'channel_not_found'],
    ['a revoked webhook', () => slack.webhookUrl.replace(/\/[^/]+$/, '/revoked0000000000'), { text: 'x' }, 403, 'no_service'],
    ['another team', () => slack.webhookUrl.replace('T0SHIPLINE', 'T0OTHER'), { text: 'x' }, 403, 'no_team'],
    ['no text', () => slack.webhookUrl, { username: 'x' }, 400, 'no_text'],
    ['a header over 150 characters', () => slack.webhookUrl, { text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] }, 400, 'invalid_blocks'],
    ['51 blocks', () => slack.webhookUrl, { text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) }, 400, 'invalid_blocks'],
  ])('incoming webhook to %s: HTTP %i %s', async (_what, url, message, statusCode, body) => {
    expect(await webhookError(url(), message)).toEqual({ statusCode, body });
    expect(slack.messages).toHaveLength(0);
  });

  it('incoming webhook: a body that is not JSON is 400 invalid_payload', async () => {
    const response = await fetch(slack.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text": "unterminated' });
    expect([response.status, await response.text()]).toEqual([400, 'invalid_payload']);
  });

  it('incoming webhook: the legacy form body payload=<json> is accepted', async () => {
    const response = await fetch(slack.webhookUrl, { method: 'POST', body: new URLSearchParams({ payload: JSON.stringify({ text: 'form' }) }) });
    expect(response.status).toBe(200);
    expect(slack.messages[0]?.text).toBe('form');
  });

  it('incoming webhook: scripted 429 carries Retry-After, and the SDK gives up on it at once (the anchor bug)', async () => {
    slack.script({ route: 'webhook', status: 429, retryAfter: 3 });
    const response = await fetch(slack.webhookUrl, { method: 'POST', body: '{"text":"x"}', headers: { 'content-type': 'application/json' } });
    expect([response.status, response.headers.get('retry-after'), await response.text()]).toEqual([429, '3', 'rate_limited']);
    slack.script({ route: 'webhook', status: 429, retryAfter: 1 });
    const sdk = new IncomingWebhook(slack.webhookUrl, { retryConfig: { retries: 5, minTimeout: 1, maxTimeout: 1 } });
    await expect(sdk.send({ text: 'x' })).rejects.toMatchObject({ statusCode: 429 });
    expect(slack.requests.filter((r) => r.route === 'webhook')).toHaveLength(2);
  });

  it('Web API: chat.postMessage answers ok with channel ID and ts, by ID or by #name', async () => {
    const first = await client().chat.postMessage({ channel: '#deploys', text: 'one', blocks: [{ type: 'divider' }] });
    const second = await client().chat.postMessage({ channel: 'C0DEPLOYS1', text: 'two', thread_ts: first.ts as string });
    expect(first).toMatchObject({ ok: true, channel: 'C0DEPLOYS1', ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    expect(second.ts).not.toBe(first.ts);
    expect(slack.messages.map((m) => [m.text, m.threadTs])).toEqual([
      ['one', undefined],
      ['two', first.ts],
    ]);
    // WebClient sends form-encoded arguments with blocks as a JSON string: the emulator decodes it.
    expect(slack.messages[0]?.blocks).toEqual([{ type: 'divider' }]);
  });

  it('Web API: chat.update edits by channel ID and ts, keeping history', async () => {
    const posted = await client().chat.postMessage({ channel: 'C0DEPLOYS1', text: 'before' });
    const updated = await client().chat.update({ channel: 'C0DEPLOYS1', ts: posted.ts as string, text: 'after' });
    expect(updated).toMatchObject({ ok: true, channel: 'C0DEPLOYS1', ts: posted.ts, text: 'after' });
    expect(slack.message(posted.ts as string)).toMatchObject({ text: 'after', history: [{ text: 'before' }] });
  });

  it.each([
    ['chat.postMessage', { channel: '#nope', text: 'x' }, 'channel_not_found'],
    ['chat.postMessage', { channel: '#old-deploys', text: 'x' }, 'is_archived'],
    ['chat.postMessage', { channel: '#private-ops', text: 'x' }, 'not_in_channel'],
    ['chat.postMessage', { channel: '#deploys' }, 'no_text'],
    ['chat.postMessage', { channel: '#deploys', text: 'x', blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }] }, 'invalid_blocks'],
    ['chat.update', { channel: '#deploys', ts: '1.000001', text: 'x' }, 'channel_not_found'],
    ['chat.update', { channel: 'C0DEPLOYS1', ts: '1.000001', text: 'x' }, 'message_not_found'],
    ['chat.delete', { channel: 'C0DEPLOYS1', ts: '1.000001' }, 'unknown_method'],
  ])('Web API: %s %j → ok:false %s (HTTP 200)', async (method, args, code) => {
    await expect(client().apiCall(method, args)).rejects.toMatchObject({ code: 'slack_webapi_platform_error', data: { ok: false, error: code } });
  });

  it('Web API: wrong or missing token', async () => {
    await expect(client('xoxb-wrong').chat.postMessage({ channel: '#deploys', text: 'x' })).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    const response = await fetch(`${slack.apiUrl}chat.postMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"channel":"#deploys","text":"x"}' });
    expect(await response.json()).toEqual({ ok: false, error: 'not_authed' });
  });

  it('Web API: accepts application/json with a Bearer token too', async () => {
    const response = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${slack.token}` },
      body: JSON.stringify({ channel: 'C0DEPLOYS1', text: 'json', blocks: [{ type: 'divider' }] }),
    });
    expect(await response.json()).toMatchObject({ ok: true, channel: 'C0DEPLOYS1' });
  });

  it('Web API: scripted 429 is ratelimited with Retry-After, as WebClient expects', async () => {
    slack.script({ route: 'chat.postMessage', status: 429, retryAfter: 2 });
    await expect(client().chat.postMessage({ channel: '#deploys', text: 'x' })).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 2 });
    expect(slack.requests.at(-1)).toMatchObject({ status: 429, response: '{"ok":false,"error":"ratelimited"}' });
  });

  it('scripts: 5xx, dropped connections and delays, then back to normal', async () => {
    slack.script({ route: 'api', status: 503, times: 2 }, { route: 'webhook', drop: true });
    await expect(client().chat.postMessage({ channel: '#deploys', text: 'x' })).rejects.toMatchObject({ code: 'slack_webapi_http_error', statusCode: 503 });
    await expect(client().chat.postMessage({ channel: '#deploys', text: 'x' })).rejects.toMatchObject({ statusCode: 503 });
    await expect(new IncomingWebhook(slack.webhookUrl).send({ text: 'x' })).rejects.toMatchObject({ code: 'slack_webhook_request_error' });
    expect(slack.pendingScripts()).toBe(0);
    await expect(client().chat.postMessage({ channel: '#deploys', text: 'x' })).resolves.toMatchObject({ ok: true });
  });
});
