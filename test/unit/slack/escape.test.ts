import { describe, expect, it } from 'vitest';
import { escapeMrkdwn, graphemePrefix, mrkdwnLink, neutralizeBroadcasts, truncateText } from '../../../src/slack/escape.js';
import { parseMention, statusFromJobStatus } from '../../../src/slack/status.js';

describe('mrkdwn escaping', () => {
  it.each([
    ['<!channel> deploy', '&lt;!channel&gt; deploy'],
    ['a & b', 'a &amp; b'],
    ['already &amp;', 'already &amp;amp;'],
    ['<https://evil.example|click>', '&lt;https://evil.example|click&gt;'],
    ['"quotes" and \'single\'\nnewline ✨ ünïcödé', '"quotes" and \'single\'\nnewline ✨ ünïcödé'],
  ])('escapes %j', (input, expected) => expect(escapeMrkdwn(input)).toBe(expected));

  it.each([
    ['Ping <!channel> now', 'Ping &lt;!channel&gt; now'],
    ['<!here|here> and <!everyone>', '&lt;!here|here&gt; and &lt;!everyone&gt;'],
    ['<!subteam^S0123ABC|@oncall>', '&lt;!subteam^S0123ABC|@oncall&gt;'],
    ['Keep <https://example.com|links>, *bold* and <@U0123ABCD>', 'Keep <https://example.com|links>, *bold* and <@U0123ABCD>'],
  ])('neutralises broadcasts in user text: %j', (input, expected) => expect(neutralizeBroadcasts(input)).toBe(expected));

  it('builds a link whose URL cannot end or split it early', () => {
    expect(mrkdwnLink('https://x.example/a?b=1&c=|>', 'run <#1>')).toBe('<https://x.example/a?b=1&amp;c=%7C%3E|run &lt;#1&gt;>');
  });
});

describe('truncation', () => {
  it('leaves short text alone', () => expect(truncateText('short', 10, 'mrkdwn', '…')).toBe('short'));

  it('cuts to the limit including the marker', () => {
    const out = truncateText('x'.repeat(200), 150, 'plain', '…');
    expect(out).toHaveLength(150);
    expect(out.endsWith('x…')).toBe(true);
  });

  it('never splits a grapheme (emoji with skin tone, flags, ZWJ families)', () => {
    const family = '👨‍👩‍👧‍👦'; // 11 UTF-16 units, one grapheme
    const text = `ab${family}${family}`;
    for (let max = 3; max < text.length; max++) {
      const out = truncateText(text, max, 'plain', '…');
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out.replace('…', '').replace(/👨‍👩‍👧‍👦/gu, '')).toMatch(/^a?b?$/);
    }
    expect(graphemePrefix('🇫🇷🇩🇪', 7)).toBe('🇫🇷'); // a flag is 4 UTF-16 units: never half of one
    expect(graphemePrefix('🇫🇷🇩🇪', 3)).toBe('');
  });

  it('never leaves half an entity or an unclosed link in mrkdwn', () => {
    expect(truncateText('aaaa &amp; bbbbbbbbbbbbbbbb', 9, 'mrkdwn', '…')).toBe('aaaa…');
    expect(truncateText('see <https://example.com/very/long|the run> now', 20, 'mrkdwn', '…')).toBe('see…');
    expect(truncateText('see <https://example.com/very/long|the run> now', 20, 'plain', '…')).toBe('see <https://exampl…');
  });
});

describe('mentions and job status', () => {
  it.each([
    ['here', '<!here>'],
    ['@channel', '<!channel>'],
    ['<!everyone>', '<!everyone>'],
    ['U0123ABCD', '<@U0123ABCD>'],
    ['<@W0123ABCD>', '<@W0123ABCD>'],
    ['S0123ABCD', '<!subteam^S0123ABCD>'],
    ['<!subteam^S0123ABCD>', '<!subteam^S0123ABCD>'],
    ['@octocat', undefined],
    ['<@U0123ABCD', undefined],
    ['<!channel> extra', undefined],
  ])('%j → %j', (entry, expected) => expect(parseMention(entry)).toBe(expected));

  it.each([
    ['success', 'success'],
    ['Failure', 'failure'],
    ['cancelled', 'cancelled'],
    ['skipped', undefined],
  ])('job.status %j → %j', (jobStatus, expected) => expect(statusFromJobStatus(jobStatus)).toBe(expected));
});
