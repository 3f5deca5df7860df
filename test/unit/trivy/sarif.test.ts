import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { Severity } from '../../../src/trivy/finding.js';
import { decide } from '../../../src/trivy/policy.js';
import { parseReport, readReport } from '../../../src/trivy/report.js';
import { buildSarif, imageRepository, pathUri, sarifLevel, severityScore } from '../../../src/trivy/sarif.js';
import { fixture, langResult, osResult, report, vuln } from '../../helpers/trivy/reports.js';

// The OASIS SARIF 2.1.0 schema (draft-04), vendored from @microsoft/jest-sarif (see SOURCES.md).
function sarifValidator() {
  const schema = JSON.parse(readFileSync(fixture('sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;
  delete schema['$schema'];
  schema['$id'] = schema['id'];
  delete schema['id'];
  // unicodeRegExp off: the schema's language pattern has a stray ']' that the u flag rejects.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv.compile(schema);
}
const validate = sarifValidator();

const everyFinding = { severities: new Set<Severity>(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN']), ignoreUnfixed: false, rules: [], now: 0 };

describe('SARIF 2.1.0', () => {
  it("matches Trivy's own SARIF writer on the same scan (alpine-310, golden from Trivy's integration tests)", () => {
    const r = readReport(fixture('alpine-310.json.golden'));
    const { log } = buildSarif(r, r.findings);
    const golden = JSON.parse(readFileSync(fixture('alpine-310.sarif.golden'), 'utf8')) as unknown;
    expect(JSON.parse(JSON.stringify(log))).toEqual(golden);
  });

  it('the golden itself and our output validate against the SARIF 2.1.0 schema; a broken log does not', () => {
    const golden = JSON.parse(readFileSync(fixture('alpine-310.sarif.golden'), 'utf8')) as unknown;
    expect(validate(golden), JSON.stringify(validate.errors)).toBe(true);
    for (const name of ['alpine-310.json.golden', 'centos-7.json.golden', 'spring4shell-jre11.json.golden']) {
      const r = readReport(fixture(name));
      const { log } = buildSarif(r, r.findings);
      expect(validate(JSON.parse(JSON.stringify(log))), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(validate({ version: '2.1.0', runs: [{ results: [] }] })).toBe(false);
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ level: 'fatal', message: { text: 'x' } }] }] })).toBe(false);
  });

  it.each([
    ['CRITICAL', 'error', '9.5'],
    ['HIGH', 'error', '8.0'],
    ['MEDIUM', 'warning', '5.5'],
    ['LOW', 'note', '2.0'],
    ['UNKNOWN', 'note', '0.0'],
  ])('%s → level %s, security-severity %s without CVSS', (severity, level, score) => {
    expect(sarifLevel(severity)).toBe(level);
    expect(severityScore(severity)).toBe(score);
    const r = parseReport(Buffer.from(JSON.stringify(report([osResult([vuln({ Severity: severity, CVSS: undefined })])]))), 'r.json');
    const { log } = buildSarif(r, r.findings);
    const run = log.runs[0] as { results: { level: string }[]; tool: { driver: { rules: { properties: Record<string, unknown> }[] } } };
    expect(run.results[0]?.level).toBe(level);
    expect(run.tool.driver.rules[0]?.properties['security-severity']).toBe(score);
  });

  it('uses the CVSS v3 score of the severity source, with Trivy\'s property names', () => {
    const r = parseReport(
      Buffer.from(JSON.stringify(report([osResult([vuln({ Severity: 'HIGH', SeveritySource: 'redhat', CVSS: { nvd: { V3Score: 9.8 }, redhat: { V3Vector: 'CVSS:3.1/AV:N', V3Score: 7.45 } } })])]))),
      'r.json',
    );
    const props = (buildSarif(r, r.findings).log.runs[0] as { tool: { driver: { rules: { properties: Record<string, unknown> }[] } } }).tool.driver.rules[0]?.properties;
    expect(props).toEqual({ cvssv3_vector: 'CVSS:3.1/AV:N', cvssv3_baseScore: 7.45, precision: 'very-high', 'security-severity': '7.5', tags: ['vulnerability', 'security', 'HIGH'] });
  });

  it.each([
    ['ghcr.io/acme/api:1.0 (debian 12.5)', 'os-pkgs', 'acme/api'],
    ['alpine:3.19 (alpine 3.19.1)', 'os-pkgs', 'library/alpine'],
    ['localhost:5000/team/app@sha256:' + 'a'.repeat(64) + ' (ubuntu 22.04)', 'os-pkgs', 'team/app'],
    ['testdata/fixtures/images/alpine-310.tar.gz (alpine 3.10.2)', 'os-pkgs', 'testdata/fixtures/images/alpine-310.tar.gz'],
    ['Some Image.tar (alpine 3.10.2)', 'os-pkgs', 'Some Image.tar'],
    ['app/package-lock.json', 'lang-pkgs', 'app/package-lock.json'],
  ])('locations: %s (%s) → %s', (target, cls, expected) => {
    expect(pathUri(target, cls)).toBe(expected);
  });

  it('rejects references go-containerregistry would', () => {
    expect(imageRepository('UPPER/case')).toBeUndefined();
    expect(imageRepository('a:bad tag')).toBeUndefined();
  });

  it('marks baseline state and keeps the worst findings under the cap', () => {
    const vulns = Array.from({ length: 30 }, (_, i) => vuln({ VulnerabilityID: `CVE-${i}`, Severity: i % 3 === 0 ? 'CRITICAL' : 'LOW' }));
    const r = parseReport(Buffer.from(JSON.stringify(report([osResult(vulns), langResult('Java', 'jar', [vuln({ VulnerabilityID: 'CVE-J', Severity: 'HIGH', PkgPath: 'a b/x.jar' })])]))), 'r.json');
    const d = decide(r.findings, r.suppressed, everyFinding);
    const newOnes = new Set(d.counted.filter((f) => f.severity !== 'LOW'));
    const { log, results, omitted } = buildSarif(r, d.counted, { newFindings: newOnes, maxResults: 12 });
    expect([results, omitted]).toEqual([12, 19]);
    const run = log.runs[0] as { results: { ruleId: string; baselineState: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[]; properties: Record<string, unknown> };
    expect(run.results.filter((x) => x.baselineState === 'new').map((x) => x.ruleId)).toEqual(['CVE-0', 'CVE-3', 'CVE-6', 'CVE-9', 'CVE-12', 'CVE-15', 'CVE-18', 'CVE-21', 'CVE-24', 'CVE-27', 'CVE-J']);
    expect(run.results.filter((x) => x.baselineState === 'unchanged')).toHaveLength(1);
    expect(run.results.at(-1)?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('a%20b/x.jar');
    expect(run.properties['shipline-omitted-results']).toBe(19);
    expect(validate(JSON.parse(JSON.stringify(log))), JSON.stringify(validate.errors)).toBe(true);
  });
});
