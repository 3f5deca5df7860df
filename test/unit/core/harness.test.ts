import { describe, expect, it } from 'vitest';
import { inputVar, parseFileCommands } from '../../harness/contract.js';

describe('contract harness', () => {
  it('names input variables as the runner does (hyphens kept, spaces to underscores)', () => {
    expect(inputVar('expect-status')).toBe('INPUT_EXPECT-STATUS');
    expect(inputVar('my input')).toBe('INPUT_MY_INPUT');
  });

  it('parses heredoc and legacy file commands', () => {
    const text = 'result<<ghadelimiter_1\npass\nghadelimiter_1\nresults<<EOF\n[\n 1\n]\nEOF\nlegacy=a=b\n';
    expect(parseFileCommands(text)).toEqual({ result: 'pass', results: '[\n 1\n]', legacy: 'a=b' });
  });

  it('rejects an unterminated heredoc', () => {
    expect(() => parseFileCommands('x<<D\nvalue\n')).toThrow('unterminated');
  });
});

describe('action.yml defaults with expressions', () => {
  it('evaluates github.* from the environment the runner sets, anything else to empty', async () => {
    const { evaluateDefault } = await import('../../../src/core/defaults.js');
    expect(evaluateDefault('${{ github.token }}', { GITHUB_TOKEN: 'ghs_x' })).toBe('ghs_x');
    expect(evaluateDefault('${{github.sha}}-suffix', { GITHUB_SHA: 'abc' })).toBe('abc-suffix');
    expect(evaluateDefault('${{ job.status }}', {})).toBe('');
    expect(evaluateDefault('plain', {})).toBe('plain');
  });
});
