/**
 * A vulnerability finding as the gate sees it: the handful of fields decisions need, plus the byte
 * range of the whole finding in the report (for details read later, only for what is shown).
 */

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Rank for sorting, worst first (CRITICAL = 0). */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3, UNKNOWN: 4 };

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** Trivy's rule: an empty severity is UNKNOWN. Case is forgiven; anything else is reported by the caller. */
export function normalizeSeverity(raw: string | undefined): Severity | undefined {
  const value = (raw ?? '').trim().toUpperCase();
  if (value === '') return 'UNKNOWN';
  return isSeverity(value) ? value : undefined;
}

/** One Result of the report (a scanned target: the OS packages, a lock file, a jar…). */
export interface ResultInfo {
  target: string;
  /** `os-pkgs`, `lang-pkgs`, `custom`… ('' when absent). */
  class: string;
  /** `debian`, `jar`, `npm`… ('' when absent). */
  type: string;
  index: number;
}

export interface Finding {
  result: ResultInfo;
  id: string;
  pkgName: string;
  pkgId: string;
  pkgPath: string;
  /** PkgIdentifier.PURL as written ('' when absent). */
  purl: string;
  installed: string;
  /** As written: may list several versions separated by commas. */
  fixed: string;
  /** '' when the report has no Status for this finding. */
  status: string;
  severity: Severity;
  /** Severity as written, when it was not one of Trivy's five (it then counts as UNKNOWN). */
  unknownSeverity?: string;
  primaryUrl: string;
  /** Byte range of the finding's JSON object in the report. */
  start: number;
  end: number;
}

/** The versions listed in FixedVersion ("1.2.3, 1.3.1" → two). */
export function fixedVersions(fixed: string): string[] {
  return fixed
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/**
 * SPEC: a finding is unfixed when its Status is present and not `fixed`, or, with no Status, when
 * FixedVersion is empty.
 */
export function isUnfixed(finding: Pick<Finding, 'status' | 'fixed'>): boolean {
  if (finding.status !== '') return finding.status.toLowerCase() !== 'fixed';
  return fixedVersions(finding.fixed).length === 0;
}

/** SPEC de-duplication key: (Target, VulnerabilityID, PkgName, InstalledVersion, PkgPath). */
export function dedupKey(finding: Finding): string {
  return `${finding.result.target}\u0000${finding.id}\u0000${finding.pkgName}\u0000${finding.installed}\u0000${finding.pkgPath}`;
}

/**
 * The identity of a finding across two scans of different builds: the image name and tag in an OS
 * target (`ghcr.io/acme/api:sha-1 (debian 12.5)`) and the installed version change from build to
 * build, so OS findings are keyed by class and distribution type, language findings by their target
 * (a lock file, `Java`, a binary), and neither by version: a package upgraded but still vulnerable
 * to the same advisory is not a new finding.
 */
export function baselineKey(finding: Finding): string {
  const where = finding.result.class === 'os-pkgs' ? `os-pkgs:${finding.result.type}` : finding.result.target;
  return `${where}\u0000${finding.id}\u0000${finding.pkgName}\u0000${finding.pkgPath}`;
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) ||
    (a.pkgName < b.pkgName ? -1 : a.pkgName > b.pkgName ? 1 : 0) ||
    (a.result.target < b.result.target ? -1 : a.result.target > b.result.target ? 1 : 0) ||
    (a.pkgPath < b.pkgPath ? -1 : a.pkgPath > b.pkgPath ? 1 : 0)
  );
}

/** `openssl@1.1.1c-r0` style label for logs. */
export function packageLabel(finding: Finding): string {
  return finding.installed ? `${finding.pkgName}@${finding.installed}` : finding.pkgName;
}
