import { describe, expect, it } from 'vitest';
import type { Severity } from '../../../src/trivy/finding.js';
import { parseTrivyignore, parseTrivyignoreYaml, type IgnoreRule } from '../../../src/trivy/ignore-file.js';
import { baselineKeys, decide, type PolicyOptions } from '../../../src/trivy/policy.js';
import { parseReport, type TrivyReport } from '../../../src/trivy/report.js';
import { langResult, osResult, report, vuln } from '../../helpers/trivy/reports.js';

const parse = (doc: unknown): TrivyReport => parseReport(Buffer.from(JSON.stringify(doc)), 'report.json');
const NOW = Date.UTC(2026, 5, 15, 12, 0, 0); // 2026-06-15 12:00 UTC
const opts = (over: Partial<PolicyOptions> = {}): PolicyOptions => ({
  severities: new Set<Severity>(['CRITICAL', 'HIGH']),
  ignoreUnfixed: true,
  rules: [],
  now: NOW,
  ...over,
});
const run = (r: TrivyReport, over: Partial<PolicyOptions> = {}) => decide(r.findings, r.suppressed, opts(over));
const ids = (findings: { id: string }[]) => findings.map((f) => f.id);

/** 10 findings: every severity, fixed and unfixed, OS and language packages. */
const mixed = parse(
  report([
    osResult([
      vuln({ VulnerabilityID: 'CVE-C1', PkgName: 'openssl', Severity: 'CRITICAL', Status: 'fixed', FixedVersion: '3.0.2' }),
      vuln({ VulnerabilityID: 'CVE-C2', PkgName: 'zlib', Severity: 'CRITICAL', Status: 'affected', FixedVersion: undefined }),
      vuln({ VulnerabilityID: 'CVE-H1', PkgName: 'curl', Severity: 'HIGH', Status: undefined, FixedVersion: '8.1, 7.88.1' }),
      vuln({ VulnerabilityID: 'CVE-H2', PkgName: 'bash', Severity: 'HIGH', Status: 'will_not_fix', FixedVersion: undefined }),
      vuln({ VulnerabilityID: 'CVE-M1', PkgName: 'musl', Severity: 'MEDIUM', Status: 'fixed', FixedVersion: '1.2.4' }),
      vuln({ VulnerabilityID: 'CVE-M2', PkgName: 'musl', Severity: 'MEDIUM', Status: undefined, FixedVersion: '' }),
      vuln({ VulnerabilityID: 'CVE-L1', PkgName: 'tar', Severity: 'LOW', Status: 'fixed', FixedVersion: '1.35' }),
      vuln({ VulnerabilityID: 'CVE-U1', PkgName: 'busybox', Severity: '', Status: 'fixed', FixedVersion: '1.36.1' }),
    ]),
    langResult('app/package-lock.json', 'npm', [
      vuln({ VulnerabilityID: 'GHSA-H3', PkgName: 'lodash', Severity: 'HIGH', Status: 'fixed', FixedVersion: '4.17.21', PkgIdentifier: { PURL: 'pkg:npm/lodash@4.17.20' } }),
      vuln({ VulnerabilityID: 'GHSA-C3', PkgName: 'minimist', Severity: 'CRITICAL', Status: undefined, FixedVersion: undefined, PkgIdentifier: { PURL: 'pkg:npm/minimist@0.0.8' } }),
    ]),
  ]),
);

