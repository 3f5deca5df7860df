/**
 * A runner held in memory: inputs from a map, everything else captured. Used by unit tests (as the
 * injected fake) and by the `shipline` CLI (which renders what it captured for a terminal).
 */
import type { AnnotationProperties, Runner } from './runner.js';
import { formatCommand } from './runner.js';

export class MemoryRunner implements Runner {
  readonly outputs = new Map<string, string>();
  readonly state = new Map<string, string>();
  readonly exported = new Map<string, string>();
  readonly secrets: string[] = [];
  /** Every line as the runner would have seen it on stdout. */
  readonly lines: string[] = [];
  summary = '';
  readonly isDebug: boolean;

  constructor(
    private readonly inputs: Record<string, string> = {},
    readonly env: Readonly<Record<string, string | undefined>> = {},
    private readonly sink?: (line: string, command?: { name: string; properties: AnnotationProperties; message: string }) => void,
  ) {
    this.isDebug = env['RUNNER_DEBUG'] === '1';
  }

  getInput(name: string): string {
    return this.inputs[name] ?? '';
  }
  setOutput(name: string, value: string): void {
    this.outputs.set(name, value);
  }
  setSecret(value: string): void {
    this.secrets.push(value);
  }
  getState(name: string): string {
    return this.state.get(name) ?? '';
  }
  saveState(name: string, value: string): void {
    this.state.set(name, value);
  }
  exportVariable(name: string, value: string): void {
    this.exported.set(name, value);
  }
  write(line: string): void {
    this.lines.push(line);
    this.sink?.(line);
  }
  command(name: string, properties: AnnotationProperties, message: string): void {
    const line = formatCommand(name, properties, message);
    this.lines.push(line);
    this.sink?.(line, { name, properties, message });
  }
  appendSummary(markdown: string): void {
    this.summary += markdown;
  }

  /** The whole log as one string (for assertions). */
  get log(): string {
    return this.lines.join('\n');
  }
}
