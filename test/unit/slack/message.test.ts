import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGitHubContext, type GitHubContext } from '../../../src/slack/context.js';
import { buildDefaultMessage, imageDigest, shortImage, type DefaultMessageModel } from '../../../src/slack/message.js';
import { STATUSES, type Status } from '../../../src/slack/types.js';
import { blocksProblem } from '../../helpers/slack-server.js';
import { GITHUB_ENV_VARS } from './fakes.js';

function eventFile(event: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'slack-event-'));
  const path = join(dir, 'event.json');
  writeFileSync(path, JSON.stringify(event));
  return path;
}

const DIGEST = 'sha256:' + 'ab'.repeat(32);
const HOSTILE = '<!channel> fix "quotes" & <https://evil.example|click>\nsecond line';

function context(event: unknown = { head_commit: { message: HOSTILE, author: { name: 'Ada <!here> Lovelace' } } }, env: Record<string, string> = {}): GitHubContext {
  return readGitHubContext({ ...GITHUB_ENV_VARS, GITHUB_EVENT_PATH: eventFile(event), ...env });
}

function model(status: Status, extra: Partial<DefaultMessageModel> = {}): DefaultMessageModel {
  return { status, fields: [], context: context(), mentions: ['<!here>', '<@U0123ABCD>'], environment: 'production', ...extra };
}

const header = (m: { blocks?: unknown[] }): string => (m.blocks?.[0] as { text: { text: string } }).text.text;
const allText = (m: { blocks?: unknown[] }): string => JSON.stringify(m.blocks);

describe('GitHub context', () => {
  it('reads a push: commit message (first line), author, links', () => {
    const ctx = context();
    expect(ctx).toMatchObject({
      repository: 'acme/api',
      sha: GITHUB_ENV_VARS['GITHUB_SHA'],
      shortSha: '0123456',
      refName: 'main',
      actor: 'octocat',
      triggeringActor: 'octocat',
      runUrl: 'https://github.com/acme/api/actions/runs/4242',
      commitUrl: `https://github.com/acme/api/commit/${GITHUB_ENV_VARS['GITHUB_SHA']}`,
      commitMessage: '<!channel> fix "quotes" & <https://evil.example|click>',
      commitAuthor: 'Ada <!here> Lovelace',
    });
  });

  it('reads a pull request: head sha, title, user; links a re-run attempt', () => {
    const ctx = context({ pull_request: { title: 'Add X', user: { login: 'hubot' }, head: { sha: 'f'.repeat(40) } } }, { GITHUB_RUN_ATTEMPT: '3', GITHUB_TRIGGERING_ACTOR: 'mona' });
    expect(ctx).toMatchObject({ sha: 'f'.repeat(40), commitMessage: 'Add X', commitAuthor: 'hubot', triggeringActor: 'mona', runUrl: 'https://github.com/acme/api/actions/runs/4242/attempts/3' });
  });

  it('survives a missing or unreadable event file', () => {
    expect(readGitHubContext({ ...GITHUB_ENV_VARS, GITHUB_EVENT_PATH: '/nonexistent/event.json' })).toMatchObject({ commitMessage: '', commitAuthor: '', repository: 'acme/api' });
  });
});