describe('policy knobs (exact counts)', () => {
  it('defaults: CRITICAL,HIGH block, unfixed dropped', () => {
    const d = run(mixed);
    expect(d.counts).toEqual({ CRITICAL: 1, HIGH: 2, MEDIUM: 1, LOW: 1, UNKNOWN: 1 });
    expect(ids(d.blocking)).toEqual(['CVE-C1', 'CVE-H1', 'GHSA-H3']);
    expect(d.unfixed).toBe(4);
    expect(d.result).toBe('fail');
  });

  it('ignore-unfixed false: every finding counts', () => {
    const d = run(mixed, { ignoreUnfixed: false });
    expect(d.counts).toEqual({ CRITICAL: 3, HIGH: 3, MEDIUM: 2, LOW: 1, UNKNOWN: 1 });
    expect(ids(d.blocking)).toEqual(['CVE-C1', 'CVE-C2', 'GHSA-C3', 'CVE-H1', 'CVE-H2', 'GHSA-H3']);
    expect(d.unfixed).toBe(0);
  });

  it.each([
    [['CRITICAL'], ['CVE-C1']],
    [['MEDIUM'], ['CVE-M1']],
    [['LOW', 'UNKNOWN'], ['CVE-L1', 'CVE-U1']],
    [['UNKNOWN'], ['CVE-U1']],
  ])('severity %j blocks %j (counts unchanged)', (severities, blocking) => {
    const d = run(mixed, { severities: new Set(severities as Severity[]) });
    expect(ids(d.blocking)).toEqual(blocking);
    expect(d.counts).toEqual({ CRITICAL: 1, HIGH: 2, MEDIUM: 1, LOW: 1, UNKNOWN: 1 });
  });

  it('passes when nothing in the blocking severities is left', () => {
    const d = run(mixed, { severities: new Set<Severity>(['CRITICAL']), rules: parseTrivyignore('CVE-C1', '.trivyignore').rules });
    expect(d.result).toBe('pass');
    expect(d.blocking).toEqual([]);
    expect(d.counts.CRITICAL).toBe(0);
  });

  it('de-duplicates by (Target, ID, PkgName, InstalledVersion, PkgPath), keeping the greater FixedVersion', () => {
    const r = parse(
      report([
        osResult([
          vuln({ VulnerabilityID: 'CVE-D', PkgName: 'a', InstalledVersion: '1', Severity: 'HIGH', FixedVersion: '1.1', PkgID: 'a@1' }),
          vuln({ VulnerabilityID: 'CVE-D', PkgName: 'a', InstalledVersion: '1', Severity: 'HIGH', FixedVersion: '1.2', PkgID: 'a@1-other' }),
          vuln({ VulnerabilityID: 'CVE-D', PkgName: 'a', InstalledVersion: '2', Severity: 'HIGH', FixedVersion: '2.1' }),
        ]),
        langResult('Java', 'jar', [
          vuln({ VulnerabilityID: 'CVE-D', PkgName: 'a', InstalledVersion: '1', Severity: 'HIGH', FixedVersion: '1.1', PkgPath: 'x.jar' }),
          vuln({ VulnerabilityID: 'CVE-D', PkgName: 'a', InstalledVersion: '1', Severity: 'HIGH', FixedVersion: '1.1', PkgPath: 'y.jar' }),
          vuln({ VulnerabilityID: 'CVE-D', PkgName: 'a', InstalledVersion: '1', Severity: 'HIGH', FixedVersion: '1.1', PkgPath: 'y.jar' }),
        ]),
      ]),
    );
    const d = run(r);
    expect(d.counts.HIGH).toBe(4);
    expect(d.duplicates).toBe(2);
    expect(d.blocking.filter((f) => f.result.class === 'os-pkgs' && f.installed === '1').map((f) => f.fixed)).toEqual(['1.2']);
  });
});

