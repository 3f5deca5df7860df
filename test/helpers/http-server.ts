/**
 * A real HTTP server on a free loopback port, for smoke tests: routes that answer right, wrong, slow,
 * never, or only after warm-up; records every request and the peak number in flight.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  /** Most requests seen in flight at once. */
  peakInFlight: number;
  stop(): Promise<void>;
}

export async function startSmokeServer(options: { token?: string } = {}): Promise<TestServer> {
  const firstSeen = new Map<string, number>();
  const counters = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  let inFlight = 0;
  const state: TestServer = { url: '', requests: [], peakInFlight: 0, stop: async () => {} };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = (name: string, fallback = 0): number => Number(url.searchParams.get(name) ?? fallback);
    const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    if (q('delay')) await new Promise((r) => setTimeout(r, q('delay')));
    switch (url.pathname) {
      case '/ok':
        return json(200, { status: 'ok', version: '1.2.3', items: [{ id: 7, name: 'seven' }] }, { 'x-version': '1.2.3' });
      case '/status':
        res.writeHead(q('code', 200), { 'content-type': 'text/plain' });
        return void res.end(`status ${q('code', 200)}`);
      case '/flaky': {
        const key = url.searchParams.get('key') ?? 'default';
        const seen = (counters.get(key) ?? 0) + 1;
        counters.set(key, seen);
        if (seen <= q('fail')) return json(503, { status: 'starting' });
        return json(200, { status: 'ok', attempt: seen });
      }
      case '/warmup': {
        // Warm-up is timed from the first request with this key.
        const key = `warmup:${url.searchParams.get('key') ?? 'default'}`;
        if (!firstSeen.has(key)) firstSeen.set(key, Date.now());
        if (Date.now() - (firstSeen.get(key) as number) < q('after')) return json(503, { status: 'warming up' });
        return json(200, { status: 'ok' });
      }
      case '/hang':
        hanging.add(res);
        return; // never answers
      case '/auth':
        if (req.headers.authorization !== `Bearer ${options.token}`) return json(401, { error: 'unauthorized' });
        return json(200, { status: 'ok', user: 'deployer' });
      case '/echo':
        return json(200, { method: req.method, body, contentType: req.headers['content-type'] ?? null });
      default:
        return json(404, { error: 'not found' });
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, at: Date.now() });
      inFlight++;
      state.peakInFlight = Math.max(state.peakInFlight, inFlight);
      res.on('close', () => inFlight--);
      handle(req, res, body).catch((error: unknown) => {
        res.writeHead(500);
        res.end(String(error));
      });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
