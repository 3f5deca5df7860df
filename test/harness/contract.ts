/**
 * Contract harness: runs a bundle exactly as the GitHub runner does — Node 24 from the npm `node@24`
 * package, `INPUT_*` variables (hyphens kept, action.yml defaults filled in), temp GITHUB_OUTPUT /
 * GITHUB_STEP_SUMMARY / GITHUB_STATE / GITHUB_ENV files, RUNNER_TEMP — and parses what it wrote.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { evaluateDefault } from '../../src/core/defaults.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
/** The real Node 24 binary shipped by the npm package `node@24` (the runner's `node24`). */
export const NODE24 = join(ROOT, 'node_modules', 'node', 'bin', 'node');

export interface BundleRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  env: Record<string, string>;
  summary: string;
  durationMs: number;
  /** `::error::` lines (unescaped messages). */
  errors: string[];
  warnings: string[];
  tempDir: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** STATE_* values, for running a post step. */
  state?: Record<string, string>;
  timeoutMs?: number;
  cwd?: string;
  /** Do not fill action.yml defaults (to test the action's own defaults). */
  noDefaults?: boolean;
}

/** Parses the runner's file-command format: `name<<DELIM\nvalue\nDELIM` and legacy `name=value`. */
export function parseFileCommands(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] as string);
      if (i >= lines.length) throw new Error(`unterminated file command for ${name}`);
      result[name] = value.join('\n');
    } else {
      const eq = line.indexOf('=');
      if (eq < 0) throw new Error(`malformed file command line: ${line}`);
      result[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return result;
}

function unescapeData(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

export function actionYamlPath(name: string): string {
  return name === 'deploy' ? join(ROOT, 'action.yml') : join(ROOT, 'actions', name, 'action.yml');
}

/** The inputs the runner sets from action.yml defaults (expressions such as `${{ github.token }}` evaluated from `env`). */
export function actionDefaults(name: string, env: Record<string, string | undefined> = {}): Record<string, string> {
  const doc = parse(readFileSync(actionYamlPath(name), 'utf8')) as { inputs?: Record<string, { default?: unknown }> };
  const defaults: Record<string, string> = {};
  for (const [input, meta] of Object.entries(doc.inputs ?? {})) if (meta.default !== undefined) defaults[input] = evaluateDefault(String(meta.default), env);
  return defaults;
}

/** The env var the runner sets for an input: spaces become underscores, upper-cased, hyphens kept. */
export function inputVar(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export async function runBundle(name: string, inputs: Record<string, string>, options: RunOptions = {}): Promise<BundleRun> {
  const temp = mkdtempSync(join(tmpdir(), `shipline-contract-${name}-`));
  const files = { GITHUB_OUTPUT: 'output', GITHUB_STEP_SUMMARY: 'summary', GITHUB_STATE: 'state', GITHUB_ENV: 'env' } as const;
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? temp,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_TEMP: join(temp, 'runner-temp'),
    RUNNER_OS: 'Linux',
    GITHUB_WORKSPACE: options.cwd ?? ROOT,
    GITHUB_REPOSITORY: 'acme/api',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_ACTOR: 'octocat',
  };
  for (const [variable, file] of Object.entries(files)) {
    env[variable] = join(temp, file);
    writeFileSync(join(temp, file), '');
  }
  const { mkdirSync } = await import('node:fs');
  mkdirSync(env['RUNNER_TEMP'] as string, { recursive: true });
  const allInputs = { ...(options.noDefaults ? {} : actionDefaults(name, { ...env, ...options.env })), ...inputs };
  for (const [input, value] of Object.entries(allInputs)) env[inputVar(input)] = value;
  for (const [key, value] of Object.entries(options.state ?? {})) env[`STATE_${key}`] = value;
  Object.assign(env, options.env ?? {});

  const bundle = join(ROOT, 'dist', name, 'index.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} does not exist: run npm run build`);
  const started = performance.now();
  const child = spawn(NODE24, [bundle], { cwd: options.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const exitCode = await new Promise<number>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} bundle did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise(code ?? -1);
    });
  });
  const durationMs = performance.now() - started;
  const read = (file: string): string => readFileSync(join(temp, file), 'utf8');
  const commands = (kind: string): string[] =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith(`::${kind}`))
      .map((l) => unescapeData(l.slice(l.indexOf('::', 2) + 2)));
  const result: BundleRun = {
    exitCode,
    stdout,
    stderr,
    outputs: parseFileCommands(read('output')),
    state: parseFileCommands(read('state')),
    env: parseFileCommands(read('env')),
    summary: read('summary'),
    durationMs,
    errors: commands('error'),
    warnings: commands('warning'),
    tempDir: temp,
  };
  return result;
}

export function cleanup(run: BundleRun): void {
  rmSync(run.tempDir, { recursive: true, force: true });
}
