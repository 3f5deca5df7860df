/**
 * `shipline <action> --input value …`: runs an action with the same code the bundle runs, in a
 * MemoryRunner whose log is rendered for a terminal, then prints the outputs and the job summary.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { MemoryRunner } from '../core/memory-runner.js';
import { runAction } from '../core/run.js';
import { evaluateDefault } from '../core/defaults.js';
import { actionYamlUrl, type AnyDefinition } from './registry.js';

interface ActionYaml {
  inputs?: Record<string, { description?: string; default?: string; required?: boolean }>;
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  color: boolean;
}

export function parseFlags(argv: string[], known: ReadonlySet<string>): Record<string, string> | string {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) return `unexpected argument '${arg}' (inputs are given as --name value)`;
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && known.has(next.slice(2).split('=')[0] as string))) value = 'true';
      else {
        value = next;
        i++;
      }
    }
    if (!known.has(name)) return `unknown input '--${name}' (known: ${[...known].map((k) => `--${k}`).join(', ')})`;
    // A repeated flag adds a line, for multiline inputs.
    values[name] = values[name] !== undefined ? `${values[name]}\n${value}` : value;
  }
  return values;
}

function paint(io: Io, code: string, text: string): string {
  return io.color ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export async function runActionCli(name: string, definition: AnyDefinition, argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const spec = parse(readFileSync(actionYamlUrl(name), 'utf8')) as ActionYaml;
  const known = new Set(Object.keys(spec.inputs ?? {}));
  if (argv.includes('--help')) {
    io.out(`shipline ${name} — inputs:`);
    for (const [input, meta] of Object.entries(spec.inputs ?? {})) {
      io.out(`  --${input}${meta.default !== undefined ? ` (default ${JSON.stringify(meta.default)})` : ''}${meta.required ? ' (required)' : ''}`);
      if (meta.description) io.out(`      ${meta.description.replace(/\s+/g, ' ').trim()}`);
    }
    return 0;
  }
  const flags = parseFlags(argv, known);
  if (typeof flags === 'string') {
    io.err(`shipline ${name}: ${flags}`);
    return 2;
  }
  // The runner fills in action.yml defaults; so does the CLI.
  const inputs: Record<string, string> = {};
  for (const [input, meta] of Object.entries(spec.inputs ?? {})) if (meta.default !== undefined) inputs[input] = evaluateDefault(String(meta.default), env);
  Object.assign(inputs, flags);

  const runner = new MemoryRunner(inputs, { ...env, RUNNER_TEMP: env['RUNNER_TEMP'] ?? '' }, (line, command) => {
    if (!command) return io.out(line);
    switch (command.name) {
      case 'group':
        return io.out(paint(io, '1', `▶ ${command.message}`));
      case 'endgroup':
      case 'add-mask':
        return;
      case 'error':
        return io.err(paint(io, '31', `Error: ${command.message}`));
      case 'warning':
        return io.err(paint(io, '33', `Warning: ${command.message}`));
      case 'notice':
        return io.out(paint(io, '36', `Notice: ${command.message}`));
      case 'debug':
        return io.out(paint(io, '2', `debug: ${command.message}`));
      default:
        return io.out(line);
    }
  });
  const exitCode = await runAction(definition, runner, { setExitCode: false });
  if (runner.outputs.size) {
    io.out('');
    io.out(paint(io, '1', 'Outputs'));
    for (const [key, value] of runner.outputs) io.out(`  ${key} = ${value.length > 400 ? `${value.slice(0, 400)}… (${value.length} chars)` : value}`);
  }
  if (runner.summary) {
    io.out('');
    io.out(paint(io, '1', 'Job summary'));
    io.out(runner.summary.trimEnd());
  }
  return exitCode;
}
