/**
 * The logger every action uses: redacts registered secrets, renders annotations, and closes
 * groups in `finally` so a thrown error never leaves a group open.
 */
import type { AnnotationProperties, Runner } from './runner.js';
import type { Redactor } from './redact.js';

export interface Logger {
  info(message: string): void;
  debug(message: string): void;
  notice(message: string, where?: AnnotationProperties): void;
  warning(message: string, where?: AnnotationProperties): void;
  error(message: string, where?: AnnotationProperties): void;
  /** Runs `fn` inside a collapsible log group, closed whatever happens. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export class RunnerLogger implements Logger {
  private depth = 0;

  constructor(
    private readonly runner: Runner,
    private readonly redactor: Redactor,
  ) {}

  private clean(text: string): string {
    return this.redactor.redact(text);
  }

  info(message: string): void {
    for (const line of this.clean(message).split('\n')) this.runner.write(line);
  }

  debug(message: string): void {
    if (this.runner.isDebug) this.runner.command('debug', {}, this.clean(message));
  }

  notice(message: string, where: AnnotationProperties = {}): void {
    this.runner.command('notice', where, this.clean(message));
  }

  warning(message: string, where: AnnotationProperties = {}): void {
    this.runner.command('warning', where, this.clean(message));
  }

  error(message: string, where: AnnotationProperties = {}): void {
    this.runner.command('error', where, this.clean(message));
  }

  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    // The runner does not nest groups: an inner group is logged as a plain heading.
    const nested = this.depth > 0;
    if (nested) this.runner.write(`── ${this.clean(name)}`);
    else this.runner.command('group', {}, this.clean(name));
    this.depth++;
    try {
      return await fn();
    } finally {
      this.depth--;
      if (!nested) this.runner.command('endgroup', {}, '');
    }
  }
}
