/**
 * SARIF 2.1.0 from the gate's filtered findings, shaped like Trivy's own SARIF writer
 * (`pkg/report/sarif.go`) so code scanning alerts keep their identity when a repository moves from
 * trivy-action to the gate: tool `Trivy`, one rule per vulnerability ID (its help and properties
 * from the last finding that used it, as Trivy's writer leaves them), levels CRITICAL/HIGH → error,
 * MEDIUM → warning, LOW/UNKNOWN → note, `security-severity` = the CVSS v3 score of the severity
 * source when there is one, else 9.5 / 8.0 / 5.5 / 2.0 / 0.0, and OS targets reduced to the image
 * repository.
 *
 * Unlike trivy-action, the file holds the same findings the gate counts in `severity` (after the
 * ignore file and ignore-unfixed), and with a baseline each result carries `baselineState`
 * (`new` / `unchanged`). GitHub accepts at most 25,000 results per run: past that, the worst are
 * kept and the run says how many were left out.
 */
import type { Finding, Severity } from './finding.js';
import { SEVERITY_RANK } from './finding.js';
import { findingDetails, type TrivyReport } from './report.js';

export const SARIF_SCHEMA_URI = 'https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json';
export const MAX_SARIF_RESULTS = 25_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface SarifOptions {
  /** With a baseline: the findings that are new (all others in `findings` are unchanged). */
  newFindings?: ReadonlySet<Finding>;
  maxResults?: number;
}

export interface SarifLog {
  version: '2.1.0';
  $schema: string;
  runs: { [key: string]: Json }[];
}

export function sarifLevel(severity: string): 'error' | 'warning' | 'note' | 'none' {
  switch (severity) {
    case 'CRITICAL':
    case 'HIGH':
      return 'error';
    case 'MEDIUM':
      return 'warning';
    case 'LOW':
    case 'UNKNOWN':
      return 'note';
    default:
      return 'none';
  }
}

export function severityScore(severity: string): string {
  switch (severity) {
    case 'CRITICAL':
      return '9.5';
    case 'HIGH':
      return '8.0';
    case 'MEDIUM':
      return '5.5';
    case 'LOW':
      return '2.0';
    default:
      return '0.0';
  }
}

function ruleName(resultClass: string): string {
  switch (resultClass) {
    case 'os-pkgs':
      return 'OsPackageVulnerability';
    case 'lang-pkgs':
      return 'LanguageSpecificPackageVulnerability';
    default:
      return 'UnknownIssue';
  }
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const REPOSITORY = /^[a-z0-9_\-./]+$/;

/**
 * The repository part of an image reference, as go-containerregistry's `ParseReference(…)
 * .Context().RepositoryStr()` gives it (registry dropped, `library/` added for Docker Hub), or
 * undefined when the text is not a reference.
 */
export function imageRepository(reference: string): string | undefined {
  let rest = reference;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (!DIGEST.test(rest.slice(at + 1))) return undefined;
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      if (!TAG.test(rest.slice(colon + 1))) return undefined;
      rest = rest.slice(0, colon);
    }
  }
  let registry = 'index.docker.io';
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  if (rest === '' || !REPOSITORY.test(rest)) return undefined;
  if ((registry === 'index.docker.io' || registry === 'docker.io') && !rest.includes('/')) rest = `library/${rest}`;
  return rest;
}

/** Trivy's `ToPathUri`: OS targets lose their `(distro version)` suffix and registry and tag. */
export function pathUri(target: string, resultClass: string): string {
  if (resultClass !== 'os-pkgs') return target;
  const match = /^(.+?)(?:\s*\(.*?\).*?)?$/s.exec(target);
  let input = match?.[1] ?? target;
  input = imageRepository(input) ?? input;
  return input.replace(/\\/g, '/');
}

/** Go's `url.Parse(s).String()` for the plain relative paths Trivy puts here. */
function uriString(path: string): string {
  return path.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (ch) => encodeURIComponent(ch));
}

interface CvssEntry {
  V2Vector?: string;
  V2Score?: number;
  V3Vector?: string;
  V3Score?: number;
  V40Vector?: string;
  V40Score?: number;
}

