/**
 * Slack's documented Block Kit limits, enforced by cutting with a visible marker — a message that is
 * too long arrives shortened; it is never rejected.
 *
 * Sources (docs.slack.dev/reference/block-kit/…):
 *   blocks/header-block   header `text` ≤ 150 characters (plain_text)
 *   blocks/section-block  `text` ≤ 3000 characters; `fields` ≤ 10 items, each ≤ 2000 characters
 *   blocks/context-block  `elements` ≤ 10
 *   blocks                ≤ 50 blocks per message (surfaces/messages)
 *   methods/chat.postMessage  top-level `text` over 40,000 characters is truncated by Slack
 *                             (msg_too_long); ≤ 100 attachments
 * Lengths are counted in UTF-16 units (JavaScript `length`), which is never less than the number
 * of characters, so a cut text is within the limit however Slack counts.
 */
import { truncateText, type TextMode } from './escape.js';
import type { SlackMessage } from './types.js';

export const LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  messageText: 40_000,
  attachments: 100,
} as const;

export const MARKER = '… (truncated)';
const SHORT_MARKER = '…';

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function textObjectMode(object: JsonObject): TextMode {
  return object['type'] === 'plain_text' ? 'plain' : 'mrkdwn';
}

/** What was cut, for the log. */
export type LimitNotes = string[];

function cutTextObject(object: unknown, max: number, where: string, notes: LimitNotes, marker = MARKER): unknown {
  if (!isObject(object) || typeof object['text'] !== 'string') return object;
  const text = object['text'];
  if (text.length <= max) return object;
  notes.push(`${where} text cut from ${text.length} to ${max} characters`);
  return { ...object, text: truncateText(text, max, textObjectMode(object), marker) };
}

function enforceBlock(block: unknown, index: number, notes: LimitNotes): unknown {
  if (!isObject(block)) return block;
  const where = `block ${index + 1} (${String(block['type'])})`;
  switch (block['type']) {
    case 'header':
      return { ...block, text: cutTextObject(block['text'], LIMITS.headerText, where, notes, SHORT_MARKER) };
    case 'section': {
      const out: JsonObject = { ...block };
      if (block['text'] !== undefined) out['text'] = cutTextObject(block['text'], LIMITS.sectionText, where, notes);
      if (Array.isArray(block['fields'])) {
        let fields = block['fields'].map((f, i) => cutTextObject(f, LIMITS.fieldText, `${where} field ${i + 1}`, notes));
        if (fields.length > LIMITS.sectionFields) {
          const dropped = fields.length - (LIMITS.sectionFields - 1);
          notes.push(`${where}: ${fields.length} fields, kept ${LIMITS.sectionFields - 1} and a marker`);
          fields = [...fields.slice(0, LIMITS.sectionFields - 1), { type: 'mrkdwn', text: `_… ${dropped} more field${dropped > 1 ? 's' : ''} (truncated)_` }];
        }
        out['fields'] = fields;
      }
      return out;
    }
    case 'context': {
      const elements = block['elements'];
      if (!Array.isArray(elements) || elements.length <= LIMITS.contextElements) return block;
      const dropped = elements.length - (LIMITS.contextElements - 1);
      notes.push(`${where}: ${elements.length} elements, kept ${LIMITS.contextElements - 1} and a marker`);
      return { ...block, elements: [...elements.slice(0, LIMITS.contextElements - 1), { type: 'mrkdwn', text: `… ${dropped} more (truncated)` }] };
    }
    default:
      return block;
  }
}

function enforceBlocks(blocks: unknown[], notes: LimitNotes, prefix = ''): unknown[] {
  let out = blocks;
  if (out.length > LIMITS.blocks) {
    const dropped = out.length - (LIMITS.blocks - 1);
    notes.push(`${prefix}${out.length} blocks, kept ${LIMITS.blocks - 1} and a marker (Slack allows ${LIMITS.blocks})`);
    out = [
      ...out.slice(0, LIMITS.blocks - 1),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `_… ${dropped} more block${dropped > 1 ? 's' : ''} cut to stay within Slack's ${LIMITS.blocks}-block limit_` }] },
    ];
  }
  return out.map((b, i) => enforceBlock(b, i, notes));
}

/** Returns a copy of `message` within Slack's limits, and what was cut. */
export function enforceLimits(message: SlackMessage): { message: SlackMessage; notes: LimitNotes } {
  const notes: LimitNotes = [];
  const out: SlackMessage = { ...message };
  if (typeof out.text === 'string' && out.text.length > LIMITS.messageText) {
    notes.push(`message text cut from ${out.text.length} to ${LIMITS.messageText} characters`);
    out.text = truncateText(out.text, LIMITS.messageText, out['mrkdwn'] === false ? 'plain' : 'mrkdwn', MARKER);
  }
  if (Array.isArray(out.blocks)) out.blocks = enforceBlocks(out.blocks, notes);
  if (Array.isArray(out['attachments'])) {
    let attachments = out['attachments'] as unknown[];
    if (attachments.length > LIMITS.attachments) {
      notes.push(`${attachments.length} attachments, kept ${LIMITS.attachments}`);
      attachments = attachments.slice(0, LIMITS.attachments);
    }
    out['attachments'] = attachments.map((a, i) =>
      isObject(a) && Array.isArray(a['blocks']) ? { ...a, blocks: enforceBlocks(a['blocks'], notes, `attachment ${i + 1}: `) } : a,
    );
  }
  return { message: out, notes };
}
