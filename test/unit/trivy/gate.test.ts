import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { runAction } from '../../../src/core/run.js';
import type { Clock } from '../../../src/core/index.js';
import { trivyGate } from '../../../src/actions/trivy-gate/action.js';
import { fixture, langResult, osResult, report, tempDir, vuln, writeReport } from '../../helpers/trivy/reports.js';

const NOW = Date.UTC(2026, 5, 15, 12);
const clock: Clock = { now: () => NOW, sleep: async () => {} };

async function gate(inputs: Record<string, string>, workspace: string) {
  const runner = new MemoryRunner({ severity: 'CRITICAL,HIGH', 'ignore-unfixed': 'true', mode: 'enforce', ...inputs }, { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: join(workspace, 'tmp') });
  const exitCode = await runAction(trivyGate, runner, { setExitCode: false, services: { clock } });
  const errors = runner.lines.filter((l) => l.startsWith('::error'));
  const warnings = runner.lines.filter((l) => l.startsWith('::warning'));
  const notices = runner.lines.filter((l) => l.startsWith('::notice'));
  return { exitCode, outputs: Object.fromEntries(runner.outputs), summary: runner.summary, errors, warnings, notices, log: runner.log };
}

const scan = report([
  osResult([
    vuln({ VulnerabilityID: 'CVE-2026-0001', PkgName: 'openssl', InstalledVersion: '3.0.1', FixedVersion: '3.0.2', Severity: 'CRITICAL', Status: 'fixed' }),
    vuln({ VulnerabilityID: 'CVE-2026-0002', PkgName: 'zlib', Severity: 'HIGH', Status: 'affected', FixedVersion: undefined }),
    vuln({ VulnerabilityID: 'CVE-2026-0003', PkgName: 'curl', Severity: 'MEDIUM', Status: 'fixed' }),
  ]),
  langResult('app/package-lock.json', 'npm', [vuln({ VulnerabilityID: 'GHSA-aaaa-bbbb-cccc', PkgName: 'lodash', Severity: 'HIGH', Status: 'fixed', FixedVersion: '4.17.21' })]),
]);