function cvssProperties(details: Record<string, unknown>, severity: string): { data: Record<string, Json>; score: string } {
  let score = severityScore(severity);
  const data: Record<string, Json> = {};
  const source = typeof details['SeveritySource'] === 'string' ? details['SeveritySource'] : '';
  const all = details['CVSS'];
  const cvss = all && typeof all === 'object' ? ((all as Record<string, unknown>)[source] as CvssEntry | undefined) : undefined;
  if (cvss && typeof cvss === 'object') {
    const put = (key: string, value: unknown): void => {
      if (typeof value === 'string' && value !== '') data[key] = value;
      else if (typeof value === 'number' && value !== 0) data[key] = value;
    };
    put('cvssv2_vector', cvss.V2Vector);
    put('cvssv2_score', cvss.V2Score);
    put('cvssv3_vector', cvss.V3Vector);
    put('cvssv3_baseScore', cvss.V3Score);
    put('cvssv40_vector', cvss.V40Vector);
    put('cvssv40_baseScore', cvss.V40Score);
    if (typeof cvss.V3Score === 'number' && cvss.V3Score !== 0) score = cvss.V3Score.toFixed(1);
  }
  return { data, score };
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

export interface SarifResult {
  log: SarifLog;
  results: number;
  rules: number;
  /** Findings left out to stay within GitHub's limit. */
  omitted: number;
}

export function buildSarif(report: TrivyReport, findings: readonly Finding[], options: SarifOptions = {}): SarifResult {
  const max = options.maxResults ?? MAX_SARIF_RESULTS;
  let chosen = [...findings];
  let omitted = 0;
  if (chosen.length > max) {
    const isNew = (f: Finding): number => (options.newFindings && !options.newFindings.has(f) ? 1 : 0);
    chosen.sort((a, b) => isNew(a) - isNew(b) || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.start - b.start);
    omitted = chosen.length - max;
    chosen = chosen.slice(0, max);
  }
  // Report order, as Trivy writes it.
  chosen.sort((a, b) => a.result.index - b.result.index || a.start - b.start);

  const rules: { [key: string]: Json }[] = [];
  const ruleIndex = new Map<string, number>();
  const results: { [key: string]: Json }[] = [];
  for (const finding of chosen) {
    const details = findingDetails(report, finding);
    const severity: Severity = finding.severity;
    const title = str(details['Title']);
    const description = str(details['Description']);
    const primaryUrl = finding.primaryUrl;
    const target = pathUri(finding.result.target, finding.result.class);
    const path = finding.pkgPath !== '' ? pathUri(finding.pkgPath, finding.result.class) : target;
    const { data, score } = cvssProperties(details, severity);
    const id = finding.id;
    const rule: { [key: string]: Json } = {
      id,
      name: ruleName(finding.result.class),
      shortDescription: { text: title },
      fullDescription: { text: description === '' ? title : description },
      defaultConfiguration: { level: sarifLevel(severity) },
      ...(primaryUrl !== '' ? { helpUri: primaryUrl } : {}),
      help: {
        text: `Vulnerability ${id}\nSeverity: ${severity}\nPackage: ${finding.pkgName}\nFixed Version: ${finding.fixed}\nLink: [${id}](${primaryUrl})\n${description}`,
        markdown: `**Vulnerability ${id}**\n| Severity | Package | Fixed Version | Link |\n| --- | --- | --- | --- |\n|${severity}|${finding.pkgName}|${finding.fixed}|[${id}](${primaryUrl})|\n\n${description}`,
      },
      properties: { ...data, precision: 'very-high', 'security-severity': score, tags: ['vulnerability', 'security', severity] },
    };
    let index = ruleIndex.get(id);
    if (index === undefined) {
      index = rules.length;
      ruleIndex.set(id, index);
      rules.push(rule);
    } else {
      // Trivy's writer updates the rule in place: the last finding with this ID describes it.
      const previous = rules[index] as { [key: string]: Json };
      if (primaryUrl === '' && previous['helpUri'] !== undefined) rule['helpUri'] = previous['helpUri'];
      rules[index] = rule;
    }
    const result: { [key: string]: Json } = {
      ruleId: id,
      ruleIndex: index,
      level: sarifLevel(severity),
      message: {
        text: `Package: ${finding.pkgName}\nInstalled Version: ${finding.installed}\nVulnerability ${id}\nSeverity: ${severity}\nFixed Version: ${finding.fixed}\nLink: [${id}](${primaryUrl})`,
      },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: uriString(path), uriBaseId: 'ROOTPATH' },
            region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
          },
          message: { text: `${path}: ${finding.pkgName}@${finding.installed}` },
        },
      ],
    };
    if (options.newFindings) result['baselineState'] = options.newFindings.has(finding) ? 'new' : 'unchanged';
    results.push(result);
  }

  const run: { [key: string]: Json } = {
    tool: {
      driver: {
        fullName: 'Trivy Vulnerability Scanner',
        informationUri: 'https://github.com/aquasecurity/trivy',
        name: 'Trivy',
        rules,
        ...(report.trivyVersion ? { version: report.trivyVersion } : {}),
      },
    },
    results,
    columnKind: 'utf16CodeUnits',
  };
  const properties: { [key: string]: Json } = {};
  if (report.artifactType === 'container_image') {
    properties['imageName'] = report.artifactName;
    properties['repoTags'] = report.repoTags.length ? report.repoTags : null;
    properties['repoDigests'] = report.repoDigests;
    properties['imageID'] = report.imageId;
  }
  if (omitted > 0) properties['shipline-omitted-results'] = omitted;
  if (Object.keys(properties).length) run['properties'] = properties;
  return { log: { version: '2.1.0', $schema: SARIF_SCHEMA_URI, runs: [run] }, results: results.length, rules: rules.length, omitted };
}
