/**
 * Ignore files, read the way Trivy reads them (`pkg/result/ignore.go`):
 *
 * `.trivyignore` — one entry per line, surrounding white space trimmed, `#` lines and blank lines
 * skipped; the first white-space-separated field is the ID; a field `exp:YYYY-MM-DD` sets the
 * expiry. A line whose expiry date does not parse is dropped (Trivy logs a warning and skips it):
 * here it is a warning annotation on that line, and the entry suppresses nothing.
 *
 * `.trivyignore.yaml` / `.yml` — `vulnerabilities:` is a list of `{ id, paths, purls, expired_at,
 * statement }` (the other sections — misconfigurations, secrets, licenses — are about scanners the
 * gate does not run, and are not read). A malformed path pattern, package URL or date is an error,
 * as in Trivy.
 *
 * Dates are 00:00 UTC of the day given (Go's `time.Parse("2006-01-02")`, and YAML timestamps with
 * a time and zone are honoured): an entry expires once that instant has passed.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
// Static: this module is itself loaded lazily (only when an ignore file exists), and a dynamic
// import of the CommonJS `yaml` package loses its named exports in a code-split bundle.
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { compileGlob, type PathMatcher } from './glob.js';
import { parsePurl, type PackageUrl } from './purl.js';

export interface IgnoreRule {
  id: string;
  /** File and 1-based line the entry is on. */
  file: string;
  line: number;
  /** Epoch ms of the expiry instant; undefined = never expires. */
  expiresAt?: number;
  /** The expiry as written (for messages). */
  expiresText?: string;
  paths: string[];
  pathMatchers: PathMatcher[];
  purls: string[];
  parsedPurls: PackageUrl[];
  statement: string;
}

/** A problem that does not stop the run (the entry is skipped or cannot match). */
export interface IgnoreFileWarning {
  file: string;
  line: number;
  message: string;
}

export interface IgnoreFileContents {
  file: string;
  format: 'trivyignore' | 'yaml';
  rules: IgnoreRule[];
  warnings: IgnoreFileWarning[];
}

/** A malformed ignore file; the caller turns it into a ConfigurationError naming `ignore-file`. */
export class IgnoreFileError extends Error {
  override readonly name = 'IgnoreFileError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${detail}`);
  }
}

export function isYamlIgnoreFile(file: string): boolean {
  const ext = extname(file).toLowerCase();
  return ext === '.yaml' || ext === '.yml';
}

/** Go's `time.Parse("2006-01-02", …)`: exactly four-digit year, two-digit month and day, a real date. */
export function parseIsoDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  return ms;
}

/**
 * A YAML timestamp as yaml.v3 decodes one into a time.Time: `2006-1-2`, `2006-1-2T15:4:5Z07:00`
 * (T or t, optional fraction, Z or ±hh:mm), or `2006-1-2 15:4:5` (no zone = UTC).
 */
export function parseYamlTimestamp(text: string): number | undefined {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?[ \t]*(Z|[+-]\d{1,2}(?::?\d{2})?)?)?$/.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const base = Date.UTC(year, month - 1, day, Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), Number((m[7] ?? '0').slice(0, 3).padEnd(3, '0')));
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  if (Number(m[4] ?? 0) > 23 || Number(m[5] ?? 0) > 59 || Number(m[6] ?? 0) > 60) return undefined;
  const zone = m[8];
  if (!zone || zone === 'Z') return base;
  const zm = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(zone);
  if (!zm) return undefined;
  const offset = (Number(zm[2]) * 60 + Number(zm[3] ?? 0)) * 60_000;
  return zm[1] === '+' ? base - offset : base + offset;
}

function rule(id: string, file: string, line: number, extra: Partial<IgnoreRule> = {}): IgnoreRule {
  return { id, file, line, paths: [], pathMatchers: [], purls: [], parsedPurls: [], statement: '', ...extra };
}

export function parseTrivyignore(text: string, file: string): IgnoreFileContents {
  const rules: IgnoreRule[] = [];
  const warnings: IgnoreFileWarning[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const id = fields[0] as string;
    let expiresAt: number | undefined;
    let expiresText: string | undefined;
    if (fields.length > 1) {
      // Trivy reads the first `exp:` field only.
      const exp = fields.find((f) => f.startsWith('exp:'));
      if (exp !== undefined) {
        expiresText = exp.slice(4);
        expiresAt = parseIsoDate(expiresText);
        if (expiresAt === undefined) {
          warnings.push({
            file,
            line: index + 1,
            message: `'${exp}' is not a date in the form exp:YYYY-MM-DD; Trivy skips this line, so ${id} is not ignored`,
          });
          continue;
        }
      }
    }
    rules.push(rule(id, file, index + 1, expiresAt !== undefined ? { expiresAt, expiresText } : {}));
  }
  return { file, format: 'trivyignore', rules, warnings };
}

