/**
 * Contract: dist/trivy-gate/index.js run by Node 24 exactly as the runner runs it. The `image` case
 * uses a STAND-IN trivy binary (test/helpers/trivy/stand-in-trivy.mjs; Trivy cannot be downloaded
 * here) placed in RUNNER_TOOL_CACHE as an earlier install would have left it, and a loopback OCI
 * registry serving the DB manifest.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runBundle, type BundleRun } from '../harness/contract.js';
import { startDbRegistry, type DbRegistry } from '../helpers/trivy/db-registry.js';
import { fixture, osResult, report, tempDir, vuln, writeReport } from '../helpers/trivy/reports.js';

const STAND_IN = resolve(import.meta.dirname, '..', 'helpers', 'trivy', 'stand-in-trivy.mjs');
const runs: BundleRun[] = [];
async function gate(inputs: Record<string, string>, env: Record<string, string> = {}, cwd?: string): Promise<BundleRun> {
  const run = await runBundle('trivy-gate', inputs, { env, ...(cwd ? { cwd } : {}) });
  runs.push(run);
  return run;
}
afterAll(() => runs.forEach(cleanup));

describe('trivy-gate bundle (report mode)', () => {
  it('passes a report with only non-blocking findings, with every output set', async () => {
    const run = await gate({ report: fixture('alpine-310.json.golden') });
    expect(run.exitCode).toBe(0);
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({ result: 'pass', blocking: '0', critical: '0', high: '0', medium: '4', low: '0', unknown: '0', ignored: '0', 'expired-ignores': '0', 'unused-ignores': '0', sarif: '', findings: '[]' });
    expect(run.summary).toContain('### ✅ Trivy gate: pass — 0 blocking findings');
  });

  it('fails on a blocking finding with one error line, and writes valid SARIF', async () => {
    const ws = tempDir();
    const run = await gate({ report: fixture('spring4shell-jre11.json.golden'), sarif: 'results/trivy.sarif' }, {}, ws);
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ result: 'fail', blocking: '1', critical: '1', sarif: join(ws, 'results/trivy.sarif') });
    expect(run.errors).toEqual(['1 blocking finding (1 CRITICAL): CVE-2022-22965 in org.springframework:spring-beans@5.3.15 (fixed in 5.3.18)']);
    const schema = JSON.parse(readFileSync(fixture('sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;
    delete schema['$schema'];
    delete schema['id'];
    const validate = new Ajv({ strict: false, unicodeRegExp: false }).compile(schema);
    const sarif = JSON.parse(readFileSync(join(ws, 'results/trivy.sarif'), 'utf8')) as { runs: { results: { level: string; ruleId: string }[] }[] };
    expect(validate(sarif)).toBe(true);
    expect(sarif.runs[0]?.results).toMatchObject([{ ruleId: 'CVE-2022-22965', level: 'error' }]);
  });

  it('mode: report does not fail the step', async () => {
    const run = await gate({ report: fixture('spring4shell-jre11.json.golden'), mode: 'report' });
    expect([run.exitCode, run.outputs['result'], run.errors]).toEqual([0, 'fail', []]);
  });

  it('ignore file with an expired and an active entry (real clock: dates far in the past and future)', async () => {
    const ws = tempDir();
    writeReport(ws, 'trivy.json', report([osResult([vuln({ VulnerabilityID: 'CVE-A', Severity: 'HIGH' }), vuln({ VulnerabilityID: 'CVE-B', Severity: 'CRITICAL' })])]));
    writeFileSync(join(ws, '.trivyignore'), 'CVE-A exp:2000-01-01\nCVE-B exp:2999-12-31\nCVE-GONE\n');
    const run = await gate({ report: 'trivy.json' }, {}, ws);
    expect(run.outputs).toMatchObject({ result: 'fail', blocking: '1', high: '1', critical: '0', ignored: '1', 'expired-ignores': '1', 'unused-ignores': '1' });
    expect(run.stdout).toContain('::warning file=.trivyignore,line=1,title=Expired ignore entry CVE-A::CVE-A expired on 2000-01-01 and no longer suppresses anything: 1 finding is back, 1 blocking. Renew it with a new date and a statement, or remove it.');
    expect(run.stdout).toContain('::notice file=.trivyignore,line=3,title=Unused ignore entry CVE-GONE::');
  });

  it('a .trivyignore.yaml with paths, purls and expired_at (the YAML parser loads inside the bundle)', async () => {
    const ws = tempDir();
    writeReport(ws, 'trivy.json', report([osResult([vuln({ VulnerabilityID: 'CVE-A', Severity: 'HIGH' }), vuln({ VulnerabilityID: 'CVE-B', Severity: 'CRITICAL' }), vuln({ VulnerabilityID: 'CVE-C', Severity: 'CRITICAL' })])]));
    writeFileSync(
      join(ws, '.trivyignore.yaml'),
      'vulnerabilities:\n  - id: CVE-A\n    purls: ["pkg:apk/alpine/libcrypto1.1"]\n    statement: not reachable\n  - id: CVE-B\n    paths: ["ghcr.io/**"]\n    expired_at: 2000-01-01\n  - id: CVE-C\n    paths: ["elsewhere/**"]\n',
    );
    const run = await gate({ report: 'trivy.json' }, {}, ws);
    expect(run.outputs).toMatchObject({ result: 'fail', blocking: '2', ignored: '1', 'expired-ignores': '1', 'unused-ignores': '1' });
    expect(run.stdout).toContain('::warning file=.trivyignore.yaml,line=5,title=Expired ignore entry CVE-B::');
    expect(run.stdout).toContain('::notice file=.trivyignore.yaml,line=8,title=Unused ignore entry CVE-C::');
  });

  it('a truncated report is result=error, never pass', async () => {
    const ws = tempDir();
    writeReport(ws, 'trivy.json', readFileSync(fixture('centos-7.json.golden'), 'utf8').slice(0, 5000));
    const run = await gate({ report: 'trivy.json' }, {}, ws);
    expect(run.exitCode).toBe(1);
    expect(run.outputs['result']).toBe('error');
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^trivy\.json is not valid JSON \(the file ends early: truncated\?\): unterminated string at line \d+, column \d+$/);
  });

  it('a bad input is one line naming it, with no outputs', async () => {
    const run = await gate({ report: 'x.json', severity: 'HIGH,URGENT' });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual(["Input 'severity': 'URGENT' is not a Trivy severity (use a list of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN)"]);
    expect(run.outputs).toEqual({});
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });
});

describe('trivy-gate bundle (image mode, stand-in trivy binary in the runner tool cache, loopback DB registry)', () => {
  let registry: DbRegistry;
  let toolCache: string;
  beforeAll(async () => {
    registry = await startDbRegistry(['aquasecurity/trivy-db:2']);
    toolCache = tempDir();
    const arch = process.arch;
    const dir = join(toolCache, 'trivy', '0.72.0', arch);
    mkdirSync(dir, { recursive: true });
    copyFileSync(STAND_IN, join(dir, 'trivy'));
    writeFileSync(join(dir, 'trivy.sha256'), createHash('sha256').update(readFileSync(STAND_IN)).digest('hex') + '\n');
    writeFileSync(`${dir}.complete`, '');
  });
  afterAll(() => registry.close());

  it('scans, decides and reports the result', async () => {
    const cacheDir = tempDir();
    const callLog = join(tempDir(), 'calls.jsonl');
    const run = await gate(
      { image: 'ghcr.io/acme/api:1.0', severity: 'CRITICAL', 'db-repository': `${registry.host}/aquasecurity/trivy-db:2` },
      { RUNNER_TOOL_CACHE: toolCache, TRIVY_CACHE_DIR: cacheDir, STANDIN_TRIVY_REPORT: fixture('spring4shell-jre11.json.golden'), STANDIN_TRIVY_LOG: callLog, TRIVY_SEVERITY: 'LOW' },
    );
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.outputs).toMatchObject({ result: 'fail', blocking: '1', critical: '1' });
    expect(run.stdout).toMatch(/Trivy 0\.72\.0 found in the tool cache .* verified/);
    const calls = readFileSync(callLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; env: Record<string, string> });
    expect(calls.map((c) => c.argv[1])).toEqual(['--download-db-only', '--format']);
    expect(calls[1]?.env).toEqual({});
    expect(JSON.parse(readFileSync(run.outputs['report'] as string, 'utf8'))).toMatchObject({ ArtifactName: 'ghcr.io/acme/api:1.0' });
  });

  it("Trivy's failure is result=error", async () => {
    const run = await gate(
      { image: 'ghcr.io/acme/api:1.0', 'db-repository': `${registry.host}/aquasecurity/trivy-db:2` },
      { RUNNER_TOOL_CACHE: toolCache, TRIVY_CACHE_DIR: tempDir(), STANDIN_TRIVY_SCAN_ERROR: 'context deadline exceeded' },
    );
    expect(run.exitCode).toBe(1);
    expect(run.outputs['result']).toBe('error');
    expect(run.errors[0]).toMatch(/^Trivy could not scan ghcr\.io\/acme\/api:1\.0: .*context deadline exceeded/);
  });
});
