/**
 * What a smoke check expects of a response, parsed once from user input and evaluated per response.
 */

/** `2xx`, `200`, `200,204`, `2xx,301`: a set of exact codes and classes. */
export interface StatusMatcher {
  text: string;
  codes: ReadonlySet<number>;
  classes: ReadonlySet<number>;
}

export function parseStatusMatcher(spec: string | number | readonly (string | number)[]): StatusMatcher | string {
  const items = (Array.isArray(spec) ? spec : String(spec).split(/[,\s]+/)).map((s) => String(s).trim()).filter(Boolean);
  if (items.length === 0) return 'is empty';
  const codes = new Set<number>();
  const classes = new Set<number>();
  for (const item of items) {
    if (/^[1-5]xx$/i.test(item)) classes.add(Number(item[0]));
    else if (/^[1-5]\d\d$/.test(item)) codes.add(Number(item));
    else return `'${item}' is not a status code (use 200, 2xx or a list such as 200,204)`;
  }
  return { text: items.join(','), codes, classes };
}

export function statusMatches(matcher: StatusMatcher, status: number): boolean {
  return matcher.codes.has(status) || matcher.classes.has(Math.floor(status / 100));
}

/** A substring, or a `/regex/flags`. */
export type TextMatcher = { kind: 'substring'; text: string } | { kind: 'regex'; regex: RegExp; text: string };

export function parseTextMatcher(spec: string): TextMatcher | string {
  const regex = /^\/(.+)\/([dgimsuy]*)$/s.exec(spec);
  if (!regex) return { kind: 'substring', text: spec };
  try {
    return { kind: 'regex', regex: new RegExp(regex[1] as string, (regex[2] as string).replace('g', '')), text: spec };
  } catch (error) {
    return `invalid regular expression ${spec}: ${(error as Error).message}`;
  }
}

export function textMatches(matcher: TextMatcher, text: string): boolean {
  return matcher.kind === 'regex' ? matcher.regex.test(text) : text.includes(matcher.text);
}

/** `a.b[0].c`, `$.a.b`, `items[2]`, `["dotted.key"]`: a path into a JSON document. */
export type JsonPath = readonly (string | number)[];

export function parseJsonPath(path: string): JsonPath | string {
  let rest = path.trim().replace(/^\$\.?/, '');
  const parts: (string | number)[] = [];
  while (rest.length) {
    let m: RegExpExecArray | null;
    if ((m = /^\[(\d+)\]/.exec(rest))) parts.push(Number(m[1]));
    else if ((m = /^\[("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\]/.exec(rest))) parts.push((m[1] as string).slice(1, -1));
    else if ((m = /^\.?([^.[\]]+)/.exec(rest))) parts.push(m[1] as string);
    else return `cannot read JSON path '${path}' at '${rest}'`;
    rest = rest.slice(m[0].length);
  }
  return parts;
}

export function readJsonPath(document: unknown, path: JsonPath): { found: boolean; value?: unknown } {
  let current: unknown = document;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return { found: false };
    if (typeof part === 'number') {
      if (!Array.isArray(current) || part >= current.length) return { found: false };
      current = current[part];
    } else {
      if (!Object.prototype.hasOwnProperty.call(current, part)) return { found: false };
      current = (current as Record<string, unknown>)[part];
    }
  }
  return { found: true, value: current };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Expected JSON value: equal (deeply); a `/regex/` string is matched against the actual value's text. */
export function jsonValueMatches(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'string') {
    const matcher = parseTextMatcher(expected);
    if (typeof matcher !== 'string' && matcher.kind === 'regex') {
      return actual !== undefined && matcher.regex.test(typeof actual === 'string' ? actual : JSON.stringify(actual));
    }
  }
  return deepEqual(expected, actual);
}
