/**
 * Text that goes into Slack's `mrkdwn`. Slack gives `&`, `<` and `>` control meaning there
 * (`<!channel>`, `<@U123>`, `<https://x|label>`) and documents escaping them as `&amp;`, `&lt;`,
 * `&gt;` (docs.slack.dev/messaging/formatting-message-text#escaping). Values we do not author —
 * commit messages, author names, branch names, anything from the event payload or the environment —
 * are escaped whole, so a commit titled `<!channel> deploy` cannot page a channel. Text the user
 * wrote in an input keeps its formatting and links but loses broadcast mentions (those come only
 * from `mention-on-failure`).
 */

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^S123>` (with or without `|label`) shown literally. */
const BROADCAST = /<!(?:channel|here|everyone|group|subteam\^[^>|]*)(?:\|[^>]*)?>/gi;

export function neutralizeBroadcasts(text: string): string {
  return text.replace(BROADCAST, (m) => escapeMrkdwn(m));
}

/**
 * A mrkdwn link. Slack splits `<url|label>` on the first `|` and ends it at `>`, so those are
 * percent-encoded in the URL; the label is escaped text.
 */
export function mrkdwnLink(url: string, label: string): string {
  const safeUrl = url.replace(/&/g, '&amp;').replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E');
  return `<${safeUrl}|${escapeMrkdwn(label).replace(/\|/g, '│')}>`;
}

let segmenter: Intl.Segmenter | undefined;

/**
 * The longest prefix of `text` that is at most `max` UTF-16 units and ends on a grapheme boundary
 * (an emoji with modifiers, a flag, a combining accent are never split).
 */
export function graphemePrefix(text: string, max: number): string {
  if (text.length <= max) return text;
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let end = 0;
  for (const { segment, index } of segmenter.segment(text)) {
    if (index + segment.length > max) break;
    end = index + segment.length;
  }
  return text.slice(0, end);
}

export type TextMode = 'mrkdwn' | 'plain';

/**
 * Cuts `text` to at most `max` UTF-16 units, ending with `marker`. In mrkdwn the cut never leaves
 * half an entity (`&am`) or an unclosed `<…` link/mention, which Slack would render as garbage or
 * reject.
 */
export function truncateText(text: string, max: number, mode: TextMode, marker: string): string {
  if (text.length <= max) return text;
  let head = graphemePrefix(text, Math.max(0, max - marker.length));
  if (mode === 'mrkdwn') {
    const amp = head.lastIndexOf('&');
    if (amp >= 0 && !head.slice(amp).includes(';') && head.length - amp <= 8) head = head.slice(0, amp);
    const open = head.lastIndexOf('<');
    if (open >= 0 && open > head.lastIndexOf('>')) head = head.slice(0, open);
  }
  return head.replace(/\s+$/, '') + marker;
}
