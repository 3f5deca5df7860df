import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { parseFlags } from '../../../src/cli/run-action.js';
import { startSmokeServer, type TestServer } from '../../helpers/http-server.js';

function capture(): { out: string[]; err: string[]; io: { out: (l: string) => void; err: (l: string) => void; color: boolean } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l), color: false } };
}

let server: TestServer;
beforeAll(async () => void (server = await startSmokeServer()));
afterAll(async () => server.stop());

describe('shipline CLI', () => {
  it('runs an action with the same code, printing logs, outputs and the summary', async () => {
    const { out, err, io } = capture();
    const code = await main(['smoke-test', '--url', `${server.url}/ok`, '--expect-json', 'status: ok'], io);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toContain('▶ Smoke test: 1 check, concurrency 4');
    expect(out).toContain('  result = pass');
    expect(out.join('\n')).toContain('### ✅ Smoke test: pass — 1/1 checks passed');
  });

  it('exits 1 and prints the error line when the action fails', async () => {
    const { err, io } = capture();
    expect(await main(['smoke-test', `--url=${server.url}/status?code=500`, '--retries', '0'], io)).toBe(1);
    expect(err.at(-1)).toBe('Error: 1 of 1 smoke check failed: GET /status (status 500, expected 2xx)');
  });

  it('rejects an unknown input or action with usage', async () => {
    const { err, io } = capture();
    expect(await main(['smoke-test', '--urll', 'x'], io)).toBe(2);
    expect(err[0]).toMatch(/^shipline smoke-test: unknown input '--urll' \(known: --url, --checks/);
    expect(await main(['deploy-everything'], io)).toBe(2);
    expect(err[1]).toMatch(/^shipline: unknown action or command 'deploy-everything'/);
  });

  it('lists inputs with defaults from action.yml', async () => {
    const { out, io } = capture();
    expect(await main(['smoke-test', '--help'], io)).toBe(0);
    expect(out).toContain('  --retries (default "3")');
  });

  it('parses --name value, --name=value, repeated flags and bare booleans', () => {
    const known = new Set(['a', 'b', 'flag', 'multi']);
    expect(parseFlags(['--a', '1', '--b=x=y', '--multi', 'l1', '--multi', 'l2', '--flag'], known)).toEqual({ a: '1', b: 'x=y', multi: 'l1\nl2', flag: 'true' });
    expect(parseFlags(['stray'], known)).toMatch(/^unexpected argument 'stray'/);
  });
});
