import { describe, expect, it } from 'vitest';
import { InputReader } from '../../../src/core/index.js';
import { readSmokeInputs } from '../../../src/actions/smoke-test/inputs.js';

const read = (values: Record<string, string>) => readSmokeInputs(new InputReader((n) => values[n] ?? ''));

describe('smoke-test inputs', () => {
  it('builds one check from `url` and the top-level expectations', async () => {
    const inputs = await read({ url: 'https://api.example.com/healthz', 'expect-status': '200,204', 'expect-json': 'status: ok', 'max-latency-ms': '250' });
    expect(inputs.checks).toHaveLength(1);
    expect(inputs.checks[0]).toMatchObject({ name: 'GET /healthz', method: 'GET', url: 'https://api.example.com/healthz', maxLatencyMs: 250 });
    expect(inputs.checks[0]?.expectJson).toEqual([{ path: 'status', parsed: ['status'], value: 'ok' }]);
    expect(inputs).toMatchObject({ retries: 3, retryDelayMs: 2000, timeoutMs: 10_000, concurrency: 4, samples: 1, insecureTls: false });
  });

  it('applies top-level fields as defaults to every check unless the check overrides them', async () => {
    const inputs = await read({
      checks: '- url: http://a/one\n- name: two\n  url: http://a/two\n  expect-status: 404\n',
      'expect-status': '200',
      headers: 'X-Env: staging',
    });
    expect(inputs.checks.map((c) => [c.name, c.expectStatus.text, c.headers])).toEqual([
      ['GET /one', '200', { 'x-env': 'staging' }],
      ['two', '404', { 'x-env': 'staging' }],
    ]);
  });

  it('defaults the method to POST with a body, and JSON-encodes object bodies', async () => {
    const inputs = await read({ checks: '- url: http://a/\n  body: {x: 1}\n' });
    expect(inputs.checks[0]).toMatchObject({ method: 'POST', body: '{"x":1}', headers: { 'content-type': 'application/json' } });
  });

  it('numbers unnamed checks of the same path', async () => {
    expect((await read({ checks: '- url: http://a/\n- url: http://b/\n' })).checks.map((c) => c.name)).toEqual(['GET /', 'GET / #2']);
  });

  it('accepts a mapping with a `checks:` key', async () => {
    expect((await read({ checks: 'checks:\n  - url: http://a/\n' })).checks).toHaveLength(1);
  });

  it.each([
    [{ checks: '- name: api\n  url: http://a/\n- name: api\n  url: http://b/\n' }, "Input 'checks': checks[1]: duplicate check name 'api'"],
    [{ checks: '[]' }, "Input 'checks': the list is empty"],
    [{ checks: 'url: http://a/' }, "Input 'checks': expected a YAML list of checks (each with at least `url`)"],
    [{ url: 'http://a/', concurrency: '0' }, "Input 'concurrency': must be at least 1, got 0"],
    [{ url: 'http://a/', samples: 'many' }, "Input 'samples': expected a whole number, got 'many'"],
    [{ url: 'http://a/', 'insecure-tls': 'nope' }, "Input 'insecure-tls': expected true or false, got 'nope'"],
    [{ url: 'http://a/', headers: '- a' }, "Input 'headers': expected a YAML mapping such as `key: value`"],
    [{ url: 'not a url' }, "Input 'url': url: 'not a url' is not a valid URL"],
    [{ checks: '- url: http://a/\n  expect-body: /(x/\n' }, /^Input 'checks': checks\[0\]\.expect-body: invalid regular expression/],
  ])('%j → one clear line', async (values, message) => {
    const error = await read(values as Record<string, string>).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    if (typeof message === 'string') expect((error as Error).message).toBe(message);
    else expect((error as Error).message).toMatch(message);
  });
});
