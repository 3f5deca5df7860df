/**
 * Path patterns of `.trivyignore.yaml` entries, with the semantics of the matcher Trivy uses
 * (bmatcuk/doublestar v4 `Match`, separator `/`):
 *
 * - `*` any run of characters except `/`; `?` one character except `/`;
 * - `[abc]`, `[a-z]`, `[!x]`/`[^x]` one character (never `/`) from a class;
 * - `{a,b}` alternatives (nestable);
 * - `**` as a whole path segment matches zero or more directories (`a/**` / `b` matches `a/b` and
 *   `a/x/y/b`); a trailing `/**` also matches the directory itself (`a/**` matches `a`); `**` inside a
 *   segment (`a**b`) is a plain `*`;
 * - `\` escapes the next character; the whole path must match.
 *
 * Patterns compile to anchored regular expressions once, when the ignore file is read.
 */

export class GlobError extends Error {
  override readonly name = 'GlobError';
}

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|]/g;

function escapeRegex(ch: string): string {
  return ch.replace(REGEX_SPECIAL, '\\$&');
}

/** Index of the `}` closing the `{` at `open`, honouring nesting and escapes; -1 when unclosed. */
function closingBrace(pattern: string, open: number): number {
  let depth = 0;
  for (let i = open; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') i++;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Splits the body of `{…}` on its top-level commas. */
function alternatives(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\') i++;
    else if (ch === '{') depth++;
    else if (ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(body.slice(last, i));
      last = i + 1;
    }
  }
  parts.push(body.slice(last));
  return parts;
}

function compileClass(pattern: string, open: number): { source: string; end: number } {
  let i = open + 1;
  let negate = false;
  if (pattern[i] === '!' || pattern[i] === '^') {
    negate = true;
    i++;
  }
  if (i >= pattern.length || pattern[i] === ']') throw new GlobError(`empty or unclosed character class in '${pattern}'`);
  let body = '';
  for (; i < pattern.length && pattern[i] !== ']'; i++) {
    let ch = pattern[i] as string;
    if (ch === '\\') ch = pattern[++i] ?? '';
    if (ch === '') throw new GlobError(`unclosed character class in '${pattern}'`);
    if (pattern[i + 1] === '-' && pattern[i + 2] !== undefined && pattern[i + 2] !== ']') {
      let hi = pattern[i + 2] as string;
      i += 2;
      if (hi === '\\') hi = pattern[++i] ?? '';
      body += `${escapeRegex(ch)}-${escapeRegex(hi)}`;
    } else body += escapeRegex(ch);
  }
  if (i >= pattern.length) throw new GlobError(`unclosed character class in '${pattern}'`);
  // A class never matches the separator.
  return { source: negate ? `(?!/)[^${body}]` : `(?!/)[${body}]`, end: i };
}

/** Compiles a pattern (no braces left) to a regex source. */
function compileSimple(pattern: string, whole: string): string {
  let out = '';
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const ch = pattern[i] as string;
    const segmentStart = i === 0 || pattern[i - 1] === '/';
    if (ch === '*') {
      if (pattern[i + 1] === '*' && segmentStart) {
        const after = pattern[i + 2];
        if (after === undefined) {
          // Trailing `**` (or a pattern that is only `**`): anything, including nothing.
          if (out.endsWith('/')) out = `${out.slice(0, -1)}(?:/.*)?`;
          else out += '.*';
          i += 2;
          continue;
        }
        if (after === '/') {
          // `**/`: zero or more whole directories.
          out += '(?:[^/]*/)*';
          i += 3;
          continue;
        }
      }
      // A run of stars inside a segment is one `*`.
      while (pattern[i] === '*') i++;
      out += '[^/]*';
      continue;
    }
    if (ch === '?') {
      out += '[^/]';
      i++;
      continue;
    }
    if (ch === '[') {
      const cls = compileClass(pattern, i);
      out += cls.source;
      i = cls.end + 1;
      continue;
    }
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) throw new GlobError(`'${whole}' ends with an escape character`);
      out += escapeRegex(next);
      i += 2;
      continue;
    }
    out += escapeRegex(ch);
    i++;
  }
  return out;
}

/** Expands `{a,b}` (nested too) into the list of brace-free patterns. */
function expandBraces(pattern: string, whole: string): string[] {
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '[') {
      // Braces inside a class are literal: jump past it.
      const close = pattern.indexOf(']', i + 2);
      if (close > 0) i = close;
      continue;
    }
    if (ch === '{') {
      const close = closingBrace(pattern, i);
      if (close < 0) throw new GlobError(`unclosed '{' in '${whole}'`);
      const head = pattern.slice(0, i);
      const tail = pattern.slice(close + 1);
      return alternatives(pattern.slice(i + 1, close)).flatMap((alt) => expandBraces(head + alt + tail, whole));
    }
  }
  return [pattern];
}

export type PathMatcher = (path: string) => boolean;

/** Compiles a doublestar pattern; throws GlobError for a malformed one (Trivy rejects those too). */
export function compileGlob(pattern: string): PathMatcher {
  const sources = expandBraces(pattern, pattern).map((p) => compileSimple(p, pattern));
  const regex = new RegExp(`^(?:${sources.join('|')})$`, 's');
  return (path) => regex.test(path);
}