interface YamlNodeLike {
  range?: [number, number, number] | null;
}

export async function parseTrivyignoreYaml(text: string, file: string): Promise<IgnoreFileContents> {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: YamlNodeLike | null | undefined): number => (node?.range ? counter.linePos(node.range[0]).line : 1);
  const problem = doc.errors[0];
  if (problem) {
    const at = counter.linePos(problem.pos[0]);
    throw new IgnoreFileError(file, at.line, `malformed YAML (column ${at.col}): ${problem.message.split('\n')[0]}`);
  }
  const rules: IgnoreRule[] = [];
  const warnings: IgnoreFileWarning[] = [];
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return { file, format: 'yaml', rules, warnings };
  if (!isMap(root)) throw new IgnoreFileError(file, lineOf(root), 'expected a mapping with a `vulnerabilities:` list');
  const section = root.get('vulnerabilities', true);
  if (section === undefined || section === null || (isScalar(section) && section.value === null)) return { file, format: 'yaml', rules, warnings };
  if (!isSeq(section)) throw new IgnoreFileError(file, lineOf(section as YamlNodeLike), '`vulnerabilities` must be a list of entries (- id: CVE-…)');

  for (const item of section.items) {
    const line = lineOf(item as YamlNodeLike);
    if (!isMap(item)) throw new IgnoreFileError(file, line, 'each `vulnerabilities` entry must be a mapping with an `id`');
    const scalarText = (key: string): string | undefined => {
      const node = item.get(key, true);
      if (node === undefined || node === null) return undefined;
      if (!isScalar(node) || (node.value !== null && typeof node.value === 'object')) {
        throw new IgnoreFileError(file, lineOf(node as YamlNodeLike), `\`${key}\` must be a single value`);
      }
      return node.value === null ? undefined : String(node.value);
    };
    const list = (key: string): { values: string[]; lines: number[] } => {
      const node = item.get(key, true);
      if (node === undefined || node === null || (isScalar(node) && node.value === null)) return { values: [], lines: [] };
      if (!isSeq(node)) throw new IgnoreFileError(file, lineOf(node as YamlNodeLike), `\`${key}\` must be a list`);
      const values: string[] = [];
      const lines: number[] = [];
      for (const entry of node.items) {
        if (!isScalar(entry) || entry.value === null || typeof entry.value === 'object') {
          throw new IgnoreFileError(file, lineOf(entry as YamlNodeLike), `\`${key}\` entries must be strings`);
        }
        values.push(String(entry.value));
        lines.push(lineOf(entry as YamlNodeLike));
      }
      return { values, lines };
    };

    const id = scalarText('id');
    const paths = list('paths');
    const purls = list('purls');
    const statement = scalarText('statement') ?? '';
    const expiredText = scalarText('expired_at');
    const pathMatchers = paths.values.map((pattern, k) => {
      try {
        return compileGlob(pattern);
      } catch (error) {
        throw new IgnoreFileError(file, paths.lines[k], `invalid path pattern '${pattern}'${id ? ` for ${id}` : ''}: ${(error as Error).message}`);
      }
    });
    const parsedPurls = purls.values.map((purl, k) => {
      try {
        return parsePurl(purl);
      } catch (error) {
        throw new IgnoreFileError(file, purls.lines[k], `invalid package URL${id ? ` for ${id}` : ''}: ${(error as Error).message}`);
      }
    });
    let expiresAt: number | undefined;
    if (expiredText !== undefined) {
      expiresAt = parseYamlTimestamp(expiredText);
      if (expiresAt === undefined) {
        throw new IgnoreFileError(file, lineOf(item.get('expired_at', true) as YamlNodeLike), `expired_at '${expiredText}' is not a date such as 2025-12-31`);
      }
    }
    if (id === undefined || id.trim() === '') {
      warnings.push({ file, line, message: 'this entry has no `id`, so it matches nothing' });
      continue;
    }
    rules.push(
      rule(id, file, line, {
        ...(expiresAt !== undefined ? { expiresAt, expiresText: expiredText } : {}),
        paths: paths.values,
        pathMatchers,
        purls: purls.values,
        parsedPurls,
        statement,
      }),
    );
  }
  return { file, format: 'yaml', rules, warnings };
}

/** Reads one ignore file of either format (chosen by extension, as Trivy does). */
export async function readIgnoreFile(path: string, display = basename(path)): Promise<IgnoreFileContents> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new IgnoreFileError(display, undefined, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`);
  }
  return isYamlIgnoreFile(path) ? parseTrivyignoreYaml(text, display) : parseTrivyignore(text, display);
}