describe('default message', () => {
  it.each([
    ['started', '🚀 Deploying acme/api to production'],
    ['success', '✅ Deployed acme/api to production'],
    ['failure', '❌ Deployment of acme/api to production failed'],
    ['cancelled', '⚪ Deployment of acme/api to production cancelled'],
    ['rolled-back', '↩️ Deployment of acme/api to production rolled back'],
  ] as const)('%s: header %j, valid Block Kit', (status, title) => {
    const message = buildDefaultMessage(model(status));
    expect(header(message)).toBe(title);
    expect(blocksProblem(message.blocks)).toBeUndefined();
    expect(message.text?.startsWith(status === 'failure' || status === 'rolled-back' ? '<!here> <@U0123ABCD> ' : title.split(' ')[0] as string)).toBe(true);
  });

  it('mentions only on failure and rolled-back', () => {
    const mentioned = STATUSES.filter((s) => allText(buildDefaultMessage(model(s))).includes('<!here>'));
    expect(mentioned).toEqual(['failure', 'rolled-back']);
  });

  it('shows environment (linked), image by short digest, commit, author, actor and duration', () => {
    const message = buildDefaultMessage(
      model('success', { environmentUrl: 'https://api.example.com', image: `ghcr.io/acme/api:1.2.3@${DIGEST}`, durationMs: 65_000, context: context(undefined, { GITHUB_TRIGGERING_ACTOR: 'mona' }) }),
    );
    const fields = (message.blocks?.find((b) => (b as { fields?: unknown }).fields) as { fields: { text: string }[] }).fields.map((f) => f.text);
    expect(fields).toEqual([
      '*Environment*\n<https://api.example.com|production>',
      '*Image*\n`ghcr.io/acme/api:1.2.3@sha256:abababababab`',
      `*Commit*\n<https://github.com/acme/api/commit/${GITHUB_ENV_VARS['GITHUB_SHA']}|0123456> &lt;!channel&gt; fix "quotes" &amp; &lt;https://evil.example|click&gt;`,
      '*Author*\nAda &lt;!here&gt; Lovelace',
      '*Actor*\noctocat (run by mona)',
      '*Duration*\n1m 5s',
    ]);
    const context_ = (message.blocks?.at(-1) as { type: string; elements: { text: string }[] });
    expect(context_.type).toBe('context');
    expect(context_.elements.map((e) => e.text)).toEqual([
      'Run: <https://github.com/acme/api/actions/runs/4242|Deploy #17>',
      '<https://api.example.com|Open production>',
      '<https://github.com/acme/api|acme/api> · main',
    ]);
  });

  it('never lets a hostile commit message or author mention anyone', () => {
    const json = JSON.stringify(buildDefaultMessage(model('failure', { mentions: [] })));
    expect(json).not.toMatch(/<!channel>|<!here>|<https:\/\/evil/);
  });

  it('keeps user text formatting but neutralises broadcasts in text and fields', () => {
    const message = buildDefaultMessage(model('success', { text: 'See <https://x.example|notes> <!channel>', fields: [{ name: 'Ticket <x>', value: '<!everyone> OPS-1' }] }));
    expect(allText(message)).toContain('See <https://x.example|notes> &lt;!channel&gt;');
    expect(allText(message)).toContain('*Ticket &lt;x&gt;*\\n&lt;!everyone&gt; OPS-1');
  });

  it('spreads more than 10 fields over several sections instead of cutting them', () => {
    const fields = Array.from({ length: 17 }, (_, i) => ({ name: `f${i}`, value: String(i) }));
    const message = buildDefaultMessage(model('success', { fields }));
    const sections = (message.blocks ?? []).filter((b) => (b as { fields?: unknown[] }).fields) as { fields: unknown[] }[];
    expect(sections.map((s) => s.fields.length)).toEqual([10, 10, 1]);
    expect(blocksProblem(message.blocks)).toBeUndefined();
  });

  it('uses the title input and works without environment or repository', () => {
    const bare = readGitHubContext({});
    const message = buildDefaultMessage({ status: 'success', title: 'Nightly <release>', fields: [], context: bare, mentions: [] });
    expect(header(message)).toBe('✅ Nightly <release>');
    expect(message.text).toBe('✅ Nightly &lt;release&gt;');
    expect(buildDefaultMessage({ status: 'started', fields: [], context: bare, mentions: [] }).text).toBe('🚀 Deployment started');
  });

  it.each([
    [`ghcr.io/acme/api@${DIGEST}`, 'ghcr.io/acme/api@sha256:abababababab', DIGEST],
    [`localhost:5000/api:1.0@${DIGEST}`, 'localhost:5000/api:1.0@sha256:abababababab', DIGEST],
    ['ghcr.io/acme/api:1.0', 'ghcr.io/acme/api:1.0', ''],
  ])('image %s → %s', (image, short, digest) => {
    expect(shortImage(image)).toBe(short);
    expect(imageDigest(image)).toBe(digest);
  });
});
