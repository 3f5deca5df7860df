/**
 * A smoke check: one HTTP request and what its response must satisfy. Parsed from the `checks` YAML
 * list (or the single `url` input) with unknown fields rejected, so a typo is an error, not a check
 * that silently asserts nothing.
 */
import { z } from 'zod';
import {
  parseJsonPath,
  parseStatusMatcher,
  parseTextMatcher,
  type JsonPath,
  type StatusMatcher,
  type TextMatcher,
} from './expect.js';

export interface Check {
  name: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  expectStatus: StatusMatcher;
  expectBody?: TextMatcher;
  expectJson: { path: string; parsed: JsonPath; value: unknown }[];
  expectHeader: { name: string; matcher: TextMatcher }[];
  maxLatencyMs?: number;
}

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** The fields a check may have (kebab-case, as users type them). */
export const checkSchema = z
  .object({
    name: z.string().min(1).optional(),
    url: z.string().min(1),
    method: z.string().regex(/^[A-Za-z]+$/, 'must be an HTTP method such as GET').optional(),
    headers: z.record(z.string(), scalar).optional(),
    body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
    'expect-status': z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))]).optional(),
    'expect-body': z.string().optional(),
    'expect-json': z.record(z.string(), z.unknown()).optional(),
    'expect-header': z.record(z.string(), scalar).optional(),
    'max-latency-ms': z.number().positive().optional(),
  })
  .strict();

export type CheckSpec = z.infer<typeof checkSchema>;

/** Defaults from the top-level inputs, applied to every check that does not set the field. */
export type CheckDefaults = Partial<Omit<CheckSpec, 'url' | 'name'>>;

/** Turns a validated spec into a Check, or returns the problem as text (with its field). */
export function compileCheck(spec: CheckSpec, defaults: CheckDefaults): Check | string {
  const merged = { ...defaults, ...spec };
  let url: URL;
  try {
    url = new URL(merged.url);
  } catch {
    return `url: '${merged.url}' is not a valid URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `url: only http and https are supported, got ${url.protocol}`;

  const status = parseStatusMatcher(merged['expect-status'] ?? '2xx');
  if (typeof status === 'string') return `expect-status: ${status}`;

  let expectBody: TextMatcher | undefined;
  if (merged['expect-body'] !== undefined) {
    const matcher = parseTextMatcher(merged['expect-body']);
    if (typeof matcher === 'string') return `expect-body: ${matcher}`;
    expectBody = matcher;
  }

  const expectJson: Check['expectJson'] = [];
  for (const [path, value] of Object.entries(merged['expect-json'] ?? {})) {
    const parsed = parseJsonPath(path);
    if (typeof parsed === 'string') return `expect-json: ${parsed}`;
    expectJson.push({ path, parsed, value });
  }

  const expectHeader: Check['expectHeader'] = [];
  for (const [name, value] of Object.entries(merged['expect-header'] ?? {})) {
    const matcher = parseTextMatcher(String(value));
    if (typeof matcher === 'string') return `expect-header.${name}: ${matcher}`;
    expectHeader.push({ name: name.toLowerCase(), matcher });
  }

  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(merged.headers ?? {})) headers[k.toLowerCase()] = String(v);
  let body: string | undefined;
  if (typeof merged.body === 'string') body = merged.body;
  else if (merged.body !== undefined) {
    body = JSON.stringify(merged.body);
    headers['content-type'] ??= 'application/json';
  }

  const method = (merged.method ?? (body !== undefined ? 'POST' : 'GET')).toUpperCase();
  return {
    name: merged.name ?? `${method} ${url.pathname}`,
    url: url.toString(),
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    expectStatus: status,
    ...(expectBody ? { expectBody } : {}),
    expectJson,
    expectHeader,
    ...(merged['max-latency-ms'] !== undefined ? { maxLatencyMs: merged['max-latency-ms'] } : {}),
  };
}

/** Formats the first schema problem as `checks[1].expect-stauts: unknown field`. */
export function describeSchemaError(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  if (!issue) return `${prefix}: invalid`;
  const path = issue.path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${String(part)}`), prefix);
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    return `${path}: unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')} (known: ${Object.keys(checkSchema.shape).join(', ')})`;
  }
  if (issue.code === 'invalid_type' && issue.message.includes('undefined')) return `${path}: is required`;
  return `${path}: ${issue.message}`;
}
