import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, InputReader, parseDuration } from '../../../src/core/index.js';

const reader = (values: Record<string, string>, workspace = process.cwd(), onSecret?: (v: string) => void): InputReader =>
  new InputReader((n) => values[n] ?? '', workspace, onSecret);

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['2.5s', 2_500],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['90', 90_000],
    ['0', 0],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'ten seconds', '5x', '1h 30m', 's', '-5s', '5m3'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('InputReader', () => {
  it('names the input in one line when a required one is missing', () => {
    expect(failure(() => reader({}).string('image', { required: true }))).toBe("Input 'image': is required and was not given");
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['', true],
  ])('boolean %j → %s (default true)', (text, value) => expect(reader({ b: text }).boolean('b', true)).toBe(value));

  it('rejects a boolean it cannot read', () => {
    expect(failure(() => reader({ push: 'maybe' }).boolean('push', true))).toBe("Input 'push': expected true or false, got 'maybe'");
  });

  it('splits lists on commas and newlines, dropping blanks and comments', () => {
    expect(reader({ l: 'a, b\n# note\nc,,\n\n d ' }).list('l')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps commas inside multiline items', () => {
    expect(reader({ m: 'KEY=a,b\n  # comment\nOTHER=c\n' }).multiline('m')).toEqual(['KEY=a,b', 'OTHER=c']);
  });

  it('reads durations with a default, and rejects nonsense naming the input', () => {
    expect(reader({}).duration('timeout', '5m')).toBe(300_000);
    expect(reader({ timeout: '90s' }).duration('timeout', '5m')).toBe(90_000);
    expect(reader({}).duration('deadline')).toBeUndefined();
    expect(failure(() => reader({ timeout: 'soon' }).duration('timeout', '5m'))).toContain("Input 'timeout': expected a duration");
  });

  it('matches enums case-insensitively and lists the allowed values', () => {
    expect(reader({ s: 'Canary' }).enum('s', ['rolling', 'blue-green', 'canary'], 'rolling')).toBe('canary');
    expect(failure(() => reader({ s: 'big-bang' }).enum('s', ['rolling', 'canary'], 'rolling'))).toBe(
      "Input 's': expected one of rolling, canary, got 'big-bang'",
    );
  });

  it('bounds integers', () => {
    expect(reader({ n: '7' }).integer('n', 1, { min: 1, max: 10 })).toBe(7);
    expect(failure(() => reader({ n: '0' }).integer('n', 1, { min: 1 }))).toBe("Input 'n': must be at least 1, got 0");
    expect(failure(() => reader({ n: '2.5' }).integer('n', 1))).toBe("Input 'n': expected a whole number, got '2.5'");
  });

  it('hands secrets to the masker as they are read', () => {
    const masked: string[] = [];
    expect(reader({ token: ' s3cret-value ' }, undefined, (v) => masked.push(v)).secret('token')).toBe('s3cret-value');
    expect(masked).toEqual(['s3cret-value']);
  });

  it('parses inline YAML and YAML files, naming line and column of a syntax error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inputs-'));
    writeFileSync(join(dir, 'checks.yml'), '- url: http://a\n- url: http://b\n');
    writeFileSync(join(dir, 'bad.yaml'), 'a: 1\nb: [1, 2\n');
    const r = reader({ inline: '- url: http://x', file: 'checks.yml', bad: 'a: 1\n  b: 2\n c: 3', badfile: 'bad.yaml', missing: 'nope.yml' }, dir);
    expect((await r.yamlOrFile('inline'))?.value).toEqual([{ url: 'http://x' }]);
    const fromFile = await r.yamlOrFile('file');
    expect(fromFile?.value).toEqual([{ url: 'http://a' }, { url: 'http://b' }]);
    expect(fromFile?.file).toBe(join(dir, 'checks.yml'));
    await expect(r.yamlOrFile('bad')).rejects.toThrow(/^Input 'bad': malformed YAML at line \d+, column \d+: /);
    await expect(r.yamlOrFile('badfile')).rejects.toThrow(/^Input 'badfile': malformed YAML in bad\.yaml at line/);
    await expect(r.yamlOrFile('missing')).rejects.toThrow("Input 'missing': file nope.yml does not exist");
    expect(await r.yamlOrFile('absent')).toBeUndefined();
  });
});

describe('InputReader.textOrFile', () => {
  it('returns inline text as given, or the content of the named file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'text-or-file-'));
    writeFileSync(join(dir, 'c.yml'), 'from: file\n');
    const r = reader({ inline: '- a\n- b', file: 'c.yml', missing: 'gone.yaml' }, dir);
    expect(r.textOrFile('inline')).toEqual({ text: '- a\n- b' });
    expect(r.textOrFile('file')).toEqual({ text: 'from: file\n', file: join(dir, 'c.yml') });
    expect(r.textOrFile('absent')).toBeUndefined();
    expect(() => r.textOrFile('missing')).toThrow("Input 'missing': file gone.yaml does not exist");
  });
});
