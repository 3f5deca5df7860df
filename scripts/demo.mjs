#!/usr/bin/env node
// Local rehearsal: starts the sample service on loopback and runs the shipline CLI against it with
// the same code the actions run. (The pipeline issue grows this into the whole pipeline.)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const service = spawn(process.execPath, [join(root, 'examples', 'sample-service.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
const baseUrl = await new Promise((res, rej) => {
  service.stdout.once('data', (d) => res(String(d).trim()));
  service.once('exit', (code) => rej(new Error(`sample service exited with ${code}`)));
});
console.log(`sample service: ${baseUrl}`);
const dir = mkdtempSync(join(tmpdir(), 'shipline-demo-'));
const checks = join(dir, 'checks.yml');
writeFileSync(checks, readFileSync(join(root, 'examples', 'smoke-checks.yml'), 'utf8').replaceAll('${BASE_URL}', baseUrl));
const started = Date.now();
const run = spawnSync(process.execPath, [join(root, 'bin', 'shipline.mjs'), 'smoke-test', '--checks', checks, '--samples', '5'], { stdio: 'inherit' });
console.log(`\nsmoke-test finished in ${Date.now() - started} ms with exit code ${run.status}`);
service.kill('SIGTERM');
process.exitCode = run.status ?? 1;
