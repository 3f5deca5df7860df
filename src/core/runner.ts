/**
 * The GitHub Actions runner protocol (workflow commands on stdout, file commands for outputs,
 * state, environment and the job summary).
 *
 * Implemented here rather than taken from @actions/core on purpose: @actions/core 3 pulls
 * @actions/http-client and undici (~420 KB) into every bundle's start-up path for OIDC alone,
 * +50% cold start, and the cold-start budget is 2x `node -e 0`. The protocol below is the
 * documented one (docs.github.com "Workflow commands for GitHub Actions"); the contract tests
 * run every bundle against it exactly as the runner does.
 */
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { EOL } from 'node:os';

export interface AnnotationProperties {
  title?: string;
  file?: string;
  line?: number;
  endLine?: number;
  col?: number;
  endColumn?: number;
}

/** Everything an action may ask of the process that runs it. Fakes implement it in tests and the CLI. */
export interface Runner {
  /** Raw input value, '' when unset. */
  getInput(name: string): string;
  setOutput(name: string, value: string): void;
  /** Registers a secret with the runner's masker. */
  setSecret(value: string): void;
  getState(name: string): string;
  saveState(name: string, value: string): void;
  exportVariable(name: string, value: string): void;
  /** A plain log line. */
  write(line: string): void;
  /** A workflow command (`error`, `warning`, `notice`, `debug`, `group`, `endgroup`). */
  command(name: string, properties: AnnotationProperties, message: string): void;
  appendSummary(markdown: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly isDebug: boolean;
}

export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function formatCommand(name: string, properties: AnnotationProperties, message: string): string {
  const props = Object.entries(properties)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

function fileCommandValue(name: string, value: string): string {
  const delimiter = `ghadelimiter_${randomUUID()}`;
  if (name.includes(delimiter) || value.includes(delimiter)) throw new Error('delimiter collision');
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`;
}

/** The real runner: process.env and the GITHUB_* files. */
export class GitHubRunner implements Runner {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly isDebug: boolean;

  constructor(env: NodeJS.ProcessEnv = process.env, private readonly out: (line: string) => void = (l) => process.stdout.write(l + EOL)) {
    this.env = env;
    this.isDebug = env['RUNNER_DEBUG'] === '1';
  }

  getInput(name: string): string {
    return this.env[inputEnvName(name)] ?? '';
  }

  private fileCommand(variable: string, name: string, value: string, fallback: string): void {
    const path = this.env[variable];
    if (path) appendFileSync(path, fileCommandValue(name, value), 'utf8');
    else this.out(`::${fallback}::${escapeData(value)}`);
  }

  setOutput(name: string, value: string): void {
    const path = this.env['GITHUB_OUTPUT'];
    if (path) appendFileSync(path, fileCommandValue(name, value), 'utf8');
    else this.out(`::set-output name=${escapeProperty(name)}::${escapeData(value)}`);
  }

  setSecret(value: string): void {
    this.out(formatCommand('add-mask', {}, value));
  }

  getState(name: string): string {
    return this.env[`STATE_${name}`] ?? '';
  }

  saveState(name: string, value: string): void {
    this.fileCommand('GITHUB_STATE', name, value, `save-state name=${escapeProperty(name)}`);
  }

  exportVariable(name: string, value: string): void {
    (process.env as Record<string, string>)[name] = value;
    this.fileCommand('GITHUB_ENV', name, value, `set-env name=${escapeProperty(name)}`);
  }

  write(line: string): void {
    this.out(line);
  }

  command(name: string, properties: AnnotationProperties, message: string): void {
    this.out(formatCommand(name, properties, message));
  }

  appendSummary(markdown: string): void {
    const path = this.env['GITHUB_STEP_SUMMARY'];
    if (path) appendFileSync(path, markdown, 'utf8');
  }
}
