/**
 * Job summary builder. Collects Markdown/HTML and writes it once (the run wrapper flushes it in
 * `finally`, so failed runs get their summary too). Capped under GitHub's 1 MiB per-step limit: past
 * the cap, content is dropped with one visible marker instead of the runner rejecting the whole
 * summary.
 */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;
const MARGIN_BYTES = 8 * 1024;

export type Cell = string | number | boolean | null | undefined;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A table cell: Markdown pipes and newlines would break the row. */
export function cell(value: Cell): string {
  if (value === null || value === undefined || value === '') return '–';
  return escapeHtml(String(value)).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

export class Summary {
  private readonly parts: string[] = [];
  private bytes = 0;
  private truncated = false;

  constructor(private readonly limit = SUMMARY_LIMIT_BYTES) {}

  /** Appends raw Markdown; returns false once the cap is reached. */
  raw(markdown: string): boolean {
    if (this.truncated) return false;
    const size = Buffer.byteLength(markdown, 'utf8');
    if (this.bytes + size > this.limit - MARGIN_BYTES) {
      this.truncated = true;
      this.parts.push('\n\n> [!NOTE]\n> The rest of this summary was cut to stay under GitHub\'s 1 MiB step-summary limit; see the step log and the outputs.\n');
      return false;
    }
    this.parts.push(markdown);
    this.bytes += size;
    return true;
  }

  heading(text: string, level: 1 | 2 | 3 | 4 = 2): this {
    this.raw(`${'#'.repeat(level)} ${text}\n\n`);
    return this;
  }

  paragraph(markdown: string): this {
    this.raw(`${markdown}\n\n`);
    return this;
  }

  list(items: readonly string[]): this {
    if (items.length) this.raw(items.map((i) => `- ${i}`).join('\n') + '\n\n');
    return this;
  }

  code(text: string, language = ''): this {
    const fence = text.includes('```') ? '````' : '```';
    this.raw(`${fence}${language}\n${text}\n${fence}\n\n`);
    return this;
  }

  /** A Markdown table; rows are added one by one so a huge table is cut at a row boundary. */
  table(headers: readonly string[], rows: readonly (readonly Cell[])[]): this {
    if (!this.raw(`| ${headers.map(cell).join(' | ')} |\n| ${headers.map(() => '---').join(' | ')} |\n`)) return this;
    for (const row of rows) if (!this.raw(`| ${row.map(cell).join(' | ')} |\n`)) return this;
    this.raw('\n');
    return this;
  }

  /** A collapsible section whose body is produced by `fill` on a nested builder. */
  details(title: string, fill: (inner: Summary) => void, open = false): this {
    const inner = new Summary(this.limit - this.bytes);
    fill(inner);
    this.raw(`<details${open ? ' open' : ''}><summary>${escapeHtml(title)}</summary>\n\n${inner.toString()}\n</details>\n\n`);
    return this;
  }

  get isEmpty(): boolean {
    return this.parts.length === 0;
  }

  toString(): string {
    return this.parts.join('');
  }
}
