/**
 * Custom payloads (`payload` / `payload-file`, JSON or YAML) with `{{ name }}` placeholders.
 *
 * The anchor substitutes text and then parses it, so a value with a quote or a newline breaks the
 * JSON (slackapi/slack-github-action#357, #377, #116) and a parse error says nothing about where
 * (#359). Here the order is reversed: every placeholder is first swapped for a same-length sentinel
 * of private-use characters, the document is parsed (so a malformed payload is reported at the
 * user's own line and column), and only then are values written into the parsed strings. A value
 * can therefore never change the document's structure, whatever quotes, newlines, backslashes or
 * unicode it holds — it is serialised by JSON.stringify like any other string.
 *
 * Values are escaped for where they land: mrkdwn text gets `&`, `<`, `>` escaped (so `<!channel>`
 * in a commit message stays text); `plain_text` objects and URL fields get the value as is;
 * `{{ name | raw }}` opts out of escaping. `${{ … }}` is accepted as a synonym, so payload files
 * written for the anchor's `payload-templated` keep working.
 */
import { ConfigurationError } from '../core/errors.js';
import { parseDocument } from '../core/yaml.js';
import { escapeMrkdwn } from './escape.js';
import type { SlackMessage } from './types.js';

export interface Placeholder {
  /** As written, e.g. `{{ commit_message }}`. */
  expression: string;
  /** `commit_message`, `env.REGION`, `github.event.pull_request.title`. */
  name: string;
  raw: boolean;
  line: number;
  column: number;
}

export interface PayloadTemplate {
  /** The parsed payload, placeholders still as sentinels. */
  value: Record<string, unknown>;
  placeholders: Placeholder[];
}

/** Placeholders without a namespace: the notification's own values (see run.ts `templateVariables`). */
export const VARIABLES = [
  'status',
  'status_emoji',
  'title',
  'text',
  'mention',
  'environment',
  'environment_url',
  'image',
  'image_short',
  'digest',
  'duration',
  'job_status',
  'repository',
  'repository_url',
  'sha',
  'short_sha',
  'ref',
  'ref_name',
  'actor',
  'triggering_actor',
  'workflow',
  'job',
  'event_name',
  'run_id',
  'run_number',
  'run_attempt',
  'run_url',
  'commit_url',
  'commit_message',
  'commit_author',
] as const;
export type VariableName = (typeof VARIABLES)[number];

const PLACEHOLDER = /\$?\{\{([^{}]*)\}\}/g;
const EXPRESSION = /^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\s*(?:\|\s*(raw)\s*)?$/;
const SENTINEL = /\uE000([\uE010-\uE01F]+)\uE001*/g;
/** Keys whose string values are URLs (Block Kit elements, legacy attachments): never escaped. */
const URL_KEYS = new Set(['url', 'image_url', 'thumb_url', 'author_link', 'author_icon', 'title_link', 'footer_icon', 'icon_url', 'from_url']);

function lineColumn(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}

function sentinel(index: number, length: number): string | undefined {
  const digits = [...index.toString(16)].map((d) => String.fromCharCode(0xe010 + parseInt(d, 16))).join('');
  if (digits.length + 1 > length) return undefined;
  return `\uE000${digits}${'\uE001'.repeat(length - 1 - digits.length)}`;
}

function isKnown(name: string): boolean {
  if (name.startsWith('env.') || name.startsWith('github.')) return name.split('.').length >= 2 && !name.endsWith('.');
  return (VARIABLES as readonly string[]).includes(name);
}

/**
 * Where and why JSON.parse failed. V8's messages carry a position only for some errors, so the
 * text is scanned again (error path only) by a small JSON grammar that stops at the first problem.
 */