describe('.trivyignore', () => {
  const file = ['CVE-C1', 'GHSA-H3 exp:2026-06-16', 'CVE-H1 exp:2026-06-15', 'CVE-NOT-THERE', 'CVE-M1 exp:2020-01-01'].join('\n');
  const rules = parseTrivyignore(file, '.trivyignore').rules;

  it('suppresses by ID; an entry expires once 00:00 UTC of its date has passed', () => {
    const d = run(mixed, { rules });
    // CVE-C1 ignored; GHSA-H3 ignored (expires tomorrow); CVE-H1's entry expired this morning.
    expect(ids(d.ignored.map((i) => i.finding))).toEqual(['CVE-C1', 'GHSA-H3']);
    expect(ids(d.blocking)).toEqual(['CVE-H1']);
    expect(d.counts).toEqual({ CRITICAL: 0, HIGH: 1, MEDIUM: 1, LOW: 1, UNKNOWN: 1 });
    expect(d.expired.map((e) => [e.rule.id, e.rule.line, ids(e.revived), e.revivedBlocking])).toEqual([
      ['CVE-H1', 3, ['CVE-H1'], 1],
      ['CVE-M1', 5, ['CVE-M1'], 0],
    ]);
    expect(d.unused.map((r) => [r.id, r.line])).toEqual([['CVE-NOT-THERE', 4]]);
  });

  it.each([
    ['the day before the date', Date.UTC(2026, 5, 14, 23, 59, 59), true],
    ['exactly 00:00 UTC of the date', Date.UTC(2026, 5, 15, 0, 0, 0), true],
    ['one millisecond later', Date.UTC(2026, 5, 15, 0, 0, 0, 1), false],
    ['the day after', Date.UTC(2026, 5, 16), false],
  ])('exp:2026-06-15 at %s: still suppressing = %s', (_when, now, suppressing) => {
    const d = run(mixed, { rules: parseTrivyignore('CVE-H1 exp:2026-06-15', '.trivyignore').rules, now });
    expect(ids(d.ignored.map((i) => i.finding))).toEqual(suppressing ? ['CVE-H1'] : []);
    expect(d.expired).toHaveLength(suppressing ? 0 : 1);
    expect(d.blocking.some((f) => f.id === 'CVE-H1')).toBe(!suppressing);
  });

  it('an entry matching an unfixed finding is in use (it was needed before ignore-unfixed)', () => {
    const d = run(mixed, { rules: parseTrivyignore('CVE-C2', '.trivyignore').rules });
    expect(d.unused).toEqual([]);
    expect(d.ignored).toHaveLength(1);
    expect(d.unfixed).toBe(3);
  });
});

describe('.trivyignore.yaml', () => {
  const r = parse(
    report([
      osResult([vuln({ VulnerabilityID: 'CVE-Y1', PkgName: 'openssl', Severity: 'HIGH', PkgIdentifier: { PURL: 'pkg:apk/alpine/openssl@3.0.1?arch=x86_64' } })]),
      langResult('app/package-lock.json', 'npm', [
        vuln({ VulnerabilityID: 'CVE-Y1', PkgName: 'lodash', Severity: 'HIGH', PkgIdentifier: { PURL: 'pkg:npm/lodash@4.17.20' } }),
        vuln({ VulnerabilityID: 'CVE-Y2', PkgName: 'semver', Severity: 'CRITICAL', PkgIdentifier: { PURL: 'pkg:npm/semver@5.0.0' } }),
      ]),
      langResult('Java', 'jar', [
        vuln({ VulnerabilityID: 'CVE-Y3', PkgName: 'spring-beans', Severity: 'CRITICAL', PkgPath: 'usr/local/tomcat/webapps/app.war/WEB-INF/lib/spring-beans-5.3.15.jar', PkgIdentifier: {} }),
        vuln({ VulnerabilityID: 'CVE-Y3', PkgName: 'spring-beans', Severity: 'CRITICAL', PkgPath: 'opt/other/spring-beans-5.3.15.jar', PkgIdentifier: {} }),
      ]),
    ]),
  );
  const rulesFor = async (yaml: string): Promise<IgnoreRule[]> => (await parseTrivyignoreYaml(yaml, '.trivyignore.yaml')).rules;

  it.each([
    ['id only: every target', 'vulnerabilities:\n  - id: CVE-Y1\n', ['CVE-Y1', 'CVE-Y1']],
    ['paths against the Target', 'vulnerabilities:\n  - id: CVE-Y1\n    paths: ["**/package-lock.json"]\n', ['CVE-Y1']],
    ['paths against the PkgPath', 'vulnerabilities:\n  - id: CVE-Y3\n    paths: ["usr/local/tomcat/webapps/**"]\n', ['CVE-Y3']],
    ['purls: one package', 'vulnerabilities:\n  - id: CVE-Y1\n    purls: ["pkg:npm/lodash"]\n', ['CVE-Y1']],
    ['purls with a version that differs: no match', 'vulnerabilities:\n  - id: CVE-Y1\n    purls: ["pkg:npm/lodash@4.17.21"]\n', []],
    ['purls with qualifiers', 'vulnerabilities:\n  - id: CVE-Y1\n    purls: ["pkg:apk/alpine/openssl?arch=x86_64"]\n', ['CVE-Y1']],
    ['purls do not restrict findings without a PURL', 'vulnerabilities:\n  - id: CVE-Y3\n    purls: ["pkg:npm/whatever"]\n', ['CVE-Y3', 'CVE-Y3']],
    ['paths and purls must both match', 'vulnerabilities:\n  - id: CVE-Y2\n    paths: ["Java"]\n    purls: ["pkg:npm/semver"]\n', []],
    ['the ID must match exactly (case too)', 'vulnerabilities:\n  - id: cve-y1\n', []],
  ])('%s', async (_name, yaml, ignored) => {
    const d = run(r, { rules: await rulesFor(yaml) });
    expect(ids(d.ignored.map((i) => i.finding))).toEqual(ignored);
    expect(d.counted.length + d.ignored.length).toBe(5);
    expect(d.unused).toHaveLength(ignored.length ? 0 : 1);
  });

  it('expired_at on either side of now; the statement is kept', async () => {
    const rules = await rulesFor(
      'vulnerabilities:\n  - id: CVE-Y2\n    expired_at: 2026-06-16\n    statement: waiting for upstream\n  - id: CVE-Y1\n    expired_at: 2026-06-15T11:00:00Z\n',
    );
    const d = run(r, { rules });
    expect(d.ignored.map((i) => [i.finding.id, i.rule.statement])).toEqual([['CVE-Y2', 'waiting for upstream']]);
    expect(d.expired.map((e) => [e.rule.id, e.rule.line, e.revived.length, e.revivedBlocking])).toEqual([['CVE-Y1', 5, 2, 2]]);
    expect(ids(d.blocking)).toEqual(['CVE-Y3', 'CVE-Y3', 'CVE-Y1', 'CVE-Y1']);
  });

  it('an entry used only by a finding Trivy already suppressed is not unused', async () => {
    const withSuppressed = parse(
      report([osResult([vuln({ VulnerabilityID: 'CVE-A', Severity: 'HIGH' })], { ExperimentalModifiedFindings: [{ Type: 'vulnerability', Status: 'ignored', Source: '.trivyignore.yaml', Finding: vuln({ VulnerabilityID: 'CVE-S' }) }] })]),
    );
    const d = run(withSuppressed, { rules: await rulesFor('vulnerabilities:\n  - id: CVE-S\n  - id: CVE-Z\n') });
    expect(d.unused.map((u) => u.id)).toEqual(['CVE-Z']);
    expect(d.suppressedUpstream).toHaveLength(1);
    expect([...d.ruleUse.values()]).toEqual([0, 0]);
  });
});

