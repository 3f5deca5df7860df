/**
 * Typed input helpers. Every action reads all its inputs once, through these, into an `Inputs`
 * object; a bad value is a ConfigurationError naming the input, raised before any side effect.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigurationError } from './errors.js';
import { parseDuration } from './duration.js';

export interface StringOptions {
  required?: boolean;
  default?: string;
  /** Keep surrounding white space (default: trimmed). */
  raw?: boolean;
}

/** A YAML (or JSON) document given inline or as a file path. */
export interface YamlSource {
  value: unknown;
  /** The file it came from, when it came from a file. */
  file?: string;
  text: string;
}

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

export class InputReader {
  constructor(
    private readonly get: (name: string) => string,
    private readonly workspace: string = process.cwd(),
    private readonly onSecret: (value: string) => void = () => {},
  ) {}

  /** True when the input was given a non-blank value. */
  has(name: string): boolean {
    return this.get(name).trim() !== '';
  }

  string(name: string, options: StringOptions & { required: true }): string;
  string(name: string, options?: StringOptions): string;
  string(name: string, options: StringOptions = {}): string {
    const value = options.raw ? this.get(name) : this.get(name).trim();
    if (value.trim() === '') {
      if (options.required) throw new ConfigurationError(name, 'is required and was not given');
      return options.default ?? '';
    }
    return value;
  }

  optional(name: string): string | undefined {
    const value = this.get(name).trim();
    return value === '' ? undefined : value;
  }

  /** A secret: masked the moment it is read, before anything can log it. */
  secret(name: string, options: { required?: boolean } = {}): string | undefined {
    const value = this.get(name).trim();
    if (value === '') {
      if (options.required) throw new ConfigurationError(name, 'is required and was not given');
      return undefined;
    }
    this.onSecret(value);
    return value;
  }

  boolean(name: string, defaultValue: boolean): boolean {
    const value = this.get(name).trim().toLowerCase();
    if (value === '') return defaultValue;
    if (TRUE.has(value)) return true;
    if (FALSE.has(value)) return false;
    throw new ConfigurationError(name, `expected true or false, got '${this.get(name).trim()}'`);
  }

  /** Items separated by commas or newlines; blanks and `#` comment lines dropped. */
  list(name: string): string[] {
    return this.get(name)
      .split(/\r?\n/)
      .filter((line) => !line.trim().startsWith('#'))
      .flatMap((line) => line.split(','))
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  /** One item per line (values may contain commas); blanks and `#` comment lines dropped. */
  multiline(name: string): string[] {
    return this.get(name)
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
  }

  /** A duration in milliseconds (`500ms`, `10s`, `5m`, `1h30m`; bare numbers are seconds). */
  duration(name: string, defaultValue: string): number;
  duration(name: string, defaultValue?: undefined): number | undefined;
  duration(name: string, defaultValue?: string): number | undefined {
    const text = this.get(name).trim() || defaultValue;
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    if (ms === undefined) throw new ConfigurationError(name, `expected a duration such as 30s, 5m or 1h30m, got '${text}'`);
    return ms;
  }

  enum<const T extends string>(name: string, values: readonly T[], defaultValue: T): T {
    const value = this.get(name).trim();
    if (value === '') return defaultValue;
    const match = values.find((v) => v.toLowerCase() === value.toLowerCase());
    if (!match) throw new ConfigurationError(name, `expected one of ${values.join(', ')}, got '${value}'`);
    return match;
  }

  integer(name: string, defaultValue: number, range: { min?: number; max?: number } = {}): number {
    const text = this.get(name).trim();
    if (text === '') return defaultValue;
    if (!/^-?\d+$/.test(text)) throw new ConfigurationError(name, `expected a whole number, got '${text}'`);
    const value = Number(text);
    if (range.min !== undefined && value < range.min) throw new ConfigurationError(name, `must be at least ${range.min}, got ${value}`);
    if (range.max !== undefined && value > range.max) throw new ConfigurationError(name, `must be at most ${range.max}, got ${value}`);
    return value;
  }

  /** Resolves a path input against the workspace. */
  path(name: string, defaultValue?: string): string | undefined {
    const value = this.get(name).trim() || defaultValue;
    if (!value) return undefined;
    return isAbsolute(value) ? value : resolve(this.workspace, value);
  }

  /**
   * A YAML/JSON document given inline, or the path of a file holding one. Malformed YAML names the
   * line and column.
   */
  /**
   * The text of a document given inline, or read from the file whose path (`*.yml`, `*.yaml`,
   * `*.json`, relative to the workspace) is the whole value. Undefined when the input is blank.
   */
  textOrFile(name: string): { text: string; file?: string } | undefined {
    const raw = this.get(name);
    if (raw.trim() === '') return undefined;
    const single = raw.trim();
    if (single.includes('\n') || !/\.(ya?ml|json)$/i.test(single) || /^[[{-]/.test(single)) return { text: raw };
    const file = isAbsolute(single) ? single : resolve(this.workspace, single);
    if (!existsSync(file)) throw new ConfigurationError(name, `file ${single} does not exist`);
    return { text: readFileSync(file, 'utf8'), file };
  }

  async yamlOrFile(name: string): Promise<YamlSource | undefined> {
    const source = this.textOrFile(name);
    if (!source) return undefined;
    const { text, file } = source;
    const single = this.get(name).trim();
    const { parseDocument } = await import('./yaml.js');
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    const problem = doc.errors[0];
    if (problem) {
      const where = problem.linePos?.[0];
      const at = where ? ` at line ${where.line}, column ${where.col}` : '';
      throw new ConfigurationError(name, `malformed YAML${file ? ` in ${single}` : ''}${at}: ${(problem.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`);
    }
    return { value: doc.toJS({ maxAliasCount: 100 }), text, ...(file ? { file } : {}) };
  }
}