export function locateJsonError(text: string): { index: number; message: string } | undefined {
  let i = 0;
  class Stop {
    constructor(
      readonly index: number,
      readonly message: string,
    ) {}
  }
  const fail = (message: string): never => {
    throw new Stop(i, message);
  };
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const literal = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const escape = /["\\/bfnrt]|u[0-9a-fA-F]{4}/y;
  const string = (): void => {
    i++;
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') return void i++;
      if (c === '\\') {
        escape.lastIndex = i + 1;
        const m = escape.exec(text);
        if (!m) fail('invalid escape in a string');
        i += 1 + (m as RegExpExecArray)[0].length;
        continue;
      }
      if (c < ' ') fail(c === '\n' ? 'line break inside a string (write \\n)' : 'control character inside a string');
      i++;
    }
    fail('unterminated string');
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') return void i++;
      for (;;) {
        space();
        if (text[i] !== '"') fail('expected a property name in double quotes');
        string();
        space();
        if (text[i] !== ':') fail("expected ':' after the property name");
        i++;
        value();
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') return void i++;
        fail("expected ',' or '}' after a property value");
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') return void i++;
        fail("expected ',' or ']' after a list item");
      }
    }
    if (c === '"') return string();
    literal.lastIndex = i;
    const m = literal.exec(text);
    if (m) return void (i += m[0].length);
    fail(c === undefined ? 'unexpected end of the payload' : `unexpected character ${JSON.stringify(c)}`);
  };
  try {
    value();
    space();
    if (i < text.length) fail('unexpected text after the JSON value');
  } catch (error) {
    if (error instanceof Stop) return { index: error.index, message: error.message };
    throw error;
  }
  return undefined;
}

/**
 * Parses a payload template. `input` names the input in errors; `format` is decided by the file
 * extension when there is one, else JSON when the text starts with `{` (YAML otherwise).
 */
export function parsePayloadTemplate(text: string, options: { input: string; file?: string }): PayloadTemplate {
  const { input, file } = options;
  const where = (index: number): string => {
    const { line, column } = lineColumn(text, index);
    return `${file ? `${file}, ` : ''}line ${line}, column ${column}`;
  };

  const placeholders: Placeholder[] = [];
  const masked = text.replace(PLACEHOLDER, (expression: string, inner: string, offset: number) => {
    const match = EXPRESSION.exec(inner);
    if (!match) throw new ConfigurationError(input, `malformed placeholder ${expression} at ${where(offset)} (expected {{ name }} or {{ name | raw }})`);
    const name = match[1] as string;
    if (!isKnown(name)) {
      throw new ConfigurationError(input, `unknown placeholder ${expression} at ${where(offset)} (known: ${VARIABLES.join(', ')}, env.NAME, github.…)`);
    }
    const mark = sentinel(placeholders.length, expression.length);
    if (!mark) throw new ConfigurationError(input, `too many placeholders (at ${where(offset)})`);
    placeholders.push({ expression, name, raw: match[2] === 'raw', ...lineColumn(text, offset) });
    return mark;
  });

  // JSON when the file says so or the text starts like JSON, YAML otherwise. JSON-looking text is
  // held to JSON: YAML would "accept" a raw line break in a string by folding it into a space.
  const trimmed = masked.trimStart();
  const format = file && /\.ya?ml$/i.test(file) ? 'yaml' : (file && /\.json$/i.test(file)) || trimmed.startsWith('{') || trimmed.startsWith('[') ? 'json' : 'yaml';
  let value: unknown;
  let jsonError: { index: number; message: string } | undefined;
  let parsed = false;
  if (format !== 'yaml') {
    try {
      value = JSON.parse(masked);
      parsed = true;
    } catch (error) {
      jsonError = locateJsonError(masked) ?? { index: 0, message: error instanceof Error ? error.message : String(error) };
    }
  }
  if (!parsed && format !== 'json') {
    const doc = parseDocument(masked, { prettyErrors: true, uniqueKeys: true });
    const problem = doc.errors[0];
    if (!problem) {
      value = doc.toJS({ maxAliasCount: 100 });
      parsed = true;
    } else if (!jsonError) {
      const at = problem.linePos?.[0];
      const detail = (problem.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '').replace(/[\uE000-\uE01F]+/g, '{{…}}');
      throw new ConfigurationError(input, `malformed YAML at ${at ? `${file ? `${file}, ` : ''}line ${at.line}, column ${at.col}` : where(0)}: ${detail}`);
    }
  }
  if (!parsed && jsonError) {
    const near = masked.slice(Math.max(0, jsonError.index - 1), jsonError.index + 1);
    const hint = /[\uE000-\uE01F]/.test(near)
      ? ' (in JSON, placeholders go inside strings: "{{ name }}")'
      : file || !/line break|control character|after a property value|after a list item/.test(jsonError.message)
        ? ''
        : ' (a `${{ }}` value containing quotes or line breaks breaks the JSON before shipline sees it: use {{ commit_message }}-style placeholders, which are filled safely)';
    throw new ConfigurationError(input, `malformed JSON at ${where(jsonError.index)}: ${jsonError.message.replace(/"?[\uE000-\uE01F]+"?/g, 'a placeholder')}${hint}`);
  }

  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError(input, 'the payload must be a JSON object or YAML mapping (a Slack message with text, blocks or attachments)');
  }
  const message = value as Record<string, unknown>;
  if (message['blocks'] !== undefined && !Array.isArray(message['blocks'])) throw new ConfigurationError(input, '`blocks` must be a list of Block Kit blocks');
  if (message['attachments'] !== undefined && !Array.isArray(message['attachments'])) throw new ConfigurationError(input, '`attachments` must be a list');
  if (message['text'] !== undefined && typeof message['text'] !== 'string') throw new ConfigurationError(input, '`text` must be a string');
  const hasContent = (typeof message['text'] === 'string' && message['text'] !== '') || (Array.isArray(message['blocks']) && message['blocks'].length > 0) || Array.isArray(message['attachments']);
  if (!hasContent) throw new ConfigurationError(input, 'the payload has no `text`, `blocks` or `attachments`: Slack would reject it');
  return { value: message, placeholders };
}

