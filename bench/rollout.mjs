#!/usr/bin/env node
// Failure-detection latency for a `broken` image on the test control plane (scripts/kube-up.sh):
// dist/rollout (run by Node 24 exactly as the runner runs it) vs `kubectl rollout status`, on the
// same cluster, in the same run. Latency is measured from the moment the new pod shows
// ErrImagePull/ImagePullBackOff — seen by an independent `kubectl get pods -w` of this script — to
// the moment each tool reports the failure (our `::error::` line; kubectl's exit).
//
// kubectl rollout status only fails once the Deployment's progressDeadlineSeconds passes (600 s by
// default); to keep the run short the bench Deployment sets BENCH_PROGRESS_DEADLINE (default 60 s).
//
//   SHIPLINE_KUBECONFIG=/tmp/shipline-kube/kubeconfig node bench/rollout.mjs
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const kubeconfig = process.env.SHIPLINE_KUBECONFIG || '/tmp/shipline-kube/kubeconfig';
const kubectlBin = process.env.SHIPLINE_KUBECTL || 'kubectl';
const node24 = join(root, 'node_modules', 'node', 'bin', 'node');
const rounds = Number(process.env.BENCH_ROLLOUT_ROUNDS ?? 3);
const deadline = Number(process.env.BENCH_PROGRESS_DEADLINE ?? 60);

