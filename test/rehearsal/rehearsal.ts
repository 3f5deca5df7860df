/**
 * The local rehearsal of the whole pipeline (`npm run demo`, issue 9): brings up the local stack —
 * Debian's docker-registry on loopback, buildah (private vfs storage), the test Kubernetes control
 * plane (scripts/kube-up.sh: real kube-apiserver/controller-manager/scheduler, kwok-simulated pods),
 * the sample HTTP service, and the Slack and GitHub emulators — then runs the committed action bundles
 * in pipeline order exactly as the runner does (`runBundle`: Node 24, INPUT_*, GITHUB_* files):
 *
 *   release 1 and 2: build-and-sign → trivy-gate (report) → deploy staging   (succeed, verified)
 *   release 3 (an image in `…/api-broken`, which kwok never pulls): the same → detected, rolled back,
 *     recorded `rolled-back`, notified; the step fails, which is the expected outcome
 *   then `shipline audit verify | list | resolve --to previous` against the emulator's ledger.
 *
 * Three releases rather than two so that `audit resolve --to previous` has an answer: with one good
 * deployment recorded there is nothing before it to roll back to.
 *
 * What cannot be real here, and what stands in for it (the output says so too): no container runs on
 * this machine, so the smoke test checks examples/sample-service.mjs, a local process standing in for
 * the deployed pods; Trivy cannot be downloaded, so the gate reads a real Trivy report (fixtures/);
 * Slack and GitHub are emulators (test/helpers/slack-server.ts, test/helpers/github-emulator.ts,
 * the latter checked against GitHub's OpenAPI description).
 *
 * Every artifact — step logs (masked), job summaries, outputs, the audit ledger and record files, the
 * GitHub deployments, the Slack messages, the audit CLI's answers, the report — lands in one folder,
 * `/tmp/shipline-demo-<id>/` by default.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { verifyLedger } from '../../src/audit/ledger.js';
import { cleanup, NODE24, ROOT, runBundle, type BundleRun } from '../harness/contract.js';
import { buildahAvailable, buildahSandbox, BUILDAH_INSTALL, type BuildahSandbox } from '../helpers/buildah.js';
import { startGitHubEmulator, type GitHubEmulator } from '../helpers/github-emulator.js';
import { KUBECONFIG, KUBECTL } from '../helpers/kube.js';
import { registryAvailable, startRegistry, REGISTRY_INSTALL, type RunningRegistry } from '../helpers/registry.js';
import { startSlackServer, type SlackMessageRecord, type SlackServer } from '../helpers/slack-server.js';
import { cosign, cosignBinary, COSIGN_INSTALL } from '../integration/build-and-sign/cosign.js';

export const REHEARSAL_DIR = join(ROOT, 'test', 'rehearsal');
const ENVIRONMENT = 'staging';
const REPOSITORY = 'acme/api';
const SLACK_CHANNEL = 'deploys';
const LEDGER_BRANCH = 'shipline-audit';
const KUBE_INSTALL = 'build and start the test control plane: bash .ci/install/50-kube.sh (≈ 12 min cold on 2 cores, then cached; `bash scripts/kube-up.sh` starts it in ≈ 20 s)';
const OPENSSL_INSTALL = 'install openssl: apt-get install -y openssl (or bash .ci/install/00-base.sh)';

export interface RehearsalOptions {
  /** Where artifacts go (default `/tmp/shipline-demo-<id>`). */
  dir?: string;
  /** Progress lines (default: console.log). */
  log?: (line: string) => void;
  /** Start the control plane with scripts/kube-up.sh when none answers (default true; tests pass false and skip). */
  startCluster?: boolean;
  /** Keep the rehearsal's namespace afterwards (default false: deleted). */
  keepNamespace?: boolean;
}

export type StageStatus = 'passed' | 'expected-failure' | 'failed' | 'skipped';

export interface Stage {
  /** e.g. `release 1 · build-and-sign`. */
  name: string;
  status: StageStatus;
  ms: number;
  /** What happened (or why it was skipped), in full: the progress log. */
  detail: string;
  /** The same in a few words: the stage table. */
  brief: string;
  /** Files written for this stage. */
  artifacts: string[];
}

export interface MissingComponent {
  component: string;
  install: string;
  /** The stages that need it. */
  needs: string;
}

export interface ReleaseReport {
  n: number;
  version: string;
  commit: string;
  broken: boolean;
  /** The build's `image` output (repo@sha256:…). */
  image?: string;
  digest?: string;
  signatureDigest?: string;
  /** build-and-sign's own read-back verification of the signature (metadata.signatures[].verified). */
  signatureVerified?: boolean;
  /** `cosign verify` (v3) of the image with the public key, when run. */
  cosignVerified?: boolean;
  gate?: { result: string; blocking: string; counts: Record<string, string> };
  deploy?: {
    exitCode: number;
    result: string;
    rolledBack: string;
    smokeResult: string;
    recordSha256: string;
    deploymentId: string;
    slackTs: string;
    error?: string;
    ms: number;
    /** For a failed rollout: the pod failure the rollout reported, and how long after its wait began it did. */
    detected?: string;
    detectedMs?: number;
  };
  /** The image the Deployment runs after this release's deploy. */
  runningImage?: string;
}