export type Mode = 'mrkdwn' | 'plain';

function fill(value: unknown, mode: Mode, replace: (text: string, mode: Mode) => string): unknown {
  if (typeof value === 'string') return replace(value, mode);
  if (Array.isArray(value)) return value.map((item) => fill(item, mode, replace));
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const plainObject = object['type'] === 'plain_text';
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(object)) {
      const itemMode: Mode = plainObject || URL_KEYS.has(key) ? 'plain' : 'mrkdwn';
      out[replace(key, 'plain')] = fill(item, itemMode, replace);
    }
    return out;
  }
  return value;
}

/**
 * The message with every placeholder replaced by `resolve(placeholder)`, escaped for where it lands.
 * `trusted` names hold mrkdwn we rendered ourselves (mentions, the user's own text): never escaped.
 */
export function fillTemplate(template: PayloadTemplate, resolve: (placeholder: Placeholder) => string, trusted: ReadonlySet<string> = new Set()): SlackMessage {
  const cache = new Map<number, string>();
  const replace = (text: string, mode: Mode): string =>
    text.replace(SENTINEL, (_m, digits: string) => {
      const index = parseInt([...digits].map((c) => (c.charCodeAt(0) - 0xe010).toString(16)).join(''), 16);
      const placeholder = template.placeholders[index];
      if (!placeholder) return '';
      let resolved = cache.get(index);
      if (resolved === undefined) {
        resolved = resolve(placeholder);
        cache.set(index, resolved);
      }
      return placeholder.raw || mode === 'plain' || trusted.has(placeholder.name) ? resolved : escapeMrkdwn(resolved);
    });
  return fill(template.value, 'mrkdwn', replace) as SlackMessage;
}

/**
 * An input's text (title, text, field values) with its placeholders filled; in mrkdwn, values are
 * escaped unless raw or trusted. Lenient on purpose: these inputs often hold `${{ }}` expansions
 * (a commit message mentioning `{{ version }}`), so an unknown or malformed placeholder is left as
 * written and reported through `onUnknown`, never an error that would fail the step.
 */
export function fillText(text: string, resolve: (placeholder: Placeholder) => string, mode: Mode, trusted: ReadonlySet<string> = new Set(), onUnknown: (expression: string) => void = () => {}): string {
  if (!text.includes('{{')) return text;
  return text.replace(PLACEHOLDER, (expression: string, inner: string) => {
    const parsed = EXPRESSION.exec(inner);
    if (!parsed || !isKnown(parsed[1] as string)) {
      onUnknown(expression);
      return expression;
    }
    const placeholder: Placeholder = { expression, name: parsed[1] as string, raw: parsed[2] === 'raw', line: 0, column: 0 };
    const value = resolve(placeholder);
    return placeholder.raw || mode === 'plain' || trusted.has(placeholder.name) ? value : escapeMrkdwn(value);
  });
}
