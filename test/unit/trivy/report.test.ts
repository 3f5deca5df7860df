import { describe, expect, it } from 'vitest';
import { dedupKey, isUnfixed, normalizeSeverity } from '../../../src/trivy/finding.js';
import { findingDetails, parseReport, readReport, ReportError } from '../../../src/trivy/report.js';
import { fixture, langResult, osResult, report, tempDir, vuln, writeReport } from '../../helpers/trivy/reports.js';

const parse = (doc: unknown, name = 'report.json') => parseReport(Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2)), name);

describe('Trivy JSON report model', () => {
  it('reads the real alpine-310 report: 4 fixed MEDIUM findings with their fields', () => {
    const r = readReport(fixture('alpine-310.json.golden'), 'alpine.json');
    expect(r.schemaVersion).toBe(2);
    expect(r.trivyVersion).toBe('dev');
    expect(r.artifactType).toBe('container_image');
    expect(r.repoTags).toEqual(['ghcr.io/aquasecurity/trivy-test-images:alpine-310']);
    expect(r.repoDigests).toBeNull();
    expect(r.findings.map((f) => [f.id, f.pkgName, f.installed, f.fixed, f.status, f.severity])).toEqual([
      ['CVE-2019-1549', 'libcrypto1.1', '1.1.1c-r0', '1.1.1d-r0', 'fixed', 'MEDIUM'],
      ['CVE-2019-1551', 'libcrypto1.1', '1.1.1c-r0', '1.1.1d-r2', 'fixed', 'MEDIUM'],
      ['CVE-2019-1549', 'libssl1.1', '1.1.1c-r0', '1.1.1d-r0', 'fixed', 'MEDIUM'],
      ['CVE-2019-1551', 'libssl1.1', '1.1.1c-r0', '1.1.1d-r2', 'fixed', 'MEDIUM'],
    ]);
    expect(r.findings[0]?.purl).toBe('pkg:apk/alpine/libcrypto1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2');
    expect(r.findings[0]?.result).toMatchObject({ target: 'testdata/fixtures/images/alpine-310.tar.gz (alpine 3.10.2)', class: 'os-pkgs', type: 'alpine' });
    // Details come from the same bytes, on demand.
    expect(findingDetails(r, r.findings[1] as never)['Title']).toBe('openssl: Integer overflow in RSAZ modular exponentiation on x86_64');
  });

  it('reads centos-7: will_not_fix without FixedVersion is unfixed, RPM epochs are kept', () => {
    const r = readReport(fixture('centos-7.json.golden'));
    const bash = r.findings.find((f) => f.pkgName === 'bash');
    expect(bash).toMatchObject({ status: 'will_not_fix', fixed: '', severity: 'LOW' });
    expect(isUnfixed(bash as never)).toBe(true);
    expect(r.findings.filter((f) => isUnfixed(f))).toHaveLength(1);
    expect(r.findings.find((f) => f.id === 'CVE-2019-1559')?.installed).toBe('1:1.0.2k-16.el7');
  });

  it('reads spring4shell: a clean os-pkgs result, a lang-pkgs jar with PkgPath, a custom result', () => {
    const r = readReport(fixture('spring4shell-jre11.json.golden'));
    expect(r.results.map((x) => [x.class, x.type])).toEqual([
      ['os-pkgs', 'debian'],
      ['lang-pkgs', 'jar'],
      ['custom', ''],
    ]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      id: 'CVE-2022-22965',
      severity: 'CRITICAL',
      pkgPath: 'usr/local/tomcat/webapps/helloworld.war/WEB-INF/lib/spring-beans-5.3.15.jar',
      result: { target: 'Java', class: 'lang-pkgs' },
    });
  });

  it.each([
    ['Status fixed', { Status: 'fixed', FixedVersion: '1.2' }, false],
    ['Status affected even with a FixedVersion', { Status: 'affected', FixedVersion: '1.2' }, true],
    ['Status will_not_fix', { Status: 'will_not_fix', FixedVersion: undefined }, true],
    ['Status fix_deferred', { Status: 'fix_deferred', FixedVersion: undefined }, true],
    ['no Status, FixedVersion given', { Status: undefined, FixedVersion: '1.2' }, false],
    ['no Status, FixedVersion empty', { Status: undefined, FixedVersion: '' }, true],
    ['no Status, no FixedVersion', { Status: undefined, FixedVersion: undefined }, true],
    ['no Status, comma-separated FixedVersion', { Status: undefined, FixedVersion: '1.2.3, 1.3.1' }, false],
    ['no Status, FixedVersion only separators', { Status: undefined, FixedVersion: ' , ' }, true],
  ])('unfixed rule: %s → %s', (_name, fields, unfixed) => {
    const r = parse(report([osResult([vuln(fields)])]));
    expect(isUnfixed(r.findings[0] as never)).toBe(unfixed);
  });

  it.each([
    ['', 'UNKNOWN'],
    [undefined, 'UNKNOWN'],
    ['high', 'HIGH'],
    [' CRITICAL ', 'CRITICAL'],
  ])('severity %j is %s', (raw, expected) => {
    expect(normalizeSeverity(raw)).toBe(expected);
    const r = parse(report([osResult([vuln({ Severity: raw })])]));
    expect(r.findings[0]?.severity).toBe(expected);
  });

  it('counts a severity Trivy does not define as UNKNOWN and remembers it', () => {
    const r = parse(report([osResult([vuln({ Severity: 'NEGLIGIBLE' })])]));
    expect(r.findings[0]?.severity).toBe('UNKNOWN');
    expect(r.unknownSeverities).toEqual(['NEGLIGIBLE']);
  });

  it('reads several results and classes, null Vulnerabilities, a report with no Results', () => {
    const r = parse(
      report([
        osResult([vuln({ VulnerabilityID: 'CVE-1' })]),
        { Target: 'app/package-lock.json', Class: 'lang-pkgs', Type: 'npm', Vulnerabilities: null as never },
        langResult('usr/local/bin/app', 'gobinary', [vuln({ VulnerabilityID: 'CVE-2' }), vuln({ VulnerabilityID: 'CVE-3' })]),
      ]),
    );
    expect(r.findings.map((f) => `${f.result.type}:${f.id}`)).toEqual(['alpine:CVE-1', 'gobinary:CVE-2', 'gobinary:CVE-3']);
    expect(parse({ SchemaVersion: 2, ArtifactName: 'x' }).findings).toEqual([]);
  });

  it('reads ExperimentalModifiedFindings (what Trivy suppressed itself) apart from the findings', () => {
    const r = parse(
      report([
        osResult([vuln({ VulnerabilityID: 'CVE-1' })], {
          ExperimentalModifiedFindings: [
            { Type: 'vulnerability', Status: 'ignored', Statement: 'not reachable', Source: '.trivyignore.yaml', Finding: vuln({ VulnerabilityID: 'CVE-9', Severity: 'HIGH' }) },
            { Type: 'misconfiguration', Status: 'ignored', Statement: '', Source: '.trivyignore', Finding: { ID: 'AVD-1' } },
          ],
        }),
      ]),
    );
    expect(r.findings.map((f) => f.id)).toEqual(['CVE-1']);
    expect(r.suppressed).toHaveLength(1);
    expect(r.suppressed[0]).toMatchObject({ status: 'ignored', statement: 'not reachable', source: '.trivyignore.yaml', finding: { id: 'CVE-9', severity: 'HIGH' } });
    expect(findingDetails(r, r.suppressed[0]?.finding as never)['VulnerabilityID']).toBe('CVE-9');
  });

  it('keeps the de-duplication key fields (Target, ID, PkgName, InstalledVersion, PkgPath)', () => {
    const r = parse(report([langResult('Java', 'jar', [vuln({ PkgName: 'a', InstalledVersion: '1', PkgPath: 'x.jar' })])]));
    expect(dedupKey(r.findings[0] as never)).toBe(['Java', 'CVE-2019-1549', 'a', '1', 'x.jar'].join('\u0000'));
  });

  describe('malformed, truncated, empty and missing reports are errors with a clear message', () => {
    const dir = tempDir();
    const good = JSON.stringify(report([osResult([vuln(), vuln({ VulnerabilityID: 'CVE-2' })])]), null, 2);
    it.each([
      ['empty file', '', /is empty: Trivy did not write a report/],
      ['white space only', '  \n', /is empty/],
      ['truncated in the middle', good.slice(0, Math.floor(good.length / 2)), /is not valid JSON \(the file ends early: truncated\?\)/],
      ['truncated before the last brace', good.slice(0, -1), /ends early/],
      ['garbage after the document', `${good}\n{}`, /after the end of the document/],
      ['not an object', '[]', /the document is an array, not an object/],
      ['no SchemaVersion', '{"Results": []}', /has no SchemaVersion/],
      ['SchemaVersion 1', '{"SchemaVersion": 1, "Results": []}', /SchemaVersion 1 is not supported/],
      ['a SARIF file', JSON.stringify({ version: '2.1.0', runs: [] }), /has no SchemaVersion .*SARIF/],
      ['Results not an array', '{"SchemaVersion": 2, "Results": {}}', /Results must be an array, found an object/],
      ['a result without Target', '{"SchemaVersion": 2, "Results": [{"Class": "os-pkgs"}]}', /Results\[0\] has no Target/],
      ['Vulnerabilities not an array', '{"SchemaVersion": 2, "Results": [{"Target": "t", "Vulnerabilities": 3}]}', /Results\[0\]\.Vulnerabilities must be an array, found a number/],
      ['a finding without VulnerabilityID', JSON.stringify(report([osResult([vuln({ VulnerabilityID: undefined })])])), /Results\[0\]\.Vulnerabilities\[0\] has no VulnerabilityID/],
      ['a numeric PkgName', JSON.stringify(report([osResult([vuln(), vuln({ PkgName: 7 })])])), /Results\[0\]\.Vulnerabilities\[1\]\.PkgName must be a string, found a number/],
      ['a broken escape', good.replace('"CVE-2"', '"CVE-\\x2"'), /invalid escape '\\x' in a string at line \d+, column \d+/],
    ])('%s', (_name, text, message) => {
      const path = writeReport(dir, 'r.json', text);
      expect(() => readReport(path, 'r.json')).toThrow(ReportError);
      expect(() => readReport(path, 'r.json')).toThrow(message);
    });

    it('a missing file', () => {
      expect(() => readReport(`${dir}/nope.json`, 'nope.json')).toThrow(/nope\.json does not exist: the scan that should have written it did not/);
    });
    it('a directory', () => {
      expect(() => readReport(dir, 'dir')).toThrow(/is a directory/);
    });
  });
});