describe('trivy-gate run (inputs → decision → outputs, annotations, summary)', () => {
  it('fails on blocking findings, with outputs, a summary and one error line listing the worst', async () => {
    const ws = tempDir();
    writeReport(ws, 'trivy.json', scan);
    const r = await gate({ report: 'trivy.json', sarif: 'out/trivy.sarif' }, ws);
    expect(r.exitCode).toBe(1);
    expect(r.outputs).toMatchObject({ result: 'fail', blocking: '2', critical: '1', high: '1', medium: '1', low: '0', unknown: '0', ignored: '0', 'expired-ignores': '0', 'unused-ignores': '0', report: join(ws, 'trivy.json'), sarif: join(ws, 'out/trivy.sarif') });
    const findings = JSON.parse(r.outputs['findings'] as string) as { id: string; blocking: boolean }[];
    expect(findings.map((f) => [f.id, f.blocking])).toEqual([
      ['CVE-2026-0001', true],
      ['GHSA-aaaa-bbbb-cccc', true],
    ]);
    expect(r.errors).toEqual([
      '::error::2 blocking findings (1 CRITICAL, 1 HIGH): CVE-2026-0001 in openssl@3.0.1 (fixed in 3.0.2); GHSA-aaaa-bbbb-cccc in lodash@1.1.1c-r0 (fixed in 4.17.21)',
    ]);
    expect(r.summary).toContain('### ❌ Trivy gate: fail — 2 blocking findings in ghcr.io/acme/api:1.0');
    expect(r.summary).toContain('| **CRITICAL** | 1 | 1 |');
    expect(r.summary).toContain('| CRITICAL | [CVE-2026-0001](https://avd.aquasec.com/nvd/cve-2019-1549) | openssl | 3.0.1 → 3.0.2 |');
    expect(r.summary).toContain('1 without a fix (ignore-unfixed)');
    const sarif = JSON.parse(readFileSync(join(ws, 'out/trivy.sarif'), 'utf8')) as { runs: { results: { ruleId: string }[] }[] };
    expect(sarif.runs[0]?.results.map((x) => x.ruleId)).toEqual(['CVE-2026-0001', 'GHSA-aaaa-bbbb-cccc']);
  });

  it('mode: report never fails the step; result says fail', async () => {
    const ws = tempDir();
    writeReport(ws, 'trivy.json', scan);
    const r = await gate({ report: 'trivy.json', mode: 'report' }, ws);
    expect(r.exitCode).toBe(0);
    expect(r.outputs['result']).toBe('fail');
    expect(r.errors).toEqual([]);
    expect(r.warnings.some((w) => w.includes('mode: report, so the step does not fail'))).toBe(true);
    expect(r.summary).toContain('### ⚠️ Trivy gate: fail');
  });

  it('passes a clean report', async () => {
    const ws = tempDir();
    writeReport(ws, 'trivy.json', report([osResult([])]));
    const r = await gate({ report: 'trivy.json' }, ws);
    expect([r.exitCode, r.outputs['result'], r.outputs['blocking'], r.outputs['findings']]).toEqual([0, 'pass', '0', '[]']);
  });

  it('annotates expired and unused entries on their file and line; expired entries do not suppress', async () => {
    const ws = tempDir();
    writeReport(ws, 'trivy.json', scan);
    writeFileSync(join(ws, '.trivyignore.yaml'), 'vulnerabilities:\n  - id: CVE-2026-0001\n    expired_at: 2026-06-01\n  - id: GHSA-aaaa-bbbb-cccc\n    statement: dev dependency\n    expired_at: 2026-07-01\n  - id: CVE-1999-0001\n');
    const r = await gate({ report: 'trivy.json' }, ws);
    expect(r.outputs).toMatchObject({ result: 'fail', blocking: '1', ignored: '1', 'expired-ignores': '1', 'unused-ignores': '1' });
    expect(r.warnings).toContainEqual(
      '::warning file=.trivyignore.yaml,line=2,title=Expired ignore entry CVE-2026-0001::CVE-2026-0001 expired on 2026-06-01 and no longer suppresses anything: 1 finding is back, 1 blocking. Renew it with a new date and a statement, or remove it.',
    );
    expect(r.notices).toEqual(['::notice file=.trivyignore.yaml,line=7,title=Unused ignore entry CVE-1999-0001::CVE-1999-0001 matched no vulnerability in this report: the entry can probably be removed.']);
    expect(r.summary).toContain('Expired ignore entries (1)');
    expect(r.summary).toContain('| HIGH | [GHSA-aaaa-bbbb-cccc](https://avd.aquasec.com/nvd/cve-2019-1549) | lodash | .trivyignore.yaml:4 | dev dependency |');
  });

  it('uses .trivyignore when there is no YAML ignore file, and warns when both exist', async () => {
    const ws = tempDir();
    writeReport(ws, 'trivy.json', scan);
    writeFileSync(join(ws, '.trivyignore'), '# accepted\nCVE-2026-0001 exp:2026-12-31\nGHSA-aaaa-bbbb-cccc\n');
    let r = await gate({ report: 'trivy.json' }, ws);
    expect(r.outputs).toMatchObject({ result: 'pass', blocking: '0', ignored: '2' });
    writeFileSync(join(ws, '.trivyignore.yaml'), 'vulnerabilities:\n  - id: CVE-2026-0001\n');
    r = await gate({ report: 'trivy.json' }, ws);
    expect(r.outputs).toMatchObject({ result: 'fail', blocking: '1', ignored: '1' });
    expect(r.warnings).toContain('::warning::.trivyignore.yaml and .trivyignore both exist; only .trivyignore.yaml is used (set `ignore-file` to use several)');
    r = await gate({ report: 'trivy.json', 'ignore-file': '.trivyignore.yaml, .trivyignore' }, ws);
    expect(r.outputs).toMatchObject({ result: 'pass', ignored: '2', 'unused-ignores': '1' });
  });

  it('baseline: only new findings block; a missing baseline file is a warning (everything is new)', async () => {
    const ws = tempDir();
    writeReport(ws, 'trivy.json', scan);
    writeReport(ws, 'previous.json', report([langResult('app/package-lock.json', 'npm', [vuln({ VulnerabilityID: 'GHSA-aaaa-bbbb-cccc', PkgName: 'lodash', InstalledVersion: '4.17.0' })])]));
    let r = await gate({ report: 'trivy.json', baseline: 'previous.json' }, ws);
    expect(r.outputs).toMatchObject({ result: 'fail', blocking: '1', high: '1' });
    expect(JSON.parse(r.outputs['findings'] as string)).toMatchObject([{ id: 'CVE-2026-0001', new: true }, { id: 'GHSA-aaaa-bbbb-cccc', blocking: false, new: false }]);
    expect(r.summary).toContain('Already in the baseline, not blocking (1)');
    r = await gate({ report: 'trivy.json', baseline: 'gone.json' }, ws);
    expect(r.outputs['blocking']).toBe('2');
    expect(r.warnings).toContain('::warning::baseline gone.json does not exist: every finding counts as new.');
  });

  describe('a missing, empty or malformed report is result=error, never pass', () => {
    it.each([
      ['missing', null, /trivy\.json does not exist/],
      ['empty', '', /trivy\.json is empty/],
      ['truncated', JSON.stringify(scan, null, 2).slice(0, 900), /trivy\.json is not valid JSON \(the file ends early: truncated\?\)/],
      ['not Trivy JSON', '{"version": "2.1.0", "runs": []}', /has no SchemaVersion/],
    ])('%s report', async (_name, content, message) => {
      const ws = tempDir();
      if (content !== null) writeReport(ws, 'trivy.json', content);
      const r = await gate({ report: 'trivy.json' }, ws);
      expect(r.exitCode).toBe(1);
      expect(r.outputs['result']).toBe('error');
      expect(r.outputs['blocking']).toBe('');
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(message);
      expect(r.summary).toContain('⚠️ Trivy gate: error');
      const soft = await gate({ report: 'trivy.json', mode: 'report' }, ws);
      expect([soft.exitCode, soft.outputs['result']]).toEqual([0, 'error']);
      expect(soft.errors[0]).toMatch(/mode: report, so the step does not fail; result=error/);
    });
  });

  describe('bad input: one line naming the input, before any side effect', () => {
    it.each([
      [{}, "Input 'image': give either `image` (scan it with Trivy) or `report`"],
      [{ image: 'a', report: 'b' }, "Input 'report': give either `image` or `report`, not both"],
      [{ report: 'r.json', severity: 'HIGH,SEVERE' }, "Input 'severity': 'SEVERE' is not a Trivy severity"],
      [{ report: 'r.json', 'ignore-unfixed': 'maybe' }, "Input 'ignore-unfixed': expected true or false, got 'maybe'"],
      [{ report: 'r.json', mode: 'warn' }, "Input 'mode': expected one of enforce, report, got 'warn'"],
      [{ report: 'r.json', 'ignore-file': 'nope.yaml' }, "Input 'ignore-file': nope.yaml does not exist"],
      [{ report: 'r.json', 'ignore-file': 'bad.yaml' }, "Input 'ignore-file': bad.yaml:2: `vulnerabilities` must be a list"],
      [{ report: 'r.json', baseline: 'bad-baseline.json' }, "Input 'baseline': bad-baseline.json is not valid JSON"],
      [{ report: 'r.json', sarif: 'adir' }, "Input 'sarif': adir is a directory"],
      [{ image: 'ghcr.io/acme/api:1', 'trivy-version': '0.50.0' }, "Input 'trivy-version': no built-in checksum for Trivy 0.50.0"],
      [{ image: 'ghcr.io/acme/api:1', 'trivy-version': 'latest' }, "Input 'trivy-version': 'latest' is not a version"],
      [{ image: 'ghcr.io/acme/api:1', 'db-repository': 'https://ghcr.io/aquasecurity/trivy-db:2' }, "Input 'db-repository': 'https://ghcr.io/aquasecurity/trivy-db:2' is not an OCI repository"],
      [{ image: 'ghcr.io/acme/api 1' }, "Input 'image': 'ghcr.io/acme/api 1' is not an image reference"],
    ])('%j', async (inputs, message) => {
      const ws = tempDir();
      writeFileSync(join(ws, 'bad.yaml'), 'vulnerabilities:\n  id: CVE-1\n');
      writeFileSync(join(ws, 'bad-baseline.json'), '{"SchemaVersion": 2, "Results": [');
      writeReport(ws, 'r.json', scan);
      mkdirSync(join(ws, 'adir'));
      const r = await gate(inputs as Record<string, string>, ws);
      expect(r.exitCode).toBe(1);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toContain(message);
      expect(r.outputs).toEqual({});
      expect(existsSync(join(ws, 'tmp'))).toBe(false);
    });
  });

  it('reads real Trivy output end to end (spring4shell: one CRITICAL in a jar)', async () => {
    const ws = tempDir();
    const r = await gate({ report: fixture('spring4shell-jre11.json.golden') }, ws);
    expect(r.outputs).toMatchObject({ result: 'fail', blocking: '1', critical: '1' });
    expect(r.summary).toContain('Java › usr/local/tomcat/webapps/helloworld.war/WEB-INF/lib/spring-beans-5.3.15.jar');
  });
});

describe('job summary limits', () => {
  it('caps every list at 100 rows, says how many more, and stays under the step-summary limit', async () => {
    const ws = tempDir();
    const vulns = Array.from({ length: 2500 }, (_, i) => vuln({ VulnerabilityID: `CVE-2026-${String(i).padStart(5, '0')}`, Severity: 'HIGH', Status: 'fixed' }));
    writeReport(ws, 'trivy.json', report([osResult(vulns)]));
    writeFileSync(join(ws, '.trivyignore'), Array.from({ length: 300 }, (_, i) => `CVE-2026-${String(i).padStart(5, '0')} exp:2020-01-01`).join('\n'));
    const r = await gate({ report: 'trivy.json' }, ws);
    expect(r.outputs).toMatchObject({ blocking: '2500', 'expired-ignores': '300' });
    expect(r.summary).toContain('… and 2400 more');
    expect(r.summary).toContain('… and 200 more');
    expect((r.summary.match(/\| HIGH \| \[CVE-/g) ?? []).length).toBe(100);
    expect(JSON.parse(r.outputs['findings'] as string)).toHaveLength(100);
    expect(Buffer.byteLength(r.summary)).toBeLessThan(200_000);
  });
});
