import { describe, expect, it } from 'vitest';
import {
  jsonValueMatches,
  parseJsonPath,
  parseStatusMatcher,
  parseTextMatcher,
  readJsonPath,
  statusMatches,
  textMatches,
  type StatusMatcher,
} from '../../../src/smoke/expect.js';
import { percentile, mapPool } from '../../../src/smoke/stats.js';

describe('status matcher', () => {
  it.each([
    ['2xx', 200, true],
    ['2xx', 299, true],
    ['2xx', 301, false],
    ['200', 200, true],
    ['200', 204, false],
    ['200,204', 204, true],
    ['2xx, 301', 301, true],
    ['404', 404, true],
  ])('%s matches %d: %s', (spec, status, expected) => {
    expect(statusMatches(parseStatusMatcher(spec) as StatusMatcher, status)).toBe(expected);
  });

  it('accepts numbers and lists from YAML', () => {
    expect(statusMatches(parseStatusMatcher([200, '3xx']) as StatusMatcher, 302)).toBe(true);
    expect(statusMatches(parseStatusMatcher(201) as StatusMatcher, 201)).toBe(true);
  });

  it.each(['ok', '6xx', '99', '2000', ''])('rejects %j', (spec) => expect(typeof parseStatusMatcher(spec)).toBe('string'));
});

describe('text matcher', () => {
  it.each([
    ['healthy', 'status: healthy', true],
    ['healthy', 'status: unhealthy', true],
    ['/^status: healthy$/', 'status: unhealthy', false],
    ['/HEALTHY/i', 'healthy', true],
    ['/v\\d+\\.\\d+/', 'version v12.3', true],
    ['/not closed', '/not closed', true],
  ])('%s on %j → %s', (spec, text, expected) => {
    const matcher = parseTextMatcher(spec);
    expect(typeof matcher).not.toBe('string');
    expect(textMatches(matcher as Exclude<typeof matcher, string>, text)).toBe(expected);
  });

  it('reports an invalid regex', () => expect(parseTextMatcher('/(unclosed/')).toMatch(/^invalid regular expression/));
});

describe('JSON paths', () => {
  const doc = { status: 'ok', items: [{ id: 7 }, { id: 8, tags: ['a'] }], 'dotted.key': true, nothing: null };
  it.each([
    ['status', true, 'ok'],
    ['$.status', true, 'ok'],
    ['items[1].id', true, 8],
    ['items[1].tags[0]', true, 'a'],
    ['["dotted.key"]', true, true],
    ['nothing', true, null],
    ['items[5].id', false, undefined],
    ['status.length', false, undefined],
    ['missing', false, undefined],
  ])('%s → found %s, %j', (path, found, value) => {
    const parsed = parseJsonPath(path);
    expect(Array.isArray(parsed)).toBe(true);
    expect(readJsonPath(doc, parsed as (string | number)[])).toEqual(found ? { found, value } : { found });
  });

  it('compares deeply, and a /regex/ against the value text', () => {
    expect(jsonValueMatches({ a: [1, 2] }, { a: [1, 2] })).toBe(true);
    expect(jsonValueMatches({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(jsonValueMatches(7, '7')).toBe(false);
    expect(jsonValueMatches('/^1\\.2\\./', '1.2.3')).toBe(true);
    expect(jsonValueMatches('/^\\d+$/', 42)).toBe(true);
  });
});

describe('stats', () => {
  it('uses nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile([42], 95)).toBe(42);
    expect(percentile([], 95)).toBeUndefined();
  });

  it('keeps order and bounds concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapPool([5, 1, 3, 2, 4], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n * 3));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 30, 20, 40]);
    expect(peak).toBe(2);
  });
});
