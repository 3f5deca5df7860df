import { describe, expect, it } from 'vitest';
import { parseResult, RESULT_LIMIT_BYTES } from '../../../src/audit/results.js';

describe('parseResult: the outputs of another step', () => {
  it('parses toJSON(steps.x.outputs): nested JSON strings and whole numbers', () => {
    const outputs = JSON.stringify({ result: 'pass', passed: '3', failed: '0', 'p95-ms': '41', results: JSON.stringify([{ name: 'health', status: 200 }]), revision: '007' });
    expect(parseResult(outputs)).toEqual({ result: 'pass', passed: 3, failed: 0, 'p95-ms': 41, results: [{ name: 'health', status: 200 }], revision: '007' });
  });

  it.each([
    ['', null],
    ['  ', null],
    ['{}', null],
    ['null', null],
    ['pass', { result: 'pass' }],
    ['Succeeded', { result: 'succeeded' }],
  ])('reads %j as %j', (text, expected) => {
    expect(parseResult(text)).toEqual(expected);
  });

  it.each([
    ['{"result": pass}', /^expected a JSON object such as .* or a result word/],
    ['[1,2]', 'expected a JSON object (the step outputs), not an array or a scalar'],
    ['"pass"', 'expected a JSON object (the step outputs), not an array or a scalar'],
    ['two words', /^expected a JSON object/],
  ])('rejects %j', (text, message) => {
    expect(parseResult(text)).toMatch(message);
  });

  it('keeps only the scalar fields of an oversized result, and says so', () => {
    const findings = Array.from({ length: 2000 }, (_, i) => ({ id: `CVE-2026-${i}`, severity: 'HIGH', title: 'x'.repeat(20) }));
    const text = JSON.stringify({ result: 'fail', blocking: '2000', findings: JSON.stringify(findings), report: 'r'.repeat(5000) });
    expect(text.length).toBeGreaterThan(RESULT_LIMIT_BYTES);
    const result = parseResult(text) as Record<string, unknown>;
    expect(result).toEqual({ result: 'fail', blocking: 2000, report: `${'r'.repeat(1024)}…`, truncated: true });
  });
});