export interface Report {
  id: string;
  dir: string;
  /** Wall time of the whole rehearsal, stack start to stack stop (stack parts start in parallel). */
  wallMs: number;
  /** No stage failed unexpectedly (skipped stages do not count). */
  ok: boolean;
  stages: Stage[];
  missing: MissingComponent[];
  releases: ReleaseReport[];
  namespace?: string;
  stack: Record<string, string>;
  ledger?: { path: string; ok: boolean; records: number; statuses: string[]; headSha256: string | null };
  slack?: { path: string; messages: { ts: string; channel: string; status: string; title: string; updates: number }[] };
  audit?: { verify?: CliRun; list?: CliRun; resolve?: CliRun & { json?: Record<string, string> } };
  /** Disagreements of the GitHub emulator with GitHub's OpenAPI description (must be empty). */
  githubMismatches: string[];
}

export interface CliRun {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** What a component check found: available, or the line saying how to install it. */
interface Availability {
  ok: boolean;
  install: string;
}

const format = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const short = (digest: string | undefined): string => (digest ? `${digest.slice(0, 19)}…` : '-');

function commandWorks(file: string, args: string[]): boolean {
  return spawnSync(file, args, { stdio: 'ignore', timeout: 15_000 }).status === 0;
}

/** The control plane answers at this kubeconfig. */
function clusterAnswers(kubeconfig: string): boolean {
  return existsSync(kubeconfig) && spawnSync(KUBECTL, ['--kubeconfig', kubeconfig, 'get', '--raw', '/readyz'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** scripts/kube-up.sh can start the cluster without building anything (binaries cached, etcd and Go present). */
function clusterStartable(): boolean {
  const cache = process.env['SHIPLINE_KUBE_CACHE'] || join(homedir(), '.cache', 'shipline', 'kube');
  const versions = existsSync(cache) ? readdirSync(cache) : [];
  const cached = versions.some((v) => ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'].every((b) => existsSync(join(cache, v, 'bin', b))));
  const etcd = process.env['SHIPLINE_KUBE_ETCD'] === 'build' || commandWorks('sh', ['-c', 'command -v etcd']);
  return cached && etcd && commandWorks('go', ['version']) && commandWorks(KUBECTL, ['version', '--client']);
}

/** What the rehearsal needs, checked before anything starts. */
export function checkComponents(options: { startCluster?: boolean } = {}): Record<'node24' | 'registry' | 'buildah' | 'openssl' | 'cluster' | 'cosign' | 'bundles', Availability> {
  const bundles = ['build-and-sign', 'trivy-gate', 'deploy', 'cli'].filter((name) => !existsSync(join(ROOT, 'dist', name, 'index.js')));
  const kubeconfig = process.env['SHIPLINE_KUBECONFIG'] || KUBECONFIG;
  return {
    node24: { ok: existsSync(NODE24), install: 'install the runner runtime: npm ci (devDependency node@24)' },
    registry: { ok: registryAvailable(), install: REGISTRY_INSTALL },
    buildah: { ok: buildahAvailable(), install: BUILDAH_INSTALL },
    openssl: { ok: commandWorks('openssl', ['version']), install: OPENSSL_INSTALL },
    cluster: { ok: clusterAnswers(kubeconfig) || (options.startCluster !== false && clusterStartable()), install: KUBE_INSTALL },
    cosign: { ok: cosignBinary('v3') !== undefined, install: COSIGN_INSTALL },
    bundles: { ok: bundles.length === 0, install: `build the missing bundle(s): node scripts/build.mjs ${bundles.join(' ')}` },
  };
}

/** Runs a command without blocking the event loop (the emulators answer from this process). */
function runAsync(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}

/**
 * A step's log as the runner shows it: `::add-mask::` lines are consumed, and every value they mask
 * is replaced by `***` wherever it appears (the runner does the same in the job log).
 */
export function maskedLog(text: string, extraSecrets: readonly string[] = []): string {
  const secrets = new Set<string>();
  for (const extra of extraSecrets) for (const part of [extra, ...extra.split('\n')]) if (part.trim().length >= 3) secrets.add(part);
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const mask = /^::add-mask::(.*)$/.exec(line);
    if (mask) {
      const value = (mask[1] ?? '').replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
      for (const part of [value, ...value.split('\n')]) if (part.trim().length >= 3) secrets.add(part);
      continue;
    }
    lines.push(line);
  }
  let out = lines.join('\n');
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
  return out;
}

/** The status a deploy message ends in, read from its header (the emoji slack-notify puts first). */
export function slackStatus(message: SlackMessageRecord): { status: string; title: string } {
  const header = (message.blocks ?? []).find((b): b is { type: string; text: { text: string } } => typeof b === 'object' && b !== null && (b as { type?: unknown }).type === 'header');
  const title = header?.text.text ?? message.text ?? '';
  const byEmoji: [string, string][] = [
    ['✅', 'success'],
    ['↩️', 'rolled-back'],
    ['❌', 'failure'],
    ['🚀', 'started'],
    ['⚪', 'cancelled'],
  ];
  return { status: byEmoji.find(([emoji]) => title.startsWith(emoji))?.[1] ?? 'unknown', title };
}

interface Release {
  n: number;
  version: string;
  repository: string;
  broken: boolean;
}

const RELEASES: Release[] = [
  { n: 1, version: '1.0.0', repository: 'acme/api', broken: false },
  { n: 2, version: '1.1.0', repository: 'acme/api', broken: false },
  // kwok never pulls an image whose reference contains `broken`: ErrImagePull → ImagePullBackOff.
  { n: 3, version: '1.2.0', repository: 'acme/api-broken', broken: true },
];

export async function runRehearsal(options: RehearsalOptions = {}): Promise<Report> {
  const id = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}-${randomBytes(2).toString('hex')}`;
  const dir = options.dir ?? join(tmpdir(), `shipline-demo-${id}`);
  const log = options.log ?? ((line: string) => console.log(line));
  const startCluster = options.startCluster !== false;
  for (const sub of ['steps', 'audit/records', 'slack', 'workspace', 'signing']) mkdirSync(join(dir, sub), { recursive: true });
  const started = performance.now();
  const report: Report = { id, dir, wallMs: 0, ok: false, stages: [], missing: [], releases: [], stack: {}, githubMismatches: [] };
  const stopAll: (() => Promise<void> | void)[] = [];

  const stage = (name: string, status: StageStatus, ms: number, detail: string, artifacts: string[] = [], brief?: string): Stage => {
    const s: Stage = { name, status, ms, detail, brief: brief ?? detail, artifacts };
    report.stages.push(s);
    const mark = { passed: '✓', 'expected-failure': '✓', failed: '✗', skipped: '–' }[status];
    log(`  ${mark} ${name.padEnd(32)} ${status === 'skipped' ? 'skipped' : format(ms).padStart(8)}  ${detail}`);
    for (const a of artifacts) log(`      ↳ ${a}`);
    return s;
  };

  log(`shipline local rehearsal ${id}`);
  log(`artifacts: ${dir}`);

  // ── What is here, and what is not ─────────────────────────────────────────────────────────────────
  const checkStarted = performance.now();
  const have = checkComponents({ startCluster });
  log(`  components checked in ${format(performance.now() - checkStarted)}`);
  const needs: Record<keyof typeof have, string> = {
    node24: 'every action stage',
    registry: 'build-and-sign, cosign verify, deploy',
    buildah: 'build-and-sign, cosign verify, deploy',
    openssl: 'build-and-sign (signing key), cosign verify, deploy',
    cluster: 'deploy (rollout, smoke test, rollback, audit record, Slack)',
    cosign: 'cosign verify (the independent check of the signature)',
    bundles: 'the stages of the missing bundles',
  };
  const names: Record<keyof typeof have, string> = {
    node24: 'Node 24 (node_modules/node)',
    registry: 'OCI registry (docker-registry)',
    buildah: 'buildah',
    openssl: 'openssl',
    cluster: 'Kubernetes control plane',
    cosign: 'cosign v3',
    bundles: 'action bundles (dist/)',
  };
  for (const key of Object.keys(have) as (keyof typeof have)[]) {
    if (!have[key].ok) report.missing.push({ component: names[key], install: have[key].install, needs: needs[key] });
  }
  for (const m of report.missing) log(`  ! missing: ${m.component} — ${m.install} (needed by ${m.needs})`);
  const distHas = (name: string): boolean => existsSync(join(ROOT, 'dist', name, 'index.js'));
  const buildNeeds = [
    !have.node24.ok && 'Node 24',
    !have.registry.ok && 'docker-registry',
    !have.buildah.ok && 'buildah',
    !have.openssl.ok && 'openssl',
    !distHas('build-and-sign') && 'dist/build-and-sign',
  ].filter((x): x is string => typeof x === 'string');
  const canBuild = buildNeeds.length === 0;

  let registry: RunningRegistry | undefined;
  let sandbox: BuildahSandbox | undefined;
  let gh: GitHubEmulator | undefined;
  let slack: SlackServer | undefined;
  let service: ChildProcess | undefined;
  let kubeconfig: string | undefined;
  let namespace: string | undefined;

  try {
    // ── The local stack ─────────────────────────────────────────────────────────────────────────────
    log('── local stack');
    const timed = async <T>(name: string, fn: () => Promise<T>): Promise<[T, number]> => {
      const t0 = performance.now();
      try {
        return [await fn(), performance.now() - t0];
      } catch (error) {
        stage(`stack · ${name}`, 'failed', performance.now() - t0, String((error as Error).message ?? error).split('\n')[0] ?? '');
        throw error;
      }
    };

    const [[ghStarted, ghMs], [slackStarted, slackMs], [serviceUrl, serviceMs]] = await Promise.all([
      // Each is registered for the stop as soon as it runs, so one failing to start stops the others.
      timed('GitHub emulator', async () => {
        gh = await startGitHubEmulator();
        stopAll.push(() => gh?.stop());
        return gh;
      }),
      timed('Slack emulator', async () => {
        slack = await startSlackServer();
        stopAll.push(() => slack?.stop());
        return slack;
      }),
      timed('sample service', () => startSampleService((child) => (service = child))),
    ]);
    gh = ghStarted;
    slack = slackStarted;
    report.stack['github'] = gh.apiUrl;
    report.stack['slack'] = slack.apiUrl;
    report.stack['service'] = serviceUrl;
    stage('stack · GitHub emulator', 'passed', ghMs, `${gh.apiUrl} — GitHub REST stand-in, every exchange checked against @octokit/openapi (repository ${REPOSITORY})`, [], `${gh.apiUrl} (emulator, checked against GitHub's OpenAPI description)`);
    stage('stack · Slack emulator', 'passed', slackMs, `${slack.apiUrl} — Slack Web API stand-in (bot token, channel #${SLACK_CHANNEL})`, [], `${slack.apiUrl} (emulator)`);
    stage(
      'stack · sample service',
      'passed',
      serviceMs,
      `${serviceUrl} — examples/sample-service.mjs as a local process: no container runs here (kwok simulates the pods), so this process stands in for the deployed pods the smoke test checks`,
      [],
      `${serviceUrl} (local process standing in for the pods)`,
    );

    if (canBuild) {
      const [started, ms] = await timed('OCI registry', () => startRegistry());
      registry = started;
      stopAll.push(() => registry?.stop());
      report.stack['registry'] = registry.url;
      stage('stack · OCI registry', 'passed', ms, `${registry.url} — Debian docker-registry (distribution 2.8), plain http on loopback (insecure-registry: true)`, [], `${registry.url} (docker-registry)`);
      const t0 = performance.now();
      sandbox = buildahSandbox();
      stopAll.push(() => sandbox?.cleanup());
      stage('stack · buildah', 'passed', performance.now() - t0, `private vfs storage ${sandbox.root} (chroot isolation)`, [], 'vfs storage, chroot isolation');
    } else {
      stage('stack · OCI registry + buildah', 'skipped', 0, `not started: build-and-sign cannot run without ${buildNeeds.join(', ')}`);
    }

    if (have.cluster.ok) {
      const t0 = performance.now();
      const wanted = process.env['SHIPLINE_KUBECONFIG'] || KUBECONFIG;
      let how = 'already up, reused';
      if (clusterAnswers(wanted)) kubeconfig = wanted;
      else {
        const up = await runAsync('bash', [join(ROOT, 'scripts', 'kube-up.sh')], { timeoutMs: 300_000 });
        if (up.code !== 0) throw new Error(`scripts/kube-up.sh failed (${up.code}): ${up.stderr.trim().split('\n').slice(-3).join(' | ')}`);
        kubeconfig = up.stdout.trim().split('\n').at(-1) ?? wanted;
        const stateDir = process.env['SHIPLINE_KUBE_DIR'] ? `SHIPLINE_KUBE_DIR=${process.env['SHIPLINE_KUBE_DIR']} ` : '';
        how = `started by scripts/kube-up.sh (left running for the next run: ${stateDir}bash scripts/kube-down.sh stops it)`;
      }
      namespace = `shipline-demo-${id.slice(-4)}-${randomBytes(2).toString('hex')}`;
      createNamespace(kubeconfig, namespace);
      report.namespace = namespace;
      report.stack['kubeconfig'] = kubeconfig;
      stage('stack · Kubernetes', 'passed', performance.now() - t0, `${how}; kubeconfig ${kubeconfig}; fresh namespace ${namespace} (pods simulated by kwok)`, [], `${how.split(' (')[0]}; namespace ${namespace}`);
    } else {
      stage('stack · Kubernetes', 'skipped', 0, `no control plane answers at ${process.env['SHIPLINE_KUBECONFIG'] || KUBECONFIG}${startCluster ? ' and none can be started here' : ' (--no-cluster-start)'}`);
    }

    // ── The pipeline, release by release ──────────────────────────────────────────────────────────
    const ws = join(dir, 'workspace');
    cpSync(join(ROOT, 'examples', 'app'), join(ws, 'app'), { recursive: true });
    mkdirSync(join(ws, 'k8s'), { recursive: true });
    for (const file of readdirSync(join(ROOT, 'examples', 'k8s'))) {
      const text = readFileSync(join(ROOT, 'examples', 'k8s', file), 'utf8');
      writeFileSync(join(ws, 'k8s', file), text.replaceAll('${REGISTRY}', registry?.host ?? 'registry.invalid'));
    }
    copyFileSync(join(REHEARSAL_DIR, 'fixtures', 'alpine-310.json.golden'), join(ws, 'trivy-report.json'));
    const smokeChecks = readFileSync(join(REHEARSAL_DIR, 'smoke-checks.yml'), 'utf8');

    // The signing key: PKCS#8 EC P-256, made by openssl now; the private half never touches the log.
    let signingKey = '';
    let publicKeyPath = '';
    if (canBuild) {
      // Through pipes only: the private key is never written to disk; its public half is kept for cosign verify.
      const gen = spawnSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], { encoding: 'utf8' });
      if (gen.status !== 0 || !gen.stdout.includes('BEGIN PRIVATE KEY')) throw new Error(`openssl genpkey failed: ${gen.stderr}`);
      signingKey = gen.stdout;
      publicKeyPath = join(dir, 'signing', 'rehearsal.pub');
      const pub = spawnSync('openssl', ['pkey', '-pubout', '-out', publicKeyPath], { input: signingKey, encoding: 'utf8' });
      if (pub.status !== 0) throw new Error(`openssl pkey -pubout failed: ${pub.stderr}`);
    }
    const kubeconfigText = kubeconfig ? readFileSync(kubeconfig, 'utf8') : '';
    const secrets = [signingKey, kubeconfigText, gh.state.token, slack.token].filter(Boolean);

    let stepNo = 0;
    /** Runs one action bundle as the runner does; keeps its masked log, summary and outputs. */
    const step = async (release: Release, action: string, inputs: Record<string, string>, env: Record<string, string>): Promise<{ run: BundleRun; files: string[] }> => {
      const base = join(dir, 'steps', `${String(++stepNo).padStart(2, '0')}-release${release.n}-${action}`);
      const run = await runBundle(action, inputs, { cwd: ws, env, timeoutMs: 300_000 });
      try {
        writeFileSync(`${base}.log`, maskedLog(run.stdout + (run.stderr ? `\n--- stderr ---\n${run.stderr}` : ''), secrets));
        writeFileSync(`${base}.summary.md`, maskedLog(run.summary, secrets));
        writeFileSync(`${base}.outputs.json`, `${maskedLog(JSON.stringify(run.outputs, null, 2), secrets)}\n`);
        if (action === 'deploy' && run.outputs['record'] && existsSync(run.outputs['record'])) {
          copyFileSync(run.outputs['record'], join(dir, 'audit', 'records', `release${release.n}-${basename(run.outputs['record'])}`));
        }
        if (action === 'trivy-gate' && existsSync(join(ws, 'trivy.sarif'))) copyFileSync(join(ws, 'trivy.sarif'), `${base}.sarif`);
      } finally {
        cleanup(run);
      }
      return { run, files: [`${base}.log`, `${base}.summary.md`] };
    };

    for (const release of RELEASES) {
      const commit = createHash('sha1').update(`shipline rehearsal ${id} release ${release.n}`).digest('hex');
      const runId = 9000 + release.n;
      const r: ReleaseReport = { n: release.n, version: release.version, commit, broken: release.broken };
      report.releases.push(r);
      gh.state.runs.set(runId, { name: 'shipline pipeline', actor: 'octocat', runStartedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), approvals: [] });
      const env: Record<string, string> = {
        ...(sandbox?.env ?? {}),
        GITHUB_REPOSITORY: REPOSITORY,
        GITHUB_SHA: commit,
        GITHUB_REF: 'refs/heads/main',
        GITHUB_RUN_ID: String(runId),
        GITHUB_RUN_NUMBER: String(release.n),
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_WORKFLOW: 'shipline pipeline',
        GITHUB_EVENT_NAME: 'push',
        GITHUB_ACTOR: 'octocat',
        GITHUB_TRIGGERING_ACTOR: 'octocat',
        GITHUB_SERVER_URL: gh.serverUrl,
        GITHUB_API_URL: gh.apiUrl,
        GITHUB_WORKSPACE: ws,
        SLACK_API_URL: slack.apiUrl,
      };
      log(`── release ${release.n}: ${release.version}${release.broken ? ' (broken image)' : ''}, commit ${commit.slice(0, 7)}, ${release.repository}`);
      const label = (action: string): string => `release ${release.n} · ${action}`;

      // 1. build-and-sign (job "build and sign")
      let buildOutputs: Record<string, string> | undefined;
      if (canBuild && registry) {
        const t0 = performance.now();
        const { run, files } = await step(release, 'build-and-sign', {
          image: `${registry.host}/${release.repository}`,
          context: 'app',
          'build-args': `VERSION=${release.version}`,
          'signing-key': signingKey,
          'insecure-registry': 'true',
        }, env);
        const ms = performance.now() - t0;
        if (run.exitCode === 0 && run.outputs['digest']) {
          buildOutputs = run.outputs;
          r.image = run.outputs['image'];
          r.digest = run.outputs['digest'];
          r.signatureDigest = run.outputs['signature-digest'];
          const meta = parseJson(run.outputs['metadata']) as { signatures?: { verified?: boolean; format?: string; mode?: string }[] } | undefined;
          r.signatureVerified = Boolean(meta?.signatures?.length && meta.signatures.every((s) => s.verified === true));
          const sig = meta?.signatures?.map((s) => `${s.format ?? '?'}/${s.mode ?? '?'}`).join(', ') ?? 'none';
          stage(label('build-and-sign'), 'passed', ms, `${run.outputs['image']} pushed; signed by digest (${sig}), signature ${short(r.signatureDigest)}, read back and verified: ${r.signatureVerified}`, files, `${release.repository}@${short(r.digest)} pushed, signed (${sig}), verified ${r.signatureVerified}`);
        } else {
          stage(label('build-and-sign'), 'failed', ms, `exit ${run.exitCode}: ${run.errors.join(' | ') || 'no digest output'}`, files);
        }
      } else {
        stage(label('build-and-sign'), 'skipped', 0, `needs ${buildNeeds.join(', ')} (see the missing components)`);
      }

      // The independent check: the real cosign (v3) verifies the bundle with the public key.
      if (release.n === 1) {
        const binary = cosignBinary('v3');
        if (binary && r.image) {
          const t0 = performance.now();
          const out = cosign(binary, ['verify', '--key', publicKeyPath, '--insecure-ignore-tlog', '--allow-http-registry', r.image]);
          const file = join(dir, 'steps', `release1-cosign-verify.txt`);
          writeFileSync(file, `$ cosign verify --key ${publicKeyPath} --insecure-ignore-tlog --allow-http-registry ${r.image}\nexit ${out.status}\n${out.stdout}\n${out.stderr}`);
          r.cosignVerified = out.status === 0;
          stage(label('cosign verify (v3)'), out.status === 0 ? 'passed' : 'failed', performance.now() - t0, out.status === 0 ? `the real cosign verifies ${short(r.digest)} with the public key` : `cosign exit ${out.status}: ${out.stderr.trim().split('\n').at(-1) ?? ''}`, [file], out.status === 0 ? 'the real cosign verifies the signature with the public key' : undefined);
        } else {
          stage(label('cosign verify (v3)'), 'skipped', 0, binary ? 'no image was built' : `needs cosign v3: ${COSIGN_INSTALL}`);
        }
      }

      // 2. trivy-gate (job "vulnerability gate"): a real Trivy report, since Trivy cannot be downloaded here.
      let gateOutputs: Record<string, string> | undefined;
      if (have.node24.ok && distHas('trivy-gate')) {
        const t0 = performance.now();
        const { run, files } = await step(release, 'trivy-gate', { report: 'trivy-report.json', severity: 'CRITICAL,HIGH', sarif: 'trivy.sarif' }, env);
        const ms = performance.now() - t0;
        const o = run.outputs;
        const counts = Object.fromEntries(['critical', 'high', 'medium', 'low', 'unknown', 'ignored'].map((k) => [k, o[k] ?? '?']));
        r.gate = { result: o['result'] ?? '?', blocking: o['blocking'] ?? '?', counts };
        const what = `gated a real Trivy report (alpine 3.10.2, Trivy's own golden; Trivy cannot be downloaded here) on CRITICAL,HIGH: result ${o['result']}, blocking ${o['blocking']}, found critical ${counts['critical']} high ${counts['high']} medium ${counts['medium']} low ${counts['low']}`;
        gateOutputs = o;
        const brief = `${o['result']}: ${o['blocking']} blocking on CRITICAL,HIGH; found ${Object.entries(counts).filter(([k, v]) => k !== 'ignored' && v !== '0').map(([k, v]) => `${v} ${k.toUpperCase()}`).join(', ') || 'nothing'} (real Trivy report)`;
        stage(label('trivy-gate'), run.exitCode === 0 && o['result'] === 'pass' ? 'passed' : 'failed', ms, run.exitCode === 0 ? what : `exit ${run.exitCode}: ${run.errors.join(' | ')}`, files, run.exitCode === 0 ? brief : undefined);
      } else {
        stage(label('trivy-gate'), 'skipped', 0, 'needs dist/trivy-gate and Node 24');
      }

      // 3. deploy staging (the root action), in the rehearsal's fresh namespace.
      if (kubeconfig && namespace && buildOutputs?.['image'] && distHas('deploy') && gateOutputs?.['result'] === 'pass') {
        const t0 = performance.now();
        // Releases 1–2: the pipeline's bare `images: <repo@digest>`, matched by repository. Release 3 lives
        // in another repository (…/api-broken), so it is set by container name, as `kubectl set image` does.
        const images = release.broken ? `api=${buildOutputs['image']}` : buildOutputs['image'];
        const { run, files } = await step(release, 'deploy', {
          environment: ENVIRONMENT,
          'environment-url': serviceUrl,
          manifests: 'k8s/',
          images,
          namespace,
          kubeconfig: kubeconfigText,
          timeout: '2m',
          'smoke-checks': smokeChecks,
          'smoke-url': serviceUrl,
          'smoke-deadline': '30s',
          scan: JSON.stringify(gateOutputs),
          signature: JSON.stringify(buildOutputs),
          'github-token': gh.state.token,
          'slack-bot-token': slack.token,
          'slack-channel': SLACK_CHANNEL,
          'slack-mention-on-failure': 'here',
        }, env);
        const ms = performance.now() - t0;
        const o = run.outputs;
        r.deploy = {
          exitCode: run.exitCode,
          result: o['result'] ?? '',
          rolledBack: o['rolled-back'] ?? '',
          smokeResult: o['smoke-result'] ?? '',
          recordSha256: o['record-sha256'] ?? '',
          deploymentId: o['deployment-id'] ?? '',
          slackTs: o['slack-ts'] ?? '',
          ms,
          ...(run.errors.length ? { error: run.errors.at(-1) as string } : {}),
        };
        // How soon the rollout judged the pod failed, counted from the start of its wait (it logs `(after 521 ms)` or `(after 1.4 s)`).
        const seen = /: (ErrImagePull|ImagePullBackOff|CrashLoopBackOff|CreateContainerConfigError|OOMKilled|Unschedulable)\b[^\n]*\(after ([\d.]+) (ms|s)\)/.exec(run.stdout);
        if (seen) Object.assign(r.deploy, { detected: seen[1], detectedMs: Number(seen[2]) * (seen[3] === 's' ? 1000 : 1) });
        r.runningImage = kubectlText(kubeconfig, ['-n', namespace, 'get', 'deployment', 'sample-api', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
        const facts = `result ${o['result']}, revision ${o['revision'] ?? '?'}, smoke ${o['smoke-result']}${o['p95-ms'] ? ` (p95 ${o['p95-ms']} ms)` : ''}, record ${(o['record-sha256'] ?? '').slice(0, 12)}…, deployment ${o['deployment-id'] || '-'}, Slack ${o['slack-ts'] || '-'}; running ${short(r.runningImage?.split('@')[1])}`;
        if (!release.broken) {
          const good = run.exitCode === 0 && o['result'] === 'succeeded' && o['smoke-result'] === 'pass';
          const brief = `${o['result']}, revision ${o['revision'] ?? '?'}, smoke ${o['smoke-result']}${o['p95-ms'] ? ` (p95 ${o['p95-ms']} ms)` : ''}, recorded, Slack ✅`;
          stage(label('deploy staging'), good ? 'passed' : 'failed', ms, good ? facts : `exit ${run.exitCode}: ${run.errors.join(' | ')}`, files, good ? brief : undefined);
        } else {
          const asExpected = run.exitCode !== 0 && o['result'] === 'rolled-back' && o['rolled-back'] === 'true';
          stage(
            label('deploy staging'),
            asExpected ? 'expected-failure' : 'failed',
            ms,
            asExpected ? `failed as it should — detected, rolled back automatically, recorded and notified: ${facts}. Step error: ${run.errors.at(-1) ?? ''}` : `expected a rolled-back failure, got exit ${run.exitCode}, result ${o['result']}: ${run.errors.join(' | ')}`,
            files,
            asExpected
              ? `${r.deploy.detected ?? 'failure'} detected${r.deploy.detectedMs !== undefined ? ` in ${format(r.deploy.detectedMs)}` : ''} → rolled back (${r.runningImage === report.releases[release.n - 2]?.image ? `release ${release.n - 1} runs again` : `running ${short(r.runningImage?.split('@')[1])}`}), recorded rolled-back, Slack ↩️`
              : undefined,
          );
        }
      } else {
        const why = !kubeconfig ? 'needs the Kubernetes control plane' : !buildOutputs ? 'needs the image built by build-and-sign' : gateOutputs?.['result'] !== 'pass' ? 'the vulnerability gate did not pass' : 'needs dist/deploy';
        stage(label('deploy staging'), 'skipped', 0, why);
      }
    }

    // ── What was recorded and said ────────────────────────────────────────────────────────────────
    log('── audit trail and notifications');
    const ledgerText = gh.state.readFile(LEDGER_BRANCH, `${ENVIRONMENT}.jsonl`);
    if (ledgerText !== undefined) {
      const path = join(dir, 'audit', `${ENVIRONMENT}.jsonl`);
      writeFileSync(path, ledgerText);
      const check = verifyLedger(ledgerText, { fileName: `${ENVIRONMENT}.jsonl` });
      report.ledger = { path, ok: check.ok, records: check.entries.length, statuses: check.entries.map((e) => e.record.status), headSha256: check.headSha256 };
    }
    const deploymentsPath = join(dir, 'audit', 'github-deployments.json');
    writeFileSync(deploymentsPath, `${JSON.stringify(gh.state.deployments.map((d) => ({ id: d.id, environment: d.environment, sha: d.sha, statuses: d.statuses.map((s) => s.state), recordId: typeof d.payload === 'object' ? d.payload['id'] : undefined })), null, 2)}\n`);
    const slackPath = join(dir, 'slack', 'messages.json');
    writeFileSync(slackPath, `${JSON.stringify(slack.messages.map((m) => ({ channel: m.channel, ts: m.ts, via: m.via, ...slackStatus(m), text: m.text, blocks: m.blocks, earlierVersions: m.history })), null, 2)}\n`);
    report.slack = { path: slackPath, messages: slack.messages.map((m) => ({ ts: m.ts, channel: m.channel, ...slackStatus(m), updates: m.history.length })) };
    report.githubMismatches = gh.mismatches.map((m) => `${m.method} ${m.path}: ${m.kind}: ${m.detail}`);

    const deployed = report.releases.some((r) => r.deploy);
    if (deployed && distHas('cli')) {
      const releaseOf = (image: string | undefined): string => {
        const found = report.releases.find((x) => x.image !== undefined && x.image === image);
        return found ? `release ${found.n}` : (image ?? 'nothing');
      };
      const cliEnv = { ...process.env, GITHUB_API_URL: gh.apiUrl, GITHUB_REPOSITORY: REPOSITORY, GITHUB_TOKEN: gh.state.token };
      const head = report.releases.map((r) => r.deploy?.recordSha256).filter((s): s is string => Boolean(s)).at(-1);
      const cli = async (args: string[], file: string): Promise<CliRun> => {
        const out = await runAsync(NODE24, [join(ROOT, 'bin', 'shipline.mjs'), ...args], { env: cliEnv });
        const command = `shipline ${args.join(' ')}`;
        writeFileSync(join(dir, 'audit', file), `$ GITHUB_API_URL=${gh?.apiUrl} GITHUB_REPOSITORY=${REPOSITORY} GITHUB_TOKEN=*** ${command}\nexit ${out.code}\n${out.stdout}${out.stderr ? `--- stderr ---\n${out.stderr}` : ''}`);
        return { command, exitCode: out.code, stdout: out.stdout, stderr: out.stderr };
      };
      let t0 = performance.now();
      const verify = await cli(['audit', 'verify', ...(head ? ['--expect', head] : [])], 'verify.txt');
      stage('audit verify', verify.exitCode === 0 ? 'passed' : 'failed', performance.now() - t0, `${verify.stdout.trim().split('\n').join(' ')}${head ? ` (the newest record ${head.slice(0, 12)}… pinned with --expect)` : ''}`, [join(dir, 'audit', 'verify.txt')], verify.exitCode === 0 ? `${report.releases.filter((x) => x.deploy).length} records, chain intact, newest pinned (--expect)` : undefined);
      for (const line of verify.stdout.trim().split('\n')) log(`      ${line}`);
      t0 = performance.now();
      const list = await cli(['audit', 'list', '--environment', ENVIRONMENT], 'list.txt');
      stage('audit list', list.exitCode === 0 ? 'passed' : 'failed', performance.now() - t0, `${Math.max(0, list.stdout.trim().split('\n').length - 1)} record(s) of ${ENVIRONMENT}, newest first`, [join(dir, 'audit', 'list.txt')]);
      for (const line of list.stdout.trimEnd().split('\n')) log(`      ${line}`);
      t0 = performance.now();
      const resolve = await cli(['audit', 'resolve', '--environment', ENVIRONMENT, '--to', 'previous', '--json'], 'resolve.json.txt');
      const resolved = parseJson(resolve.stdout) as Record<string, string> | undefined;
      stage(
        'audit resolve --to previous',
        resolve.exitCode === 0 && resolved ? 'passed' : 'failed',
        performance.now() - t0,
        resolved ? `a rollback would redeploy ${resolved['image']} (rolling back ${resolved['rollingBackImage'] || 'nothing'})` : `exit ${resolve.exitCode}: ${resolve.stderr.trim()}`,
        [join(dir, 'audit', 'resolve.json.txt')],
        resolved ? `→ ${releaseOf(resolved['image'])} (${short(resolved['digest'])}), rolling back ${releaseOf(resolved['rollingBackImage'])}` : undefined,
      );
      report.audit = { verify, list, resolve: { ...resolve, ...(resolved ? { json: resolved } : {}) } };
    } else {
      stage('audit verify / list / resolve', 'skipped', 0, deployed ? 'needs dist/cli' : 'nothing was deployed, so nothing was recorded');
    }
    if (report.ledger) log(`  ledger ${report.ledger.path}: ${report.ledger.records} record(s) [${report.ledger.statuses.join(', ')}], chain ${report.ledger.ok ? 'intact' : 'BROKEN'}`);
    log(`  GitHub deployments: ${deploymentsPath}`);
    log(`  Slack messages (${report.slack.messages.length}): ${slackPath}`);
    for (const m of report.slack.messages) log(`      #${SLACK_CHANNEL} ${m.ts}: ${m.title}${m.updates ? ` (updated ${m.updates}× in place)` : ''}`);
    if (report.githubMismatches.length) log(`  ! GitHub emulator mismatches with the OpenAPI description: ${report.githubMismatches.join('; ')}`);
  } catch (error) {
    stage('rehearsal', 'failed', 0, `stopped: ${(error as Error).message ?? String(error)}`);
  } finally {
    const teardownStarted = performance.now();
    if (namespace && kubeconfig) {
      if (options.keepNamespace) log(`  namespace ${namespace} kept (kubectl --kubeconfig ${kubeconfig} delete namespace ${namespace})`);
      else spawnSync(KUBECTL, ['--kubeconfig', kubeconfig, 'delete', 'namespace', namespace, '--wait=false'], { stdio: 'ignore', timeout: 30_000 });
    }
    if (service && service.exitCode === null) service.kill('SIGTERM');
    for (const stop of stopAll.reverse()) {
      try {
        await stop();
      } catch {
        // best effort: the rest still stops
      }
    }
    log(`  local stack stopped in ${format(performance.now() - teardownStarted)}${namespace && !options.keepNamespace ? ` (namespace ${namespace} deleted)` : ''}`);
  }

  report.ok = report.stages.every((s) => s.status !== 'failed');
  report.wallMs = performance.now() - started;
  const table = formatReport(report);
  writeFileSync(join(dir, 'report.md'), `${table}\n`);
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, (k, v: unknown) => (k === 'stdout' || k === 'stderr' ? undefined : v), 2)}\n`);
  log('');
  log(table);
  log('');
  log(`report: ${join(dir, 'report.md')} (and report.json); step logs and summaries: ${join(dir, 'steps')}`);
  return report;
}

/** The stage table (Markdown). */
export function formatReport(report: Report): string {
  const mark: Record<StageStatus, string> = { passed: '✅ passed', 'expected-failure': '✅ failed as expected', failed: '❌ failed', skipped: '⏭️ skipped' };
  const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = report.stages.map((s, i) => `| ${i + 1} | ${cell(s.name)} | ${mark[s.status]} | ${s.status === 'skipped' ? '-' : format(s.ms)} | ${cell(s.brief.length > 200 ? `${s.brief.slice(0, 197)}…` : s.brief)} |`);
  const skipped = report.stages.filter((s) => s.status === 'skipped').length;
  const verdict = !report.ok ? 'SOMETHING FAILED' : skipped ? `every stage that ran ended as expected; ${skipped} skipped (components missing here, below)` : 'every stage ended as expected, none skipped';
  const lines = [`### shipline local rehearsal ${report.id}: ${verdict}`, '', '| # | stage | result | time | detail |', '|---|---|---|---|---|', ...rows, `| | whole rehearsal (wall time, stack start to stop) | | ${format(report.wallMs)} | |`];
  if (report.missing.length) {
    lines.push('', 'Missing here (their stages were skipped):', ...report.missing.map((m) => `- ${m.component}: ${m.install} — needed by ${m.needs}`));
  }
  return lines.join('\n');
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function kubectlText(kubeconfig: string, args: string[]): string {
  const out = spawnSync(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', timeout: 30_000 });
  return out.status === 0 ? out.stdout.trim() : '';
}

/** A fresh namespace, usable once its default ServiceAccount exists (pods are admitted only then). */
function createNamespace(kubeconfig: string, name: string): void {
  const created = spawnSync(KUBECTL, ['--kubeconfig', kubeconfig, 'create', 'namespace', name], { encoding: 'utf8', timeout: 30_000 });
  if (created.status !== 0) throw new Error(`kubectl create namespace ${name} failed: ${created.stderr.trim()}`);
  const deadline = Date.now() + 30_000;
  while (spawnSync(KUBECTL, ['--kubeconfig', kubeconfig, '-n', name, 'get', 'serviceaccount', 'default'], { stdio: 'ignore', timeout: 10_000 }).status !== 0) {
    if (Date.now() > deadline) throw new Error(`namespace ${name}: no default ServiceAccount after 30 s`);
    spawnSync('sleep', ['0.2']);
  }
}

/** examples/sample-service.mjs on a free loopback port; resolves to its URL. */
function startSampleService(keep: (child: ChildProcess) => void): Promise<string> {
  const child = spawn(existsSync(NODE24) ? NODE24 : process.execPath, [join(ROOT, 'examples', 'sample-service.mjs')], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SAMPLE_VERSION: '1.0.0' } });
  keep(child);
  return new Promise((resolvePromise, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolvePromise(String(d).trim().split('\n')[0] ?? ''));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`examples/sample-service.mjs exited with ${code}`)));
  });
}
