/**
 * Contract tests: dist/slack-notify/index.js run with Node 24 exactly as the runner runs it
 * (INPUT_* variables, GITHUB_OUTPUT/STEP_SUMMARY/ENV files), against the loopback Slack emulator
 * (test/helpers/slack-server.ts) — Slack itself cannot be reached here. Real time: one test waits
 * out a real 1 s Retry-After.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runBundle, type BundleRun } from '../harness/contract.js';
import { startSlackServer, type SlackServer } from '../helpers/slack-server.js';

let slack: SlackServer;
beforeAll(async () => {
  slack = await startSlackServer();
});
afterAll(async () => slack.stop());
beforeEach(() => slack.reset());

const notify = (inputs: Record<string, string>, env: Record<string, string> = {}): Promise<BundleRun> =>
  runBundle('slack-notify', inputs, { env: { SLACK_API_URL: slack.apiUrl, GITHUB_WORKFLOW: 'Deploy', GITHUB_RUN_NUMBER: '17', ...env } });

/** stdout without the runner's own `::add-mask::` commands, which must carry the secret. */
const printed = (run: BundleRun): string => run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n') + run.stderr + run.summary;

describe('slack-notify bundle (loopback Slack emulator)', () => {
  it('posts the default message through a webhook: outputs, summary, masking', async () => {
    const run = await notify({ 'webhook-url': slack.webhookUrl, 'job-status': 'success', environment: 'production', 'environment-url': 'https://api.example.com' });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toEqual({ delivered: 'true', ts: '', channel: '' });
    expect(run.summary).toBe('**Slack** ✅ success notification posted via incoming webhook — 1 attempt.\n\n');
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]?.text).toBe('✅ Deployed acme/api to production (0123456) by octocat');
    expect(JSON.stringify(slack.messages[0]?.blocks)).toContain('Run: <https://github.com/acme/api/actions/runs/4242|Deploy #17>');
    expect(run.stdout).toContain(`::add-mask::${slack.webhookUrl}`);
    expect(printed(run)).not.toContain(slack.webhookUrl.split('/').at(-1) as string);
  });

  it('honours a real 1 s Retry-After on a webhook 429, then delivers', async () => {
    slack.script({ route: 'webhook', status: 429, retryAfter: 1 });
    const run = await notify({ 'webhook-url': slack.webhookUrl, status: 'success' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['delivered']).toBe('true');
    const [first, second] = slack.requests;
    expect([first?.status, second?.status]).toEqual([429, 200]);
    expect((second?.at as number) - (first?.at as number)).toBeGreaterThanOrEqual(1000);
    expect(run.stdout).toContain('attempt 1 of 6: rate limited (HTTP 429 rate_limited, Retry-After 1.0 s); retrying in 1.0 s');
  });

  it('keeps one message per deployment across steps (bot token, GITHUB_ENV), then reports ts and channel', async () => {
    const token = { 'bot-token': slack.token, channel: '#deploys', environment: 'production' };
    const started = await notify({ ...token, status: 'started' });
    expect(started.exitCode).toBe(0);
    const ts = started.outputs['ts'] as string;
    expect(started.outputs).toEqual({ delivered: 'true', ts: expect.stringMatching(/^\d+\.\d{6}$/), channel: 'C0DEPLOYS1' });
    expect(Object.keys(started.env)).toEqual(['SHIPLINE_SLACK_PRODUCTION']);
    // The runner hands GITHUB_ENV to the job's later steps as environment variables.
    const done = await notify({ ...token, 'job-status': 'failure', 'mention-on-failure': 'here, U0123ABCD' }, started.env);
    expect(done.exitCode).toBe(0);
    expect(done.outputs).toEqual({ delivered: 'true', ts, channel: 'C0DEPLOYS1' });
    expect(slack.requests.map((r) => r.method)).toEqual(['chat.postMessage', 'chat.update']);
    expect(slack.message(ts)?.text).toBe('<!here> <@U0123ABCD> ❌ Deployment of acme/api to production failed (0123456) by octocat');
    expect(done.summary).toContain(`failure notification updated in \`C0DEPLOYS1\` (ts \`${ts}\`)`);
    expect(printed(started) + printed(done)).not.toContain(slack.token);
  });

  it('with fail-on-error false, an undeliverable message is a warning and the step succeeds', async () => {
    const run = await notify({ 'webhook-url': slack.addWebhook('old-deploys'), status: 'success' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['delivered']).toBe('false');
    expect(run.warnings).toEqual(['Slack success notification was not delivered: Slack answered HTTP 410 channel_is_archived (fail-on-error is false: the step goes on)']);
    expect(run.errors).toEqual([]);
  });

  it('with fail-on-error true, it fails the step with one line', async () => {
    const run = await notify({ 'webhook-url': slack.addWebhook('old-deploys'), status: 'success', 'fail-on-error': 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['delivered']).toBe('false');
    expect(run.errors).toEqual(['Slack success notification was not delivered: Slack answered HTTP 410 channel_is_archived']);
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });

  it('rejects a malformed payload before sending anything, naming the line and column', async () => {
    const run = await notify({ 'webhook-url': slack.webhookUrl, status: 'success', payload: '{\n  "text": "ok",\n  "blocks": [\n    {"type": "divider"}\n  ]\n  "x": 1\n}' });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^Input 'payload': malformed JSON at line 6, column 3: expected ',' or '}' after a property value/);
    expect(slack.requests).toHaveLength(0);
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });

  it('with no inputs, says what to give, in one line', async () => {
    const run = await runBundle('slack-notify', {});
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual(["Input 'webhook-url': give webhook-url (an incoming webhook), or bot-token and channel"]);
  });
});
