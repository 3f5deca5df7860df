/**
 * Custom payloads: parsed before any value goes in, so hostile values cannot break the JSON (the
 * anchor's #357/#377/#116) and malformed payloads are reported at their line and column (#359).
 */
import { describe, expect, it } from 'vitest';
import { fillTemplate, parsePayloadTemplate, type Placeholder } from '../../../src/slack/template.js';

const HOSTILE = 'He said "ship it" \\o/\n<!channel> & <@U0HOSTILE> `rm -rf` 🚀 naïve}]}\u2028';

function render(text: string, values: Record<string, string>, file?: string, trusted: string[] = []): Record<string, unknown> {
  const template = parsePayloadTemplate(text, { input: 'payload', ...(file ? { file } : {}) });
  return fillTemplate(template, (p: Placeholder) => values[p.name] ?? '', new Set(trusted));
}

function problem(text: string, file?: string): string {
  try {
    parsePayloadTemplate(text, { input: file ? 'payload-file' : 'payload', ...(file ? { file } : {}) });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('payload templates', () => {
  it('fills a JSON payload with hostile values without changing its structure', () => {
    const message = render('{\n  "text": "Deploy: {{ commit_message }}",\n  "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*{{commit_author}}*"}}]\n}', {
      commit_message: HOSTILE,
      commit_author: HOSTILE,
    });
    const escaped = 'He said "ship it" \\o/\n&lt;!channel&gt; &amp; &lt;@U0HOSTILE&gt; `rm -rf` 🚀 naïve}]}\u2028';
    expect(message).toEqual({ text: `Deploy: ${escaped}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${escaped}*` } }] });
    // And it survives a JSON round trip exactly.
    expect(JSON.parse(JSON.stringify(message))).toEqual(message);
  });

  it('fills a YAML payload, placeholders quoted or not', () => {
    const message = render('text: {{ status }} {{ environment }}\nblocks:\n  - type: header\n    text:\n      type: plain_text\n      text: "{{ title }}"\n', {
      status: 'success',
      environment: 'prod "eu"',
      title: 'Deploy <!here>',
    });
    expect(message).toEqual({ text: 'success prod "eu"', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'Deploy <!here>' } }] });
  });

  it('does not escape plain_text objects, URL fields, raw placeholders or trusted values', () => {
    const message = render(
      JSON.stringify({
        text: '{{ mention }} {{ text }} {{ commit_message | raw }} {{ actor }}',
        blocks: [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: '{{ actor }}' }, url: '{{ run_url }}' }] }],
      }),
      { mention: '<!here>', text: '<https://x|link>', commit_message: '<b>', actor: 'a&b', run_url: 'https://github.com/acme/api/actions/runs/1?x=1&y=2' },
      undefined,
      ['mention', 'text'],
    );
    expect(message['text']).toBe('<!here> <https://x|link> <b> a&amp;b');
    expect(JSON.stringify(message['blocks'])).toContain('"text":"a&b"');
    expect(JSON.stringify(message['blocks'])).toContain('"url":"https://github.com/acme/api/actions/runs/1?x=1&y=2"');
  });

  it('accepts the anchor-style ${{ … }} and namespaced names', () => {
    const template = parsePayloadTemplate('{"text": "${{ github.event.pull_request.title }} on ${{ env.REGION }}"}', { input: 'payload' });
    expect(template.placeholders.map((p) => [p.name, p.line, p.column])).toEqual([
      ['github.event.pull_request.title', 1, 11],
      ['env.REGION', 1, 53],
    ]);
  });

  it('keeps values that look like placeholders literal (no second pass)', () => {
    expect(render('{"text": "{{ commit_message }}"}', { commit_message: '{{ actor }}' })).toEqual({ text: '{{ actor }}' });
  });

  it('reads a payload file by its extension', () => {
    expect(render('text: "{{ status }}"', { status: 'ok' }, 'slack.yml')).toEqual({ text: 'ok' });
    expect(render('{"text": "{{ status }}"}', { status: 'ok' }, 'slack.json')).toEqual({ text: 'ok' });
  });

  it.each([
    ['{\n  "text": "hi",\n  "blocks": [\n    {"type": "divider"}\n  ]\n  "x": 1\n}', undefined, /^Input 'payload': malformed JSON at line 6, column 3: expected ',' or '}' after a property value \(a `\$\{\{ \}\}` value containing quotes or line breaks breaks the JSON before shipline sees it: use \{\{ commit_message \}\}-style placeholders, which are filled safely\)$/],
    ['{\n  "text": "a"\n  "blocks": []\n}', undefined, /^Input 'payload': malformed JSON at line 3, column 3: /],
    ['{"text": "a", "blocks": [],}', undefined, /^Input 'payload': malformed JSON at line 1, column 28: expected a property name in double quotes$/],
    ['{"text": "a", "n": {{ status }}}', undefined, /column 20: unexpected character a placeholder \(in JSON, placeholders go inside strings/],
    ['{"text": "a"}}', undefined, /^Input 'payload': malformed JSON at line 1, column 14: unexpected text after the JSON value$/],
    ['{\n  "text": "line one\nline two"\n}', undefined, /^Input 'payload': malformed JSON at line 2, column 20: line break inside a string \(write \\n\) \(a `\$\{\{ \}\}` value/],
    ['{"text": "a", "n": {{ status }}}', 'slack.json', /^Input 'payload-file': malformed JSON at slack\.json, line 1, column 20: unexpected character a placeholder \(in JSON, placeholders go inside strings: "\{\{ name \}\}"\)$/],
    ['{"text": "a"', 'slack.json', /^Input 'payload-file': malformed JSON at slack\.json, line 1, column 13: /],
    ['text: hi\n  bad: indent', undefined, /^Input 'payload': malformed YAML at line 1, column 7: Nested mappings are not allowed/],
    ['text: "unterminated\nblocks: []', undefined, /^Input 'payload': malformed YAML at line 2, column 11: Missing closing "quote$/],
    ['text: a\ntext: b\n', 'msg.yaml', /^Input 'payload-file': malformed YAML at msg\.yaml, line 2, column 1: Map keys must be unique/],
    ['{"text": "{{ stauts }}"}', undefined, /^Input 'payload': unknown placeholder \{\{ stauts \}\} at line 1, column 11 \(known: status, /],
    ['{"text": "{{ not a name }}"}', undefined, /^Input 'payload': malformed placeholder \{\{ not a name \}\} at line 1, column 11/],
    ['["a"]', undefined, /must be a JSON object or YAML mapping/],
    ['{"username": "bot"}', undefined, /has no `text`, `blocks` or `attachments`/],
    ['{"text": "a", "blocks": "nope"}', undefined, /`blocks` must be a list/],
  ])('reports %j clearly', (text, file, expected) => {
    expect(problem(text, file)).toMatch(expected);
  });
});
