#!/usr/bin/env node
// Benchmark: `shipline audit verify` and `last-good` on a 10,000-record ledger (the bundled CLI, a
// fresh process each run, as a rollback workflow runs it), against the irreducible work measured in
// the same process tree: a Node process that reads the file and sha256-hashes every line.
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import canonicalize from 'canonicalize';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const records = Number(process.env.BENCH_AUDIT_RECORDS ?? 10_000);
const runs = Number(process.env.BENCH_AUDIT_RUNS ?? 7);
const cli = join(root, 'dist', 'cli', 'index.js');

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function ledger(n) {
  const lines = [];
  let previous = null;
  for (let i = 0; i < n; i++) {
    const digest = `sha256:${sha256(String(i))}`;
    const failed = i % 7 === 3;
    const record = {
      schema: 'shipline.audit-record.v1',
      id: randomUUID(),
      repository: 'acme/api',
      environment: 'production',
      status: failed ? 'failure' : 'success',
      verified: !failed,
      commit: sha256(`c${i}`).slice(0, 40),
      ref: 'refs/heads/main',
      image: { reference: `ghcr.io/acme/api@${digest}`, name: 'ghcr.io/acme/api', tag: null, digest },
      deployer: 'octocat',
      triggeringActor: 'octocat',
      approvals: [{ user: 'release-lead', state: 'approved', comment: 'Ship it', environments: ['production'] }],
      run: { id: 16_000_000_000 + i, attempt: 1, number: i + 1, workflow: 'deploy', job: 'production', event: 'push', url: `https://github.com/acme/api/actions/runs/${16_000_000_000 + i}/attempts/1` },
      startedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      finishedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000 + 45_000).toISOString(),
      scan: { result: 'pass', blocking: 0, critical: 0, high: 2, medium: 14, low: 30 },
      signature: { digest, 'signature-digest': `sha256:${sha256(`s${i}`)}` },
      rollout: { result: failed ? 'failed' : 'succeeded', revision: i + 1, workloads: [{ kind: 'Deployment', name: 'api', namespace: 'prod' }] },
      smoke: { result: failed ? 'fail' : 'pass', passed: failed ? 2 : 3, failed: failed ? 1 : 0, 'p95-ms': 41 },
      rollbackOf: null,
      previousSha256: previous,
    };
    const line = canonicalize(record);
    previous = sha256(line);
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}

function time(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr || result.stdout}`);
  return { ms, out: result.stdout.trim() };
}

const dir = mkdtempSync(join(tmpdir(), 'shipline-bench-audit-'));
try {
  const file = join(dir, 'production.jsonl');
  writeFileSync(file, ledger(records));
  const baseline = `const t=require('fs').readFileSync(${JSON.stringify(file)},'utf8');const c=require('crypto');let h='';for(const l of t.split('\\n'))if(l)h=c.createHash('sha256').update(l).digest('hex');console.log(h)`;
  const cases = {
    baseline: ['-e', baseline],
    verify: [cli, 'audit', 'verify', '--file', file],
    'last-good': [cli, 'audit', 'last-good', '--environment', 'production', '--file', file],
  };
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  let check = '';
  time(cases.baseline); // warm the page cache
  for (let i = 0; i < runs; i++) {
    for (const [name, args] of Object.entries(cases)) {
      const { ms, out } = time(args);
      samples[name].push(ms);
      if (name === 'verify') check = out;
    }
  }
  if (!/chain intact/.test(check)) throw new Error(`verify did not pass: ${check}`);
  const base = median(samples.baseline);
  const mb = (statSync(file).size / 1024 / 1024).toFixed(1);
  console.log(`${records.toLocaleString('en')} records, ${mb} MB; median of ${runs} interleaved runs, each a fresh process (Node ${process.versions.node})\n`);
  console.log('| command | median ms | ratio to baseline | per record |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(`| baseline: read + sha256 every line (\`node -e\`) | ${base.toFixed(0)} | 1.00× | ${((base / records) * 1000).toFixed(1)} µs |`);
  for (const name of ['verify', 'last-good']) {
    const m = median(samples[name]);
    console.log(`| \`shipline audit ${name}\` | ${m.toFixed(0)} | ${(m / base).toFixed(2)}× | ${((m / records) * 1000).toFixed(1)} µs |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
