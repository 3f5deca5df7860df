import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputReader } from '../../../src/core/index.js';
import { readSlackNotifyInputs } from '../../../src/actions/slack-notify/inputs.js';

const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX';
const TOKEN = 'xoxb-1234-5678-abcdefghijkl';

function read(values: Record<string, string>, env: Record<string, string> = {}, workspace = process.cwd()): { promise: Promise<Awaited<ReturnType<typeof readSlackNotifyInputs>>>; secrets: string[] } {
  const secrets: string[] = [];
  const input = new InputReader((n) => values[n] ?? '', workspace, (s) => secrets.push(s));
  return { promise: readSlackNotifyInputs(input, { addSecret: (s) => secrets.push(s), env, workspace }), secrets };
}

describe('slack-notify inputs', () => {
  it('reads a webhook notification with defaults, masking the URL and its secret part', async () => {
    const { promise, secrets } = read({ 'webhook-url': WEBHOOK, 'job-status': 'success' });
    expect(await promise).toEqual({ transport: { kind: 'webhook', url: WEBHOOK }, status: 'success', jobStatus: 'success', fields: [], forceNew: false, mentions: [], retries: 5, failOnError: false });
    expect(secrets).toEqual([WEBHOOK, 'XXXXXXXXXXXXXXXXXXXXXXXX']);
  });

  it('reads a bot-token notification with every option', async () => {
    const { promise, secrets } = read(
      {
        'bot-token': TOKEN,
        channel: 'C0DEPLOYS1',
        status: 'Rolled-Back',
        title: 'Deploy',
        text: 'line 1\nline 2\n',
        fields: 'Version: 1.10\nCanary: no\n',
        environment: 'production',
        'environment-url': 'https://api.example.com',
        image: 'ghcr.io/acme/api@sha256:' + 'a'.repeat(64),
        'update-ts': '1712345678.123456',
        'thread-ts': '1712345600.000100',
        'mention-on-failure': 'here, U0123ABCD\nS0123ABCD',
        retries: '0',
        'fail-on-error': 'true',
      },
      { SLACK_API_URL: 'http://127.0.0.1:9/api' },
    );
    expect(await promise).toMatchObject({
      transport: { kind: 'bot', token: TOKEN, apiUrl: 'http://127.0.0.1:9/api/' },
      channel: 'C0DEPLOYS1',
      status: 'rolled-back',
      text: 'line 1\nline 2',
      fields: [
        { name: 'Version', value: '1.10' },
        { name: 'Canary', value: 'no' },
      ],
      updateTs: '1712345678.123456',
      threadTs: '1712345600.000100',
      mentions: ['<!here>', '<@U0123ABCD>', '<!subteam^S0123ABCD>'],
      retries: 0,
      failOnError: true,
    });
    expect(secrets).toEqual([TOKEN]);
  });

  it('takes the channel from the payload when the input is empty, and `update-ts: new`', async () => {
    const inputs = await read({ 'bot-token': TOKEN, status: 'success', payload: '{"channel": "#deploys", "text": "hi {{ status }}"}', 'update-ts': 'new' }).promise;
    expect(inputs).toMatchObject({ channel: '#deploys', forceNew: true });
    expect(inputs.updateTs).toBeUndefined();
  });

  it('reads a payload file relative to the workspace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slack-inputs-'));
    writeFileSync(join(dir, 'slack.yml'), 'text: "{{ status }} in {{ environment }}"\n');
    const inputs = await read({ 'webhook-url': WEBHOOK, status: 'started', 'payload-file': 'slack.yml' }, {}, dir).promise;
    expect(inputs.payload?.placeholders.map((p) => p.name)).toEqual(['status', 'environment']);
  });

  it.each([
    [{}, "Input 'webhook-url': give webhook-url (an incoming webhook), or bot-token and channel"],
    [{ 'webhook-url': WEBHOOK, 'bot-token': TOKEN, status: 'success' }, "Input 'bot-token': give webhook-url or bot-token, not both"],
    [{ 'webhook-url': 'hooks.slack.com/services/x', status: 'success' }, "Input 'webhook-url': is not a valid URL (expected https://hooks.slack.com/services/…)"],
    [{ 'webhook-url': 'http://hooks.slack.com/services/T/B/secretsecret', status: 'success' }, "Input 'webhook-url': must be an https:// URL (got http://…)"],
    [{ 'bot-token': TOKEN }, "Input 'status': give status (started, success, failure, cancelled, rolled-back) or job-status: ${{ job.status }}"],
    [{ 'bot-token': TOKEN, channel: 'C1', status: 'deployed' }, "Input 'status': expected one of started, success, failure, cancelled, rolled-back, got 'deployed'"],
    [{ 'webhook-url': WEBHOOK, 'job-status': 'skipped' }, "Input 'job-status': expected success, failure or cancelled (${{ job.status }}), got 'skipped'"],
    [{ 'bot-token': TOKEN, status: 'success' }, "Input 'channel': is required with bot-token (a channel ID such as C0123ABCD, or #name)"],
    [{ 'bot-token': 'xoxb-1 2', channel: 'C1', status: 'success' }, "Input 'bot-token': contains white space (a Slack token is one word, such as xoxb-…)"],
    [{ 'webhook-url': WEBHOOK, status: 'success', 'update-ts': '1712345678.123456' }, "Input 'update-ts': needs bot-token: an incoming webhook cannot edit a message"],
    [{ 'bot-token': TOKEN, channel: '#deploys', status: 'success', 'update-ts': '1712345678.123456' }, /^Input 'channel': chat\.update needs the channel ID/],
    [{ 'webhook-url': WEBHOOK, status: 'success', 'thread-ts': 'yesterday' }, "Input 'thread-ts': expected a Slack message timestamp such as 1712345678.123456, got 'yesterday'"],
    [{ 'webhook-url': WEBHOOK, status: 'failure', 'mention-on-failure': 'here, @octocat' }, /^Input 'mention-on-failure': '@octocat' is not a mention/],
    [{ 'webhook-url': WEBHOOK, status: 'success', retries: '50' }, "Input 'retries': must be at most 20, got 50"],
    [{ 'webhook-url': WEBHOOK, status: 'success', 'fail-on-error': 'maybe' }, "Input 'fail-on-error': expected true or false, got 'maybe'"],
    [{ 'webhook-url': WEBHOOK, status: 'success', 'environment-url': 'ftp://x' }, "Input 'environment-url': must be an http(s) URL, got 'ftp://x'"],
    [{ 'webhook-url': WEBHOOK, status: 'success', fields: '- a\n- b' }, "Input 'fields': item 1 must be one `name: value` pair"],
    [{ 'webhook-url': WEBHOOK, status: 'success', fields: 'a: [1, 2]' }, "Input 'fields': the value of 'a' must be text, not a list"],
    [{ 'webhook-url': WEBHOOK, status: 'success', payload: '{"text": "x"}', 'payload-file': 'p.json' }, "Input 'payload-file': give payload or payload-file, not both"],
    [{ 'webhook-url': WEBHOOK, status: 'success', 'payload-file': 'missing.json' }, "Input 'payload-file': file missing.json does not exist"],
    [{ 'webhook-url': WEBHOOK, status: 'success', payload: '{"text": "x",\n "blocks": [}' }, /^Input 'payload': malformed JSON at line 2, column 13: /],
  ])('%j → one clear line', async (values, message) => {
    const error = await read(values as Record<string, string>).promise.catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('ConfigurationError');
    if (typeof message === 'string') expect((error as Error).message).toBe(message);
    else expect((error as Error).message).toMatch(message);
    // Never the credential in the message.
    expect((error as Error).message).not.toContain('XXXXXXXX');
  });
});
