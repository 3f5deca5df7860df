/**
 * The local rehearsal (`npm run demo`) end to end on this machine: the committed bundles run as the
 * runner runs them against real components on loopback — Debian docker-registry, buildah, the real
 * cosign (v3), the test Kubernetes control plane (kwok-simulated pods), the sample service as a local
 * stand-in for the pods — and against the Slack emulator and the GitHub emulator (checked against
 * GitHub's OpenAPI description). One rehearsal runs; each test asserts one outcome from what it left
 * behind (its report and its artifact folder), re-checking the ledger and the record files itself.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/audit/ledger.js';
import { checkComponents, maskedLog, runRehearsal, type Report } from './rehearsal.js';

// The cluster is not started by the test (the suite shares it): it is up, or the test is skipped.
const have = checkComponents({ startCluster: false });
const required = (['node24', 'registry', 'buildah', 'openssl', 'cluster', 'bundles'] as const).filter((k) => !have[k].ok);
const ready = required.length === 0;
if (!ready) console.log(`skipping the local rehearsal: ${required.map((k) => have[k].install).join('; ')}`);
if (ready && !have.cosign.ok) console.log(`skipping the rehearsal's cosign check: ${have.cosign.install}`);

const DIGEST = /^sha256:[a-f0-9]{64}$/;

describe.skipIf(!ready)('local rehearsal (npm run demo): build → gate → deploy ×3 → audit, on real components and the Slack/GitHub emulators', () => {
  let report: Report;
  const lines: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'shipline-demo-test-'));
  const release = (n: number) => report.releases.find((r) => r.n === n) as Report['releases'][number];

  beforeAll(async () => {
    report = await runRehearsal({ dir, log: (line) => lines.push(line), startCluster: false });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every stage ends as expected and none is skipped', () => {
    const unexpected = report.stages.filter((s) => s.status === 'failed' || (s.status === 'skipped' && !(s.name.includes('cosign') && !have.cosign.ok)));
    expect(unexpected, lines.join('\n')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.missing.filter((m) => !m.component.startsWith('cosign'))).toEqual([]);
    // The broken release is the one expected failure, and it is reported as such.
    expect(report.stages.filter((s) => s.status === 'expected-failure').map((s) => s.name)).toEqual(['release 3 · deploy staging']);
    expect(existsSync(join(dir, 'report.md'))).toBe(true);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/\| 1 \| stack · GitHub emulator \| ✅ passed \|/);
  });

  it('builds each release with buildah, pushes it to the loopback registry and signs it by digest (read back and verified)', () => {
    for (const r of report.releases) {
      expect(r.digest).toMatch(DIGEST);
      expect(r.image).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+/acme/${r.broken ? 'api-broken' : 'api'}@${r.digest}$`));
      expect(r.signatureDigest).toMatch(DIGEST);
      expect(r.signatureDigest).not.toBe(r.digest);
      expect(r.signatureVerified).toBe(true);
    }
    expect(new Set(report.releases.map((r) => r.digest)).size).toBe(3);
  });

  it.skipIf(!have.cosign.ok)('the real cosign v3 verifies release 1 with the public key made by openssl', () => {
    expect(release(1).cosignVerified).toBe(true);
    const out = readFileSync(join(dir, 'steps', 'release1-cosign-verify.txt'), 'utf8');
    expect(out).toContain(`"docker-manifest-digest":"${release(1).digest}"`);
    expect(readFileSync(join(dir, 'signing', 'rehearsal.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(readdirSync(join(dir, 'signing'))).toEqual(['rehearsal.pub']); // the private key never touched the disk
  });

  it('gates the real Trivy report: 4 MEDIUM found, none blocking on CRITICAL,HIGH, so every release passes', () => {
    for (const r of report.releases) {
      expect(r.gate).toEqual({ result: 'pass', blocking: '0', counts: { critical: '0', high: '0', medium: '4', low: '0', unknown: '0', ignored: '0' } });
    }
    const sarif = JSON.parse(readFileSync(join(dir, 'steps', '02-release1-trivy-gate.sarif'), 'utf8')) as { version: string; runs: { results: unknown[] }[] };
    expect(sarif.version).toBe('2.1.0');
    // SARIF carries the findings of the gated severities only (as `trivy --severity` would): none here.
    expect(sarif.runs[0]?.results).toEqual([]);
  });

  it('deploys releases 1 and 2 to staging: rolled out, smoke-tested against the stand-in service, recorded, announced', () => {
    for (const n of [1, 2]) {
      const r = release(n);
      expect(r.deploy, lines.join('\n')).toMatchObject({ exitCode: 0, result: 'succeeded', rolledBack: 'false', smokeResult: 'pass' });
      expect(r.deploy?.recordSha256).toMatch(/^[a-f0-9]{64}$/);
      expect(r.deploy?.deploymentId).toMatch(/^\d+$/);
      expect(r.runningImage).toBe(r.image);
    }
    expect(lines.join('\n')).toMatch(/examples\/sample-service\.mjs as a local process: no container runs here/);
  });

  it('release 3 (broken image) is detected, rolled back to release 2, recorded rolled-back and announced; the step fails', () => {
    const r = release(3);
    expect(r.deploy).toMatchObject({ exitCode: 1, result: 'rolled-back', rolledBack: 'true', smokeResult: 'skipped' });
    expect(r.deploy?.error).toMatch(/^Deploy to staging rolled-back: rollout failed — Deployment [\w-]+\/sample-api: (ErrImagePull|ImagePullBackOff)/);
    expect(r.runningImage).toBe(release(2).image);
    // Failed on the pod's pull error itself — not on the 600 s progress deadline `kubectl rollout status`
    // waits for, nor on the step's 2m timeout (how fast is the rollout benchmark's business, not a test's).
    expect(r.deploy?.detected, readFileSync(join(dir, 'steps', '09-release3-deploy.log'), 'utf8')).toMatch(/^(ErrImagePull|ImagePullBackOff)$/);
    expect(r.deploy?.detectedMs).toEqual(expect.any(Number));
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/\| release 3 · deploy staging \| ✅ failed as expected \| [\d.]+ m?s \| (ErrImagePull|ImagePullBackOff) detected in [\d.]+ m?s → rolled back \(release 2 runs again\)/);
  });

  it('the audit ledger on the emulator holds all three records in one valid chain, matching the outputs and the record files', () => {
    const text = readFileSync(join(dir, 'audit', 'staging.jsonl'), 'utf8');
    const check = verifyLedger(text, { fileName: 'staging.jsonl', expect: report.releases.map((r) => r.deploy?.recordSha256 as string) });
    expect(check.ok, check.broken?.reason).toBe(true);
    expect(check.entries.map((e) => e.record.status)).toEqual(['success', 'success', 'rolled-back']);
    expect(check.entries.map((e) => e.sha256)).toEqual(report.releases.map((r) => r.deploy?.recordSha256));
    expect(check.entries.map((e) => e.record.image?.digest)).toEqual(report.releases.map((r) => r.digest));
    expect(check.entries.map((e) => e.record.commit)).toEqual(report.releases.map((r) => r.commit));
    expect(check.entries[0]?.record.previousSha256).toBeNull();
    expect(check.entries[2]?.record.previousSha256).toBe(check.entries[1]?.sha256);
    // Each record file's bytes hash to its record-sha256.
    const files = readdirSync(join(dir, 'audit', 'records')).sort();
    expect(files).toHaveLength(3);
    expect(files.map((f) => createHash('sha256').update(readFileSync(join(dir, 'audit', 'records', f))).digest('hex'))).toEqual(report.releases.map((r) => r.deploy?.recordSha256));
    // GitHub deployments: one per attempt, the last one a failure; the emulator agreed with GitHub's description throughout.
    const deployments = JSON.parse(readFileSync(join(dir, 'audit', 'github-deployments.json'), 'utf8')) as { id: number; statuses: string[] }[];
    expect(deployments.map((d) => String(d.id))).toEqual(report.releases.map((r) => r.deploy?.deploymentId));
    expect(deployments.map((d) => d.statuses.at(-1))).toEqual(['inactive', 'success', 'failure']);
    expect(report.githubMismatches).toEqual([]);
  });

  it('shipline audit verify / list / resolve --to previous read the ledger through the API: chain intact, rollback target = release 1', () => {
    const { verify, list, resolve } = report.audit ?? {};
    expect(verify?.exitCode, verify?.stderr).toBe(0);
    expect(verify?.stdout).toMatch(/staging\.jsonl: 3 records, chain intact/);
    expect(list?.exitCode).toBe(0);
    expect(list?.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)[2])).toEqual(['rolled-back', 'success', 'success']);
    expect(resolve?.exitCode, resolve?.stderr).toBe(0);
    expect(resolve?.json).toMatchObject({ environment: 'staging', image: release(1).image, digest: release(1).digest, rollingBackImage: release(2).image, 'rollback-of': release(2).deploy?.recordSha256 });
  });

  it('Slack (emulator, bot token) got one message per deploy, each posted as started and updated in place to its outcome', () => {
    const messages = JSON.parse(readFileSync(join(dir, 'slack', 'messages.json'), 'utf8')) as { ts: string; status: string; title: string; earlierVersions: { blocks?: { type: string; text?: { text: string } }[] }[] }[];
    expect(messages.map((m) => m.status)).toEqual(['success', 'success', 'rolled-back']);
    expect(messages.map((m) => m.ts)).toEqual(report.releases.map((r) => r.deploy?.slackTs));
    for (const m of messages) {
      expect(m.earlierVersions).toHaveLength(1);
      expect(m.earlierVersions[0]?.blocks?.find((b) => b.type === 'header')?.text?.text).toMatch(/^🚀 Deploying acme\/api to staging/);
    }
    expect(messages[2]?.title).toBe('↩️ Deployment of acme/api to staging rolled back');
  });

  it('keeps every artifact it names, and no secret reaches them', () => {
    for (const stage of report.stages) for (const file of stage.artifacts) expect(existsSync(file), file).toBe(true);
    const everything = [join(dir, 'steps'), join(dir, 'audit'), join(dir, 'slack')]
      .flatMap((d) => readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(everything).not.toMatch(/BEGIN (EC )?PRIVATE KEY|client-key-data|xoxb-|ghs_/);
    expect(everything).not.toContain('::add-mask::');
    expect(lines.join('\n')).not.toMatch(/xoxb-|ghs_|PRIVATE KEY/);
  });
});

describe('maskedLog: a step log as the runner shows it', () => {
  it.each([
    ['::add-mask::s3cr3t\nuse s3cr3t here', [], 'use *** here'],
    ['::add-mask::line one%0Aline two\nline two leaked', [], '*** leaked'],
    ['token abc', ['abc'], 'token ***'],
    ['::add-mask::ab\nab stays (too short to mask)', [], 'ab stays (too short to mask)'],
  ])('%j', (text, extra, expected) => {
    expect(maskedLog(text, extra)).toBe(expected);
  });
});
