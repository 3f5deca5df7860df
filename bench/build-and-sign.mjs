#!/usr/bin/env node
// Benchmark: build-and-sign's own overhead around a build — everything but the builder. Real
// components on loopback: Debian's docker-registry, buildah (vfs, chroot, private storage), the
// bundled action run as the runner runs it (Node 24, INPUT_* variables). Baselines measured in the
// same process tree, interleaved:
//   - "by hand": `buildah build` + `buildah push --digestfile` (the builder alone: the floor);
//   - "anchor chain": the same, then `cosign sign --key` (cosign v2, the cosign-installer + shell
//     step users chain today; it signs and pushes, but does not verify what it wrote).
// Each run builds unique content (no cache hits that the other side would not get).
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const node24 = join(root, 'node_modules', 'node', 'bin', 'node');
const bundle = join(root, 'dist', 'build-and-sign', 'index.js');
const runs = Number(process.env.BENCH_BUILD_RUNS ?? 7);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const have = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
if (!have('docker-registry', ['--version']) || !have('buildah', ['--version'])) {
  console.log('(skipped: install docker-registry and buildah — bash .ci/install/20-registry-buildah.sh)');
  process.exit(0);
}
if (!existsSync(bundle)) {
  console.log('(skipped: dist/build-and-sign/index.js is missing — node scripts/build.mjs build-and-sign)');
  process.exit(0);
}
const { startRegistry } = await import('../test/helpers/registry.ts');
const { buildahSandbox } = await import('../test/helpers/buildah.ts');
const cosignV2 = [process.env.SHIPLINE_COSIGN_V2, join(homedir(), '.cache', 'shipline', 'cosign', 'v2', 'cosign')].find((p) => p && existsSync(p));

const registry = await startRegistry();
const sandbox = buildahSandbox();
const work = mkdtempSync(join(tmpdir(), 'shipline-bench-bas-'));
// One key for both sides: a cosign encrypted key (empty password) when cosign is here — both then
// pay the same scrypt key derivation — else a PKCS#8 PEM.
let keyPem;
if (cosignV2) {
  spawnSync(cosignV2, ['generate-key-pair'], { cwd: work, env: { PATH: process.env.PATH, HOME: work, COSIGN_PASSWORD: '' }, stdio: 'ignore' });
  keyPem = readFileSync(join(work, 'cosign.key'), 'utf8');
} else {
  keyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}
const pkcs8Pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
let n = 0;

function context() {
  const dir = mkdtempSync(join(work, 'ctx-'));
  writeFileSync(join(dir, 'hello.txt'), `bench ${Date.now()} ${n++}`);
  writeFileSync(join(dir, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
  return dir;
}

function timed(file, args, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(file, args, { encoding: 'utf8', ...options, env: { ...process.env, ...sandbox.env, ...(options.env ?? {}) } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return { ms, stdout: result.stdout };
}

function byHand(sign) {
  const tag = `${registry.host}/bench/hand:r${n}`;
  const digestFile = join(work, `digest-${n}`);
  let ms = timed('buildah', ['build', '--tag', tag, context()]).ms;
  ms += timed('buildah', ['push', '--digestfile', digestFile, '--tls-verify=false', tag, `docker://${tag}`]).ms;
  if (sign) {
    const digest = readFileSync(digestFile, 'utf8').trim();
    ms += timed(cosignV2, ['sign', '--key', join(work, 'cosign.key'), '--tlog-upload=false', '--allow-http-registry', '-y', `${registry.host}/bench/hand@${digest}`], { env: { COSIGN_PASSWORD: '', HOME: work } }).ms;
  }
  return ms;
}

function action(inputs) {
  const out = join(work, `out-${n}`);
  writeFileSync(out, '');
  const env = { GITHUB_OUTPUT: out, GITHUB_SHA: 'abcdef0123456789abcdef0123456789abcdef01', RUNNER_TEMP: work, 'INPUT_INSECURE-REGISTRY': 'true', INPUT_BUILDER: 'buildah', INPUT_CONTEXT: context() };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const { ms } = timed(node24, [bundle], { env });
  const text = readFileSync(out, 'utf8');
  const metadata = JSON.parse(/metadata<<(\S+)\n([\s\S]*?)\n\1/.exec(text)?.[2] ?? '{}');
  return { ms, buildMs: metadata.timings?.buildMs ?? NaN };
}

const scenarios = {
  'buildah build + push (by hand: the builder alone)': () => ({ ms: byHand(false) }),
  ...(cosignV2 ? { '… + cosign v2 sign --key (anchor chain, no verification)': () => ({ ms: byHand(true) }) } : {}),
  'build-and-sign, sign: none': () => action({ IMAGE: `${registry.host}/bench/none`, SIGN: 'none' }),
  [`build-and-sign, ${cosignV2 ? 'cosign key' : 'key'}, bundle (sign + read back + verify)`]: () => action({ IMAGE: `${registry.host}/bench/bundle`, 'SIGNING-KEY': keyPem }),
  [`build-and-sign, ${cosignV2 ? 'cosign key' : 'key'}, both formats`]: () => action({ IMAGE: `${registry.host}/bench/both`, 'SIGNING-KEY': keyPem, 'SIGNATURE-FORMAT': 'both' }),
  'build-and-sign, PKCS#8 key (no scrypt), bundle': () => action({ IMAGE: `${registry.host}/bench/pkcs8`, 'SIGNING-KEY': pkcs8Pem }),
};

const samples = Object.fromEntries(Object.keys(scenarios).map((k) => [k, []]));
try {
  for (const run of Object.values(scenarios)) run(); // warm-up: page cache, vfs storage
  for (let i = 0; i < runs; i++) for (const [name, run] of Object.entries(scenarios)) samples[name].push(run());
} finally {
  await registry.stop();
  sandbox.cleanup();
  rmSync(work, { recursive: true, force: true });
}

const baseline = median(samples['buildah build + push (by hand: the builder alone)'].map((s) => s.ms));
console.log(`Median of ${runs} interleaved runs, FROM scratch + COPY image, loopback docker-registry, buildah vfs/chroot.`);
console.log('"Own overhead" = the run minus the builder time the action itself measured (buildah build + push).');
console.log('A cosign encrypted key costs an scrypt derivation (N=2^16) on both sides; the PKCS#8 row shows the rest.\n');
console.log('| scenario | median ms | ratio to builder alone | own overhead ms (median) |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, list] of Object.entries(samples)) {
  const ms = median(list.map((s) => s.ms));
  const overhead = list.every((s) => Number.isFinite(s.buildMs)) ? median(list.map((s) => s.ms - s.buildMs)).toFixed(0) : '–';
  console.log(`| ${name} | ${ms.toFixed(0)} | ${(ms / baseline).toFixed(2)}× | ${overhead} |`);
}
