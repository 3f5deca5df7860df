#!/usr/bin/env node
// Benchmarks. First: cold start of every bundle (run with no inputs, so it fails fast on the first
// input) as a ratio to `node -e 0`, median of interleaved runs, under Node 24. Then every
// bench/*.mjs, each printing its own table.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const node24 = join(root, 'node_modules', 'node', 'bin', 'node');
const runs = Number(process.env.BENCH_RUNS ?? 31);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

function time(args, env) {
  const start = process.hrtime.bigint();
  spawnSync(node24, args, { env, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function coldStart() {
  const temp = mkdtempSync(join(tmpdir(), 'shipline-bench-'));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, RUNNER_TEMP: temp };
  for (const f of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_ENV']) {
    env[f] = join(temp, f);
    writeFileSync(env[f], '');
  }
  const bundles = readdirSync(join(root, 'dist'))
    .filter((n) => n !== 'cli' && existsSync(join(root, 'dist', n, 'index.js')))
    .sort();
  const samples = { baseline: [] };
  for (const b of bundles) samples[b] = [];
  for (let i = 0; i < 3; i++) time(['-e', '0'], env); // warm the page cache
  for (let i = 0; i < runs; i++) {
    samples.baseline.push(time(['-e', '0'], env));
    for (const b of bundles) samples[b].push(time([join(root, 'dist', b, 'index.js')], env));
  }
  const base = median(samples.baseline);
  console.log(`\n## Cold start (Node ${spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout.trim()}, median of ${runs} interleaved runs; budget ≤ 2.00×)\n`);
  console.log('| bundle | median ms | ratio to `node -e 0` | within budget |');
  console.log('| --- | ---: | ---: | --- |');
  console.log(`| node -e 0 (baseline) | ${base.toFixed(1)} | 1.00× | |`);
  let over = 0;
  for (const b of bundles) {
    const m = median(samples[b]);
    const ratio = m / base;
    if (ratio > 2) over++;
    console.log(`| ${b} | ${m.toFixed(1)} | ${ratio.toFixed(2)}× | ${ratio <= 2 ? 'yes' : '**no**'} |`);
  }
  return over;
}

const over = coldStart();
const benchDir = join(root, 'bench');
for (const file of existsSync(benchDir) ? readdirSync(benchDir).filter((f) => f.endsWith('.mjs')).sort() : []) {
  console.log(`\n## ${file}\n`);
  const result = spawnSync(node24, [join(benchDir, file)], { cwd: root, stdio: 'inherit', env: process.env });
  if (result.status !== 0) console.log(`(${file} exited with ${result.status})`);
}
if (over) process.exitCode = 1;
