/**
 * Slack's documented Block Kit limits: every over-limit message is cut with a marker, and what comes
 * out is accepted by the emulator's validator (the same limits, enforced the way Slack rejects).
 */
import { describe, expect, it } from 'vitest';
import { enforceLimits, LIMITS, MARKER } from '../../../src/slack/limits.js';
import { blocksProblem } from '../../helpers/slack-server.js';

const section = (text: string): Record<string, unknown> => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('Block Kit limits', () => {
  it('cuts a header to 150 characters', () => {
    const { message, notes } = enforceLimits({ blocks: [{ type: 'header', text: { type: 'plain_text', text: 'H'.repeat(400) } }] });
    const text = (message.blocks?.[0] as { text: { text: string } }).text.text;
    expect(text).toHaveLength(LIMITS.headerText);
    expect(text.endsWith('…')).toBe(true);
    expect(notes).toEqual(['block 1 (header) text cut from 400 to 150 characters']);
  });

  it('cuts section text to 3000 and each field to 2000, and keeps 10 fields with a marker', () => {
    const fields = Array.from({ length: 14 }, (_, i) => ({ type: 'mrkdwn', text: `${i}:${'f'.repeat(2500)}` }));
    const { message } = enforceLimits({ blocks: [section('s'.repeat(5000)), { type: 'section', fields }] });
    const [first, second] = message.blocks as { text?: { text: string }; fields?: { text: string }[] }[];
    expect(first?.text?.text).toHaveLength(LIMITS.sectionText);
    expect(first?.text?.text.endsWith(MARKER)).toBe(true);
    expect(second?.fields).toHaveLength(10);
    expect(second?.fields?.slice(0, 9).every((f) => f.text.length === LIMITS.fieldText)).toBe(true);
    expect(second?.fields?.[9]?.text).toBe('_… 5 more fields (truncated)_');
  });

  it('keeps 10 context elements with a marker', () => {
    const elements = Array.from({ length: 12 }, (_, i) => ({ type: 'mrkdwn', text: `e${i}` }));
    const { message } = enforceLimits({ blocks: [{ type: 'context', elements }] });
    const out = (message.blocks?.[0] as { elements: { text: string }[] }).elements;
    expect(out).toHaveLength(10);
    expect(out.at(-1)?.text).toBe('… 3 more (truncated)');
  });

  it('keeps 49 of too many blocks and says how many were cut', () => {
    const blocks = Array.from({ length: 75 }, (_, i) => section(`block ${i}`));
    const { message, notes } = enforceLimits({ text: 'x', blocks });
    expect(message.blocks).toHaveLength(50);
    expect(JSON.stringify(message.blocks?.at(-1))).toContain('… 26 more blocks cut');
    expect(notes[0]).toBe("75 blocks, kept 49 and a marker (Slack allows 50)");
  });

  it('cuts the top-level text at 40,000 characters', () => {
    const { message } = enforceLimits({ text: 't'.repeat(50_000) });
    expect(message.text).toHaveLength(LIMITS.messageText);
  });

  it('applies the limits to blocks inside attachments too', () => {
    const { message } = enforceLimits({ attachments: [{ color: '#f00', blocks: [section('a'.repeat(4000))] }] });
    const inner = (message['attachments'] as { blocks: { text: { text: string } }[] }[])[0]?.blocks[0];
    expect(inner?.text.text).toHaveLength(3000);
  });

  it('returns a message the emulator (Slack) accepts where the original was rejected', () => {
    const original = {
      text: 'fallback',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '🚀'.repeat(100) } },
        section('<!channel> &amp; '.repeat(300)),
        { type: 'section', fields: Array.from({ length: 30 }, () => ({ type: 'mrkdwn', text: 'v'.repeat(2100) })) },
        { type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) },
        ...Array.from({ length: 60 }, (_, i) => section(`b${i}`)),
      ],
    };
    expect(blocksProblem(original.blocks)).toBeDefined();
    const { message } = enforceLimits(original);
    expect(blocksProblem(message.blocks)).toBeUndefined();
    // The input object is not modified.
    expect(original.blocks).toHaveLength(64);
  });

  it('leaves a message within the limits untouched', () => {
    const message = { text: 'ok', blocks: [section('fine')] };
    expect(enforceLimits(message)).toEqual({ message, notes: [] });
  });
});
