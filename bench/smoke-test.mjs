// smoke-test wall time vs the slowest check (budget: ≈ the slowest, not the sum). Eight checks
// against a loopback server answering after 100…800 ms, run by the real bundle under Node 24.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const node = process.execPath;
const server = createServer((req, res) => {
  const ms = Number(new URL(req.url, 'http://x').searchParams.get('ms') ?? 0);
  setTimeout(() => res.end('ok'), ms);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const delays = [100, 200, 300, 400, 500, 600, 700, 800];
const checks = delays.map((ms) => `- name: c${ms}\n  url: ${base}/?ms=${ms}`).join('\n');
const temp = mkdtempSync(join(tmpdir(), 'bench-smoke-'));

async function runOnce(inputs) {
  const env = { PATH: process.env.PATH, RUNNER_TEMP: temp };
  for (const f of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE']) writeFileSync((env[f] = join(temp, f)), '');
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const start = performance.now();
  // spawnSync would block this process's server: run the bundle asynchronously.
  const { spawn } = await import('node:child_process');
  await new Promise((resolve) => spawn(node, ['dist/smoke-test/index.js'], { env, stdio: 'ignore' }).on('close', resolve));
  return performance.now() - start;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const concurrency of ['8', '4', '1']) {
  const times = [];
  for (let i = 0; i < 3; i++) times.push(await runOnce({ checks, concurrency, retries: '0' }));
  rows.push([concurrency, median(times)]);
}
// Baseline in the same process tree: the bundle's own start-up with no checks to run.
const startup = [];
for (let i = 0; i < 5; i++) {
  const s = performance.now();
  spawnSync(node, ['dist/smoke-test/index.js'], { env: { PATH: process.env.PATH }, stdio: 'ignore' });
  startup.push(performance.now() - s);
}
server.close();
const slowest = Math.max(...delays);
const sum = delays.reduce((a, b) => a + b, 0);
console.log(`8 checks, slowest ${slowest} ms, sum ${sum} ms; bundle start-up (fail-fast run) ${median(startup).toFixed(0)} ms\n`);
console.log('| concurrency | wall ms (median of 3) | wall ÷ slowest check | wall ÷ sum of checks |');
console.log('| ---: | ---: | ---: | ---: |');
for (const [c, t] of rows) console.log(`| ${c} | ${t.toFixed(0)} | ${(t / slowest).toFixed(2)}× | ${(t / sum).toFixed(2)}× |`);
