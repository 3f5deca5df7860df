/**
 * The one run wrapper every action uses. It builds the runner services, reads the inputs inside the
 * failure handling (a bad input is one `::error::` line, never a crash), runs the action, writes the
 * job summary even when the action failed, and dispatches `post:` steps through saved state.
 */
import { tmpdir } from 'node:os';
import { ConfigurationError, errorMessage, isUserFacing } from './errors.js';
import { createExec, ExecError, type Exec } from './exec.js';
import { InputReader } from './inputs.js';
import { RunnerLogger, type Logger } from './log.js';
import { Redactor } from './redact.js';
import { GitHubRunner, type Runner } from './runner.js';
import { Summary } from './summary.js';
import { systemClock, type Clock } from './clock.js';

export type OutputValue = string | number | boolean | null | undefined | object;

export interface Outputs {
  set(name: string, value: OutputValue): void;
}

/** What `run(inputs, services)` gets: everything that touches the outside world, injectable. */
export interface Services {
  log: Logger;
  outputs: Outputs;
  summary: Summary;
  exec: Exec;
  clock: Clock;
  /** Registers a secret: masked by the runner and redacted from everything shipline prints. */
  addSecret(value: string): void;
  redact(text: string): string;
  state: { get(name: string): string; set(name: string, value: string): void };
  env: Readonly<Record<string, string | undefined>>;
  /** RUNNER_TEMP (falls back to the OS temp dir outside the runner). */
  tempDir: string;
  /** GITHUB_WORKSPACE (falls back to the current directory). */
  workspace: string;
}

export interface ActionDefinition<I> {
  name: string;
  /** Reads and validates every input; must not cause side effects. */
  readInputs(input: InputReader, services: Services): I | Promise<I>;
  run(inputs: I, services: Services): Promise<void>;
  /** A `post:` step (runs in a later process; gets state only). */
  post?(services: Services): Promise<void>;
}

export function toOutputString(value: OutputValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function createServices(runner: Runner, overrides: Partial<Services> = {}): Services {
  const redactor = new Redactor();
  const log = new RunnerLogger(runner, redactor);
  const services: Services = {
    log,
    outputs: { set: (name, value) => runner.setOutput(name, toOutputString(value)) },
    summary: new Summary(),
    exec: createExec(log, redactor),
    clock: systemClock,
    addSecret: (value) => {
      // A one- or two-character "secret" would mask every such letter in the log: not a secret.
      if (!value || value.trim().length < 3 || redactor.has(value)) return;
      // The runner matches masks line by line: the key material of a multi-line secret (the base64
      // lines of a PEM key) is also registered one line at a time, or a printed line of it would not
      // be masked. Only long lines without spaces: masking `clusters:` or a BEGIN line would shred
      // every log, and structured secrets (kubeconfigs) register their own credential values.
      const lines = value.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= 16 && /^\S+$/.test(l));
      if (lines.length > 1) for (const line of lines) runner.setSecret(line);
      runner.setSecret(value);
      redactor.add(value);
    },
    redact: (text) => redactor.redact(text),
    state: { get: (n) => runner.getState(n), set: (n, v) => runner.saveState(n, v) },
    env: runner.env,
    tempDir: runner.env['RUNNER_TEMP'] || tmpdir(),
    workspace: runner.env['GITHUB_WORKSPACE'] || process.cwd(),
    ...overrides,
  };
  return services;
}

/** Prints an error the way its kind deserves: one line for user-facing ones, the stack for bugs. */
export function reportError(error: unknown, log: Logger): void {
  if (isUserFacing(error)) {
    log.error(error.message, error instanceof ConfigurationError ? { title: `Invalid input '${error.input}'` } : {});
  } else if (error instanceof ExecError) {
    log.error(error.message);
    if (error.stderr.trim()) log.info(error.stderr.trim());
  } else {
    log.error(errorMessage(error));
    if (error instanceof Error && error.stack) log.info(error.stack);
  }
}

/**
 * Runs an action in a runner. Resolves to the exit code (also set on `process.exitCode` when
 * `setExitCode` is true, as in a bundle).
 */
export async function runAction<I>(
  definition: ActionDefinition<I>,
  runner: Runner = new GitHubRunner(),
  options: { setExitCode?: boolean; services?: Partial<Services> } = {},
): Promise<number> {
  const services = createServices(runner, options.services);
  const isPost = runner.getState('isPost') === 'true';
  let exitCode = 0;
  try {
    if (isPost) {
      await definition.post?.(services);
    } else {
      if (definition.post) runner.saveState('isPost', 'true');
      const inputs = await definition.readInputs(new InputReader((n) => runner.getInput(n), services.workspace, services.addSecret), services);
      await definition.run(inputs, services);
    }
  } catch (error) {
    exitCode = 1;
    reportError(error, services.log);
  } finally {
    if (!services.summary.isEmpty) {
      try {
        runner.appendSummary(services.redact(services.summary.toString()));
      } catch (error) {
        services.log.warning(`could not write the job summary: ${errorMessage(error)}`);
      }
    }
  }
  if (options.setExitCode !== false) process.exitCode = exitCode;
  return exitCode;
}

