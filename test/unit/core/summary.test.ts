import { describe, expect, it } from 'vitest';
import { cell, Summary, SUMMARY_LIMIT_BYTES } from '../../../src/core/index.js';

describe('Summary', () => {
  it('renders tables with escaped cells', () => {
    const s = new Summary().table(['Check', 'Detail'], [['a|b', 'line1\nline2'], ['<script>', null]]);
    expect(s.toString()).toBe(
      '| Check | Detail |\n| --- | --- |\n| a\\|b | line1<br>line2 |\n| &lt;script&gt; | – |\n\n',
    );
  });

  it('nests details', () => {
    const s = new Summary().details('More', (inner) => inner.paragraph('hidden'));
    expect(s.toString()).toBe('<details><summary>More</summary>\n\nhidden\n\n\n</details>\n\n');
  });

  it('stays under the 1 MiB step-summary limit, cutting at a row with one marker', () => {
    const s = new Summary();
    const rows = Array.from({ length: 40_000 }, (_, i) => [`row ${i}`, 'x'.repeat(40)]);
    s.table(['a', 'b'], rows).paragraph('after the cut');
    const text = s.toString();
    expect(Buffer.byteLength(text)).toBeLessThan(SUMMARY_LIMIT_BYTES);
    expect(text.match(/The rest of this summary was cut/g)).toHaveLength(1);
    expect(text).not.toContain('after the cut');
    expect(text.endsWith('|\n\n\n> [!NOTE]\n> The rest of this summary was cut to stay under GitHub\'s 1 MiB step-summary limit; see the step log and the outputs.\n')).toBe(true);
  });

  it('cell() shows a dash for empty values', () => {
    expect([cell(undefined), cell(''), cell(0), cell(false)]).toEqual(['–', '–', '0', 'false']);
  });
});
