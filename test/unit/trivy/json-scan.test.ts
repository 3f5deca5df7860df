import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JsonScanner, JsonSyntaxError } from '../../../src/trivy/json-scan.js';
import { fixture } from '../../helpers/trivy/reports.js';

/** Whether the scanner accepts the text as one JSON document (skip + nothing after). */
function scannerAccepts(text: string | Buffer): boolean {
  const s = new JsonScanner(typeof text === 'string' ? Buffer.from(text) : text);
  try {
    s.skip();
    s.expectEnd();
    return true;
  } catch (error) {
    if (error instanceof JsonSyntaxError) return false;
    throw error;
  }
}

function parseAccepts(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const GOLDENS = ['alpine-310.json.golden', 'centos-7.json.golden', 'spring4shell-jre11.json.golden', 'alpine-310.sarif.golden'];

describe('JsonScanner agrees with JSON.parse', () => {
  it.each([
    ['{}', true],
    ['[]', true],
    [' {"a" : [1, -2.5e+3, 0, true, false, null, "x\\n\\u00e9"]} ', true],
    ['"\\ud800"', true],
    ['{"a":1,}', false],
    ['[1,]', false],
    ['{"a" 1}', false],
    ['{a:1}', false],
    ['[01]', false],
    ['[1.]', false],
    ['[.5]', false],
    ['[1e]', false],
    ['[-]', false],
    ['[+1]', false],
    ['[tru]', false],
    ['[nul]', false],
    ['["\\x"]', false],
    ['["\\u12G4"]', false],
    ['["a\tb"]', false],
    ['{"a":1}{', false],
    ['{"a":1} x', false],
    ['', false],
    ['   ', false],
    ['{"a":"b"', false],
    ['[[[[', false],
    ["['a']", false],
  ])('%j → %s', (text, ok) => {
    expect(parseAccepts(text)).toBe(ok);
    expect(scannerAccepts(text)).toBe(ok);
  });

  it.each(GOLDENS)('accepts the real Trivy output %s', (name) => {
    expect(scannerAccepts(readFileSync(fixture(name)))).toBe(true);
  });

  it.each(GOLDENS)('rejects every truncation of %s (as JSON.parse does)', (name) => {
    const text = readFileSync(fixture(name), 'utf8');
    const trimmed = text.trimEnd();
    let checked = 0;
    for (let cut = 0; cut < trimmed.length; cut += 7) {
      const part = trimmed.slice(0, cut);
      expect(parseAccepts(part), `JSON.parse at ${cut}`).toBe(false);
      expect(scannerAccepts(part), `scanner at ${cut}`).toBe(false);
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it("rejects the same single-byte deletions of structure as JSON.parse (escapes included)", () => {
    const text = readFileSync(fixture('spring4shell-jre11.json.golden'), 'utf8');
    let differences = 0;
    let rejected = 0;
    for (let i = 0; i < text.length; i++) {
      if (!'{}[]:,"'.includes(text[i] as string)) continue;
      const mutated = text.slice(0, i) + text.slice(i + 1);
      const expected = parseAccepts(mutated);
      if (!expected) rejected++;
      if (scannerAccepts(mutated) !== expected) differences++;
    }
    expect(rejected).toBeGreaterThan(1000);
    expect(differences).toBe(0);
  });

  it('skips deep nesting without recursion', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(scannerAccepts(deep)).toBe(true);
    expect(scannerAccepts(deep.slice(0, -1))).toBe(false);
  });

  it('reports the byte offset of the problem', () => {
    const s = new JsonScanner(Buffer.from('{"a": [1, 2,, 3]}'));
    expect(() => s.skip()).toThrow(expect.objectContaining({ offset: 12 }));
  });

  it('tolerates a UTF-8 byte-order mark and decodes escaped and non-ASCII strings', () => {
    const s = new JsonScanner(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('["caf\\u00e9 \\"q\\"", "naïve"]')]));
    const values: string[] = [];
    expect(s.enterArray()).toBe(true);
    do values.push(s.string());
    while (s.nextItem());
    s.expectEnd();
    expect(values).toEqual(['café "q"', 'naïve']);
  });

  it('finds the end of long strings with escaped quotes and backslashes', () => {
    const long = `${'x'.repeat(100)}\\"${'y'.repeat(50)}\\\\`;
    const text = `["${long}", 1]`;
    expect(parseAccepts(text)).toBe(true);
    expect(scannerAccepts(text)).toBe(true);
    expect(scannerAccepts(`["${'x'.repeat(100)}\\", 1]`)).toBe(false);
  });
});

describe('JsonScanner leniency (documented)', () => {
  it('rejects a raw control character in a short or read string, tolerates one deep in a long skipped string', () => {
    expect(scannerAccepts('["a\tb"]')).toBe(false);
    const long = `["${'d'.repeat(200)}\t${'d'.repeat(10)}"]`;
    expect(parseAccepts(long)).toBe(false);
    expect(scannerAccepts(long)).toBe(true);
  });
});
