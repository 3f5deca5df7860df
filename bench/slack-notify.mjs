// slack-notify: wall time of one notification, end to end, through the real bundle under Node 24,
// against a loopback Slack stand-in (answers `ok` / `{ ok: true, ts, channel }` at once). Baselines
// measured in the same process tree and interleaved: `node -e 0`, and the floor for any notifier —
// a bare `fetch` POST of the same JSON in a fresh Node. The bot-token row includes loading
// @slack/web-api (lazily imported only on that path).
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const node = process.execPath;
const runs = Number(process.env.BENCH_RUNS ?? 15);
let counter = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url.startsWith('/api/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, channel: 'C0DEPLOYS1', ts: `1700000000.${String(++counter).padStart(6, '0')}` }));
    } else res.end('ok');
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const webhook = `${base}/services/T0/B0/benchbenchbenchbench`;
const temp = mkdtempSync(join(tmpdir(), 'bench-slack-'));

function env(inputs) {
  const e = { PATH: process.env.PATH, RUNNER_TEMP: temp, GITHUB_REPOSITORY: 'acme/api', GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567', GITHUB_RUN_ID: '1', SLACK_API_URL: `${base}/api/` };
  for (const f of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_ENV']) writeFileSync((e[f] = join(temp, f)), '');
  for (const [k, v] of Object.entries(inputs)) e[`INPUT_${k.toUpperCase()}`] = v;
  return e;
}

// spawnSync would block this process's server: run children asynchronously.
async function time(args, environment) {
  const start = performance.now();
  const code = await new Promise((resolve) => spawn(node, args, { env: environment, stdio: 'ignore' }).on('close', resolve));
  if (code !== 0) throw new Error(`${args.join(' ').slice(0, 60)} exited with ${code}`);
  return performance.now() - start;
}

const rawPost = `await fetch(${JSON.stringify(webhook)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'deployed' }) }).then((r) => r.text());`;
const cases = [
  ['node -e 0 (baseline)', () => time(['-e', '0'], env({}))],
  ['bare fetch POST in a fresh node (floor)', () => time(['--input-type=module', '-e', rawPost], env({}))],
  ['slack-notify, webhook, default Block Kit message', () => time(['dist/slack-notify/index.js'], env({ 'webhook-url': webhook, status: 'success', environment: 'production' }))],
  ['slack-notify, bot token (chat.postMessage via @slack/web-api)', () => time(['dist/slack-notify/index.js'], env({ 'bot-token': 'xoxb-bench-token', channel: 'C0DEPLOYS1', status: 'success', environment: 'production' }))],
];
const samples = cases.map(() => []);
for (const [, run] of cases) await run(); // warm the page cache
for (let i = 0; i < runs; i++) for (const [j, [, run]] of cases.entries()) samples[j].push(await run());
server.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const baseline = median(samples[0]);
const floor = median(samples[1]);
console.log(`One notification end to end (Node ${process.version}, median of ${runs} interleaved runs)\n`);
console.log('| case | median ms | ratio to `node -e 0` | ratio to bare fetch |');
console.log('| --- | ---: | ---: | ---: |');
for (const [j, [name]] of cases.entries()) {
  const m = median(samples[j]);
  console.log(`| ${name} | ${m.toFixed(1)} | ${(m / baseline).toFixed(2)}× | ${(m / floor).toFixed(2)}× |`);
}
