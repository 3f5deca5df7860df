/**
 * The streaming sibling of `exec`: for long-running tools whose stdout is consumed as it comes
 * (`kubectl get -w -o json`). Same rules as `exec` — the command is echoed with secrets redacted,
 * stderr is capped (the tail is kept), the exit is reported with its code — but stdout is handed to
 * `onStdout` chunk by chunk instead of being collected, and the caller may stop the process.
 */
import { spawn } from 'node:child_process';
import { quoteArg } from './exec.js';
import type { Logger } from './log.js';

export interface StreamExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The stderr tail (redacted). */
  stderr: string;
  /** True when `stop()` ended it. */
  stopped: boolean;
  /** Set when the tool could not be started at all (e.g. not on PATH). */
  spawnError?: string;
}

export interface StreamProcess {
  /** Resolves once the process has exited (never rejects). */
  readonly done: Promise<StreamExit>;
  /** Ends the process (SIGTERM, then SIGKILL after 2 s). Idempotent. */
  stop(): void;
}

export interface StreamOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Do not echo the command line. */
  silent?: boolean;
  stderrCapBytes?: number;
}

/** Every stream process still running (so a cancelled job can end them before it exits). */
const live = new Set<StreamProcess>();

/** Stops every stream process still running (for signal handlers: a killed parent skips `finally`). */
export function stopAllStreams(): void {
  for (const proc of live) proc.stop();
}

export type SpawnStream = (file: string, args: readonly string[], onStdout: (chunk: string) => void, options?: StreamOptions) => StreamProcess;

export function createSpawnStream(log: Logger, redact: (text: string) => string): SpawnStream {
  return (file, args, onStdout, options = {}) => {
    const commandLine = redact([file, ...args].map(quoteArg).join(' '));
    if (!options.silent) log.info(`[command]${commandLine}`);
    const cap = options.stderrCapBytes ?? 16 * 1024;
    let stderr = '';
    let stopped = false;
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => onStdout(chunk));
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > cap) stderr = stderr.slice(-cap);
    });
    const done = new Promise<StreamExit>((resolve) => {
      child.on('error', (error: NodeJS.ErrnoException) => {
        resolve({
          exitCode: null,
          signal: null,
          stderr: '',
          stopped,
          spawnError: error.code === 'ENOENT' ? `${file} was not found on PATH` : error.message,
        });
      });
      child.on('close', (code, signal) => resolve({ exitCode: code, signal, stderr: redact(stderr), stopped }));
    });
    const proc: StreamProcess = {
      done,
      stop: () => {
        if (stopped) return;
        stopped = true;
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }, 2000).unref();
      },
    };
    live.add(proc);
    void done.then(() => live.delete(proc));
    return proc;
  };
}
