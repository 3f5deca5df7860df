/**
 * One request of a check, timed, and judged against its expectations.
 */
import { Agent, request } from 'undici';
import type { Check } from './check.js';
import { jsonValueMatches, readJsonPath, statusMatches, textMatches } from './expect.js';

export const BODY_CAP_BYTES = 1024 * 1024;

export interface ProbeResult {
  ok: boolean;
  status?: number;
  latencyMs: number;
  /** Why it failed: one short line per unmet expectation, or the transport error. */
  failures: string[];
  /** The failure was a transport problem (refused, reset, timeout), not a wrong answer. */
  transport: boolean;
}

export interface ProbeOptions {
  timeoutMs: number;
  dispatcher: Agent;
  bearerToken?: string;
  /** Evaluate `max-latency-ms` on this request (false when sampling decides it on the p95). */
  checkLatency: boolean;
}

export function createDispatcher(insecureTls: boolean): Agent {
  return new Agent({ connect: { rejectUnauthorized: !insecureTls }, keepAliveTimeout: 4000, pipelining: 0 });
}

function describeTransportError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no response within ${timeoutMs} ms (timeout)`;
  const code = e.code ?? e.cause?.code;
  const message = e.cause?.message ?? e.message ?? String(error);
  return code ? `${code}: ${message}` : message;
}

async function readCapped(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < BODY_CAP_BYTES) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, BODY_CAP_BYTES).toString('utf8');
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}…` : flat;
}

export async function probe(check: Check, options: ProbeOptions): Promise<ProbeResult> {
  const headers: Record<string, string> = { 'user-agent': 'shipline-smoke-test', ...check.headers };
  if (options.bearerToken && headers['authorization'] === undefined) headers['authorization'] = `Bearer ${options.bearerToken}`;
  const started = performance.now();
  let status: number;
  let text: string;
  let responseHeaders: Record<string, string | string[] | undefined>;
  try {
    const response = await request(check.url, {
      method: check.method as 'GET',
      headers,
      ...(check.body !== undefined ? { body: check.body } : {}),
      dispatcher: options.dispatcher,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    status = response.statusCode;
    responseHeaders = response.headers;
    text = await readCapped(response.body);
  } catch (error) {
    return { ok: false, latencyMs: performance.now() - started, failures: [describeTransportError(error, options.timeoutMs)], transport: true };
  }
  const latencyMs = performance.now() - started;

  const failures: string[] = [];
  if (!statusMatches(check.expectStatus, status)) failures.push(`status ${status}, expected ${check.expectStatus.text}`);
  if (check.expectBody && !textMatches(check.expectBody, text)) {
    failures.push(`body does not ${check.expectBody.kind === 'regex' ? 'match' : 'contain'} ${JSON.stringify(check.expectBody.text)} (got "${snippet(text)}")`);
  }
  if (check.expectJson.length) {
    let document: unknown;
    let parsed = true;
    try {
      document = JSON.parse(text);
    } catch {
      parsed = false;
      failures.push(`body is not JSON (got "${snippet(text)}")`);
    }
    if (parsed) {
      for (const expectation of check.expectJson) {
        const actual = readJsonPath(document, expectation.parsed);
        if (!actual.found) failures.push(`JSON ${expectation.path} is missing`);
        else if (!jsonValueMatches(expectation.value, actual.value)) {
          failures.push(`JSON ${expectation.path} is ${JSON.stringify(actual.value)}, expected ${JSON.stringify(expectation.value)}`);
        }
      }
    }
  }
  for (const expectation of check.expectHeader) {
    const raw = responseHeaders[expectation.name];
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    if (value === undefined) failures.push(`header ${expectation.name} is missing`);
    else if (!textMatches(expectation.matcher, value)) failures.push(`header ${expectation.name} is "${snippet(value)}", expected ${JSON.stringify(expectation.matcher.text)}`);
  }
  if (options.checkLatency && check.maxLatencyMs !== undefined && latencyMs > check.maxLatencyMs) {
    failures.push(`took ${Math.round(latencyMs)} ms, budget ${check.maxLatencyMs} ms`);
  }
  return { ok: failures.length === 0, status, latencyMs, failures, transport: false };
}