function kubectl(args, input) {
  return execFileSync(kubectlBin, ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

function clusterUp() {
  if (!existsSync(kubeconfig)) return false;
  try {
    kubectl(['get', '--raw', '/readyz']);
    return true;
  } catch {
    return false;
  }
}

if (!clusterUp()) {
  console.log(`rollout bench skipped: no test cluster at ${kubeconfig} — start it with \`bash scripts/kube-up.sh\``);
  process.exit(0);
}
if (!existsSync(join(root, 'dist', 'rollout', 'index.js'))) {
  console.log('rollout bench skipped: dist/rollout/index.js is missing — run `node scripts/build.mjs rollout`');
  process.exit(0);
}

const manifest = (name, image) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  progressDeadlineSeconds: ${deadline}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: app, image: "${image}"}]}
`;

/** Records when a pod of Deployment `name` first shows a pull failure (Date.now()). */
function watchPulls(namespace, name) {
  const child = spawn(kubectlBin, ['--kubeconfig', kubeconfig, '-n', namespace, 'get', 'pods', '--watch', '-o', 'jsonpath={.metadata.name}{" "}{.status.containerStatuses[*].state.waiting.reason}{"\\n"}'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const state = { at: undefined, stop: () => child.kill('SIGTERM') };
  let buffer = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    const now = Date.now();
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) if (state.at === undefined && line.startsWith(`${name}-`) && /\b(ErrImagePull|ImagePullBackOff)\b/.test(line)) state.at = now;
  });
  return state;
}

async function until(predicate, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function setup(namespace, name) {
  kubectl(['-n', namespace, 'apply', '--server-side', '--field-manager=shipline', '-f', '-'], manifest(name, 'registry:5000/bench/app:v1'));
  kubectl(['-n', namespace, 'rollout', 'status', `deployment/${name}`, '--timeout=120s']);
}

/** Our bundle: broken image; returns ms from "pod shows it" to our ::error:: line, and the wall time. */
async function ours(namespace, name, workspace) {
  setup(namespace, name);
  writeFileSync(join(workspace, 'k8s', 'app.yaml'), manifest(name, 'registry:5000/bench/app:v1'));
  const temp = mkdtempSync(join(tmpdir(), 'bench-rollout-'));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, RUNNER_TEMP: join(temp, 'rt'), GITHUB_WORKSPACE: workspace };
  for (const f of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_ENV']) {
    env[f] = join(temp, f);
    writeFileSync(env[f], '');
  }
  mkdirSync(env.RUNNER_TEMP);
  Object.assign(env, {
    INPUT_MANIFESTS: 'k8s',
    INPUT_NAMESPACE: namespace,
    INPUT_IMAGES: 'registry:5000/bench/app:broken-v2',
    INPUT_KUBECONFIG: readFileSync(kubeconfig, 'utf8'),
    INPUT_TIMEOUT: '5m',
    'INPUT_ROLLBACK-ON-FAILURE': 'true',
    INPUT_STRATEGY: 'rolling',
    INPUT_ACTION: 'deploy',
    'INPUT_SERVER-SIDE': 'true',
  });
  const pulls = watchPulls(namespace, name);
  const started = Date.now();
  let reportedAt;
  let stdout = '';
  const child = spawn(node24, [join(root, 'dist', 'rollout', 'index.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (reportedAt === undefined && new RegExp(`::error::✗ Deployment [\\w-]+/${name}: .*(ErrImagePull|ImagePullBackOff)`).test(stdout)) reportedAt = Date.now();
  });
  const code = await new Promise((r) => child.on('close', r));
  const wall = Date.now() - started;
  pulls.stop();
  const outputs = readFileSync(env.GITHUB_OUTPUT, 'utf8');
  const result = /result<<\S+\n([^\n]*)/.exec(outputs)?.[1] ?? '?';
  if (reportedAt === undefined || pulls.at === undefined) throw new Error(`ours: no failure seen (exit ${code})\n${stdout.slice(-2000)}`);
  return { latency: reportedAt - pulls.at, wall, result: `exit ${code}, result=${result}` };
}

/** kubectl rollout status on the same change. */
async function kubectlStatus(namespace, name) {
  setup(namespace, name);
  const pulls = watchPulls(namespace, name);
  const started = Date.now();
  kubectl(['-n', namespace, 'set', 'image', `deployment/${name}`, 'app=registry:5000/bench/app:broken-v2']);
  const child = spawn(kubectlBin, ['--kubeconfig', kubeconfig, '-n', namespace, 'rollout', 'status', `deployment/${name}`, `--timeout=${deadline + 120}s`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c) => (stderr += c));
  const code = await new Promise((r) => child.on('close', r));
  const exitedAt = Date.now();
  await until(() => pulls.at !== undefined, 5000, 'the pull failure').catch(() => {});
  pulls.stop();
  if (pulls.at === undefined) throw new Error('kubectl: no pull failure seen');
  return { latency: exitedAt - pulls.at, wall: exitedAt - started, result: `exit ${code}: ${stderr.trim().split('\n').at(-1)}` };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const namespace = `bench-rollout-${process.pid}`;
kubectl(['create', 'namespace', namespace]);
try {
  for (let i = 0; i < 100; i++) {
    try {
      kubectl(['-n', namespace, 'get', 'serviceaccount', 'default']);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const workspace = mkdtempSync(join(tmpdir(), 'bench-ws-'));
  mkdirSync(join(workspace, 'k8s'));
  // kubectl first (it runs while nothing else does), then our rounds.
  const theirs = await kubectlStatus(namespace, 'theirs');
  const mine = [];
  for (let i = 0; i < rounds; i++) mine.push(await ours(namespace, `ours-${i}`, workspace));
  const ourLatency = median(mine.map((m) => m.latency));
  console.log(`Failure-detection latency for an image that cannot be pulled, measured from the moment the new pod shows ErrImagePull/ImagePullBackOff (independent watch) to the failure report; same cluster, same run. progressDeadlineSeconds ${deadline} s (Kubernetes' default is 600 s: kubectl would then report ~${600 - deadline} s later still).\n`);
  console.log('| tool | report latency (ms) | wall time (ms) | outcome |');
  console.log('| --- | ---: | ---: | --- |');
  console.log(`| kubectl rollout status (baseline) | ${theirs.latency} | ${theirs.wall} | ${theirs.result} |`);
  console.log(`| shipline rollout, median of ${rounds} | ${ourLatency} | ${median(mine.map((m) => m.wall))} | ${mine[0].result}; includes the automatic rollback |`);
  for (const [i, m] of mine.entries()) console.log(`| shipline rollout, round ${i + 1} | ${m.latency} | ${m.wall} | ${m.result} |`);
  console.log(`\nLoad average during the run: ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(', ')} on ${(await import('node:os')).cpus().length} cores.`);
  console.log(`\nshipline reports the failure ${(theirs.latency / Math.max(ourLatency, 1)).toFixed(0)}× sooner (${ourLatency} ms vs ${theirs.latency} ms); budget ≤ 15000 ms: ${ourLatency <= 15000 ? 'within' : '**over**'}.`);
  if (ourLatency > 15000) process.exitCode = 1;
} finally {
  try {
    kubectl(['delete', 'namespace', namespace, '--wait=false']);
  } catch {
    // gone
  }
}
