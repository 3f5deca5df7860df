/**
 * smoke-test inputs, read once into a typed object. Nothing here touches the network.
 */
import { ConfigurationError, type InputReader } from '../../core/index.js';
import type { Check } from '../../smoke/check.js';

export interface SmokeInputs {
  checks: Check[];
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  /** Overall warm-up budget: failing checks are retried until it passes (then `retries` is moot). */
  deadlineMs?: number;
  concurrency: number;
  samples: number;
  bearerToken?: string;
  insecureTls: boolean;
}

/** Top-level inputs that describe the single `url` check, and default every entry of `checks`. */
const FIELD_INPUTS = ['method', 'headers', 'body', 'expect-status', 'expect-body', 'expect-json', 'expect-header', 'max-latency-ms'] as const;

async function readDefaults(input: InputReader): Promise<Record<string, unknown>> {
  const defaults: Record<string, unknown> = {};
  for (const name of FIELD_INPUTS) {
    if (!input.has(name)) continue;
    if (name === 'headers' || name === 'expect-json' || name === 'expect-header') {
      const doc = await input.yamlOrFile(name);
      if (doc?.value === null || typeof doc?.value !== 'object' || Array.isArray(doc.value)) {
        throw new ConfigurationError(name, 'expected a YAML mapping such as `key: value`');
      }
      defaults[name] = doc.value;
    } else if (name === 'max-latency-ms') {
      defaults[name] = input.integer(name, 0, { min: 1 });
    } else {
      defaults[name] = input.string(name, { raw: name === 'body' });
    }
  }
  return defaults;
}

export async function readSmokeInputs(input: InputReader): Promise<SmokeInputs> {
  const url = input.optional('url');
  const hasChecks = input.has('checks');
  if (!url && !hasChecks) throw new ConfigurationError('url', 'give either `url` (one check) or `checks` (a YAML list or file)');
  if (url && hasChecks) throw new ConfigurationError('checks', 'give either `url` or `checks`, not both');

  const retries = input.integer('retries', 3, { min: 0, max: 100 });
  const retryDelayMs = input.duration('retry-delay', '2s');
  const timeoutMs = input.duration('timeout', '10s');
  if (timeoutMs <= 0) throw new ConfigurationError('timeout', 'must be greater than 0');
  const deadlineMs = input.duration('deadline');
  const concurrency = input.integer('concurrency', 4, { min: 1, max: 64 });
  const samples = input.integer('samples', 1, { min: 1, max: 1000 });
  const insecureTls = input.boolean('insecure-tls', false);
  const bearerToken = input.secret('bearer-token');

  const { checkSchema, compileCheck, describeSchemaError } = await import('../../smoke/check.js');
  const defaultsRaw = await readDefaults(input);
  const defaultsParsed = checkSchema.partial().safeParse(defaultsRaw);
  if (!defaultsParsed.success) {
    const field = String(defaultsParsed.error.issues[0]?.path[0] ?? 'checks');
    throw new ConfigurationError(field, describeSchemaError(defaultsParsed.error, '').replace(/^\.?[^:]*: /, ''));
  }
  const { url: _url, name: _name, ...defaults } = defaultsParsed.data;

  let specs: unknown[];
  let inputName: string;
  if (url) {
    specs = [{ url }];
    inputName = 'url';
  } else {
    const doc = await input.yamlOrFile('checks');
    const value = doc?.value;
    const list = Array.isArray(value) ? value : value && typeof value === 'object' && Array.isArray((value as { checks?: unknown }).checks) ? (value as { checks: unknown[] }).checks : undefined;
    if (!list) throw new ConfigurationError('checks', 'expected a YAML list of checks (each with at least `url`)');
    if (list.length === 0) throw new ConfigurationError('checks', 'the list is empty');
    specs = list;
    inputName = 'checks';
  }

  const checks: Check[] = [];
  const names = new Set<string>();
  for (const [index, spec] of specs.entries()) {
    const parsed = checkSchema.safeParse(spec);
    const where = url ? 'url' : `checks[${index}]`;
    if (!parsed.success) throw new ConfigurationError(inputName, describeSchemaError(parsed.error, where));
    const check = compileCheck(parsed.data, defaults);
    if (typeof check === 'string') throw new ConfigurationError(inputName, url ? check : `${where}.${check}`);
    // Unnamed checks of the same path are numbered; two checks the user named alike are a mistake.
    if (names.has(check.name) && parsed.data.name === undefined) check.name = `${check.name} #${index + 1}`;
    if (names.has(check.name)) throw new ConfigurationError(inputName, `${where}: duplicate check name '${check.name}'`);
    names.add(check.name);
    checks.push(check);
  }

  return {
    checks,
    retries,
    retryDelayMs,
    timeoutMs,
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    concurrency,
    samples,
    ...(bearerToken ? { bearerToken } : {}),
    insecureTls,
  };
}
