/**
 * The one way shipline runs an external tool: the command is echoed (secrets redacted), stdout is
 * captured whole, stderr is capped, and a non-zero exit becomes an ExecError carrying the exit code.
 * Success is decided by exit codes and structured output, never by grepping stderr.
 */
import { spawn } from 'node:child_process';
import type { Logger } from './log.js';
import type { Redactor } from './redact.js';

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Written to the tool's stdin, then closed. */
  input?: string | Buffer;
  /** Exit codes that are not failures (default [0]). */
  okExitCodes?: readonly number[];
  /** Do not echo the command line (still redacted when echoed). */
  silent?: boolean;
  /** Stream stderr lines to the log as they come (long builds). */
  streamStderr?: boolean;
  timeoutMs?: number;
  /** Bytes of stderr kept (the tail), default 64 KiB. */
  stderrCapBytes?: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

export class ExecError extends Error {
  override readonly name = 'ExecError';
  constructor(
    readonly commandLine: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly stdout: string,
    readonly signal: NodeJS.Signals | null = null,
    readonly reason?: string,
  ) {
    const how = reason ?? (signal ? `was killed by ${signal}` : `exited with code ${exitCode}`);
    const tail = stderr.trim().split('\n').slice(-3).join(' | ');
    super(`${commandLine.split(' ')[0]} ${how}${tail ? `: ${tail}` : ''}`);
  }
}

export function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.cap && this.chunks.length > 1) {
      const first = this.chunks.shift() as Buffer;
      this.size -= first.length;
      this.dropped += first.length;
    }
  }
  toString(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped ? `[… ${this.dropped} bytes of stderr dropped …]\n${text.slice(-this.cap)}` : text;
  }
}

export function createExec(log: Logger, redactor: Redactor): Exec {
  return (file, args, options = {}) =>
    new Promise<ExecResult>((resolve, reject) => {
      const commandLine = redactor.redact([file, ...args].map(quoteArg).join(' '));
      if (!options.silent) log.info(`[command]${commandLine}`);
      const started = Date.now();
      const child = spawn(file, args, {
        cwd: options.cwd,
        env: options.env ? { ...process.env, ...options.env } : process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        signal: options.signal,
      });
      const stdout: Buffer[] = [];
      const stderr = new TailBuffer(options.stderrCapBytes ?? 64 * 1024);
      let pending = '';
      child.stdout.on('data', (c: Buffer) => stdout.push(c));
      child.stderr.on('data', (c: Buffer) => {
        stderr.push(c);
        if (options.streamStderr) {
          pending += c.toString('utf8');
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) log.info(redactor.redact(line));
        }
      });
      let timedOut = false;
      const timer = options.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }, options.timeoutMs)
        : undefined;
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (timer) clearTimeout(timer);
        const reason = error.code === 'ENOENT' ? `was not found on PATH` : error.message;
        reject(new ExecError(commandLine, null, '', '', null, reason));
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (options.streamStderr && pending) log.info(redactor.redact(pending));
        const result: ExecResult = {
          exitCode: code ?? -1,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: redactor.redact(stderr.toString()),
          durationMs: Date.now() - started,
        };
        if (timedOut) {
          reject(new ExecError(commandLine, code, result.stderr, result.stdout, signal, `timed out after ${options.timeoutMs} ms`));
        } else if (code === null || !(options.okExitCodes ?? [0]).includes(code)) {
          reject(new ExecError(commandLine, code, result.stderr, result.stdout, signal));
        } else resolve(result);
      });
      if (options.input !== undefined) child.stdin.end(options.input);
      else child.stdin.end();
    });
}
