/**
 * File globs for the `manifests` input: `*`, `?`, `[abc]`, `{a,b}` within a path segment and `**`
 * across segments, relative to the workspace. Small and dependency-free (fs.globSync is not in every
 * Node the CLI may run on). Hidden files match only when the pattern names the dot.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

export function isGlob(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

function segmentRegex(segment: string): RegExp {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        const body = segment.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = end;
      }
    } else if (ch === '{') {
      const end = segment.indexOf('}', i + 1);
      if (end < 0) out += '\\{';
      else {
        out += `(?:${segment
          .slice(i + 1, end)
          .split(',')
          .map((alt) => alt.replace(/[.+^$()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))
          .join('|')})`;
        i = end;
      }
    } else out += ch.replace(/[.+^$()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Files (not directories) matching `pattern`, absolute, sorted. */
export function globFiles(pattern: string, cwd: string): string[] {
  const absolute = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
  const parts = absolute.split(sep).filter((p, i) => p !== '' || i === 0);
  // The static prefix (no magic) is where the walk starts.
  let base: string = sep;
  let index = 0;
  for (; index < parts.length; index++) {
    const part = parts[index] as string;
    if (isGlob(part)) break;
    base = index === 0 && part === '' ? sep : join(base, part);
  }
  const rest = parts.slice(index);
  if (rest.length === 0) {
    try {
      return statSync(base).isFile() ? [base] : [];
    } catch {
      return [];
    }
  }
  const matchers = rest.map((segment) => (segment === '**' ? '**' : { regex: segmentRegex(segment), dot: segment.startsWith('.') }));
  const found = new Set<string>();
  const walk = (dir: string, at: number): void => {
    if (at >= matchers.length) return;
    const matcher = matchers[at];
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (matcher === '**') {
      // `**` matches zero segments …
      walk(dir, at + 1);
      // … or one more directory level.
      for (const entry of entries) if (entry.isDirectory() && !entry.name.startsWith('.')) walk(join(dir, entry.name), at);
      return;
    }
    if (!matcher) return;
    const last = at === matchers.length - 1;
    for (const entry of entries) {
      if (entry.name.startsWith('.') && !matcher.dot) continue;
      if (!matcher.regex.test(entry.name)) continue;
      const path = join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = statSync(path);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue;
        }
      }
      if (last && isFile) found.add(path);
      else if (!last && isDir) walk(path, at + 1);
    }
  };
  walk(base, 0);
  return [...found].sort((a, b) => relative(cwd, a).localeCompare(relative(cwd, b)));
}
