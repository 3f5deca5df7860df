#!/usr/bin/env node
// A tiny sample service for local rehearsals: /healthz, /api/version (JSON), /slow. Loopback only.
//   node examples/sample-service.mjs [port]     prints its URL on stdout
import { createServer } from 'node:http';

const version = process.env.SAMPLE_VERSION ?? '1.0.0';
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (status, body, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type, 'x-version': version });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  if (url.pathname === '/healthz') return send(200, 'ok', 'text/plain');
  if (url.pathname === '/api/version') return send(200, { status: 'ok', version });
  if (url.pathname === '/slow') return setTimeout(() => send(200, { status: 'ok' }), 300);
  send(404, { error: 'not found' });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