describe('baseline: only new findings block', () => {
  const previous = parse(
    report(
      [
        { ...osResult([vuln({ VulnerabilityID: 'CVE-C1', PkgName: 'openssl', InstalledVersion: '3.0.0' }), vuln({ VulnerabilityID: 'CVE-H1', PkgName: 'curl' })]), Target: 'ghcr.io/acme/api:0.9 (alpine 3.10.1)' },
        langResult('app/package-lock.json', 'npm', [vuln({ VulnerabilityID: 'GHSA-H3', PkgName: 'lodash' })]),
      ],
      { ArtifactName: 'ghcr.io/acme/api:0.9' },
    ),
  );
  const keys = baselineKeys(previous.findings, previous.suppressed);

  it('findings already in the baseline (other tag, other version) do not block; new ones do', () => {
    const d = run(mixed, { baseline: keys });
    expect(ids(d.known)).toEqual(['CVE-C1', 'CVE-H1', 'GHSA-H3']);
    expect(d.blocking).toEqual([]);
    expect(d.result).toBe('pass');
    const all = run(mixed, { baseline: keys, ignoreUnfixed: false });
    expect(ids(all.blocking)).toEqual(['CVE-C2', 'GHSA-C3', 'CVE-H2']);
    expect(all.counts).toEqual({ CRITICAL: 3, HIGH: 3, MEDIUM: 2, LOW: 1, UNKNOWN: 1 });
  });

  it('a language finding in another lock file is new', () => {
    const other = parse(report([langResult('web/package-lock.json', 'npm', [vuln({ VulnerabilityID: 'GHSA-H3', PkgName: 'lodash', Severity: 'HIGH' })])]));
    expect(ids(run(other, { baseline: keys }).blocking)).toEqual(['GHSA-H3']);
  });

  it('an empty baseline blocks everything', () => {
    expect(ids(run(mixed, { baseline: new Set() }).blocking)).toEqual(['CVE-C1', 'CVE-H1', 'GHSA-H3']);
  });
});
