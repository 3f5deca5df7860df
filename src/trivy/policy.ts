/**
 * The gate's decision, exactly as SPEC states it:
 *
 * 1. each finding is matched against the ignore file's active entries (Trivy's matching: same ID,
 *    then `paths` against the Target or the PkgPath, then `purls`); a match is `ignored`;
 * 2. otherwise, with `ignore-unfixed`, an unfixed finding (Status present and not `fixed`, or no
 *    Status and no FixedVersion) is dropped;
 * 3. what is left is de-duplicated by (Target, VulnerabilityID, PkgName, InstalledVersion, PkgPath)
 *    — of two duplicates the one with the greater FixedVersion is kept, as Trivy does — and counted
 *    by severity (an empty severity is UNKNOWN);
 * 4. `blocking` = counted findings whose severity is in `severity` and, with a baseline, whose
 *    identity (see `baselineKey`) is not in the baseline.
 *
 * Expired entries do not suppress; what they would have matched is reported as revived. Active
 * entries that matched nothing (not even a finding Trivy already suppressed) are reported as unused.
 */
import { baselineKey, compareFindings, dedupKey, isUnfixed, SEVERITIES, type Finding, type Severity } from './finding.js';
import type { IgnoreRule } from './ignore-file.js';
import { parsePurl, purlMatches, type PackageUrl } from './purl.js';
import type { SuppressedFinding } from './report.js';

export interface PolicyOptions {
  /** Blocking severities. */
  severities: ReadonlySet<Severity>;
  ignoreUnfixed: boolean;
  rules: readonly IgnoreRule[];
  /** Epoch ms: entries whose expiry is before this instant have expired. */
  now: number;
  /** Identities (baselineKey) of the findings of the baseline report. */
  baseline?: ReadonlySet<string>;
}

export interface IgnoredFinding {
  finding: Finding;
  rule: IgnoreRule;
}

export interface ExpiredEntry {
  rule: IgnoreRule;
  /** Counted findings this entry would still suppress had it not expired. */
  revived: Finding[];
  /** Of those, the ones that block. */
  revivedBlocking: number;
}

export interface Decision {
  result: 'pass' | 'fail';
  counts: Record<Severity, number>;
  /** Counted findings (after ignore file, ignore-unfixed and de-duplication), worst first. */
  counted: Finding[];
  blocking: Finding[];
  /** In a blocking severity but already in the baseline. */
  known: Finding[];
  ignored: IgnoredFinding[];
  /** Suppressed by Trivy itself before the report was written (ExperimentalModifiedFindings). */
  suppressedUpstream: SuppressedFinding[];
  unfixed: number;
  duplicates: number;
  expired: ExpiredEntry[];
  unused: IgnoreRule[];
  /** Active entries and how many findings each suppressed. */
  ruleUse: Map<IgnoreRule, number>;
}

const purlCache = new Map<string, PackageUrl | null>();

function findingPurl(finding: Finding): PackageUrl | null {
  if (finding.purl === '') return null;
  let parsed = purlCache.get(finding.purl);
  if (parsed === undefined) {
    try {
      parsed = parsePurl(finding.purl);
    } catch {
      parsed = null;
    }
    purlCache.set(finding.purl, parsed);
  }
  return parsed;
}

function pathMatches(rule: IgnoreRule, path: string): boolean {
  if (rule.pathMatchers.length === 0) return true;
  for (const matcher of rule.pathMatchers) if (matcher(path)) return true;
  return false;
}

function purlAllowed(rule: IgnoreRule, finding: Finding): boolean {
  if (rule.parsedPurls.length === 0) return true;
  // Trivy: a finding without a package URL is not restricted by `purls`. One whose PURL does not
  // parse (Trivy would have refused the report) is not matched: an unreadable PURL must not hide it.
  if (finding.purl === '') return true;
  const target = findingPurl(finding);
  if (target === null) return false;
  for (const pattern of rule.parsedPurls) if (purlMatches(pattern, target)) return true;
  return false;
}

/** Trivy's order: every entry against the Target first, then every entry against the PkgPath. */
export function matchRule(candidates: readonly IgnoreRule[] | undefined, finding: Finding): IgnoreRule | undefined {
  if (!candidates) return undefined;
  for (const path of [finding.result.target, finding.pkgPath]) {
    for (const rule of candidates) if (pathMatches(rule, path) && purlAllowed(rule, finding)) return rule;
  }
  return undefined;
}

function indexById(rules: readonly IgnoreRule[]): Map<string, IgnoreRule[]> {
  const map = new Map<string, IgnoreRule[]>();
  for (const rule of rules) {
    const list = map.get(rule.id);
    if (list) list.push(rule);
    else map.set(rule.id, [rule]);
  }
  return map;
}

export function isExpired(rule: IgnoreRule, now: number): boolean {
  return rule.expiresAt !== undefined && rule.expiresAt < now;
}

export function emptyCounts(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
}

export function decide(findings: readonly Finding[], suppressed: readonly SuppressedFinding[], options: PolicyOptions): Decision {
  const active = indexById(options.rules.filter((r) => !isExpired(r, options.now)));
  const expiredRules = options.rules.filter((r) => isExpired(r, options.now));
  const expiredById = indexById(expiredRules);
  const ruleUse = new Map<IgnoreRule, number>();
  for (const list of active.values()) for (const rule of list) ruleUse.set(rule, 0);
  const revivedKeys = new Map<IgnoreRule, Set<string>>(expiredRules.map((r) => [r, new Set<string>()]));

  const counted = new Map<string, Finding>();
  const ignored = new Map<string, IgnoredFinding>();
  const unfixed = new Set<string>();
  let duplicates = 0;

  for (const finding of findings) {
    const key = dedupKey(finding);
    const expiredCandidates = expiredById.get(finding.id);
    if (expiredCandidates) {
      for (const rule of expiredCandidates) {
        if (matchRule([rule], finding)) revivedKeys.get(rule)?.add(key);
      }
    }
    const rule = matchRule(active.get(finding.id), finding);
    if (rule) {
      if (!ignored.has(key)) {
        ignored.set(key, { finding, rule });
        ruleUse.set(rule, (ruleUse.get(rule) ?? 0) + 1);
      }
      continue;
    }
    if (options.ignoreUnfixed && isUnfixed(finding)) {
      unfixed.add(key);
      continue;
    }
    const existing = counted.get(key);
    if (existing) {
      duplicates++;
      if (existing.fixed < finding.fixed) counted.set(key, finding);
    } else counted.set(key, finding);
  }

  // Findings Trivy already suppressed still show an entry is in use (the report may have been
  // written with the same ignore file).
  for (const { finding } of suppressed) {
    const rule = matchRule(active.get(finding.id), finding);
    if (rule && (ruleUse.get(rule) ?? 0) === 0) ruleUse.set(rule, -1);
  }

  const counts = emptyCounts();
  const countedList = [...counted.values()].sort(compareFindings);
  const blocking: Finding[] = [];
  const known: Finding[] = [];
  for (const finding of countedList) {
    counts[finding.severity]++;
    if (!options.severities.has(finding.severity)) continue;
    if (options.baseline?.has(baselineKey(finding))) known.push(finding);
    else blocking.push(finding);
  }
  const blockingSet = new Set(blocking);

  const expired: ExpiredEntry[] = expiredRules.map((rule) => {
    const revived = [...(revivedKeys.get(rule) ?? [])].map((key) => counted.get(key)).filter((f): f is Finding => f !== undefined).sort(compareFindings);
    return { rule, revived, revivedBlocking: revived.filter((f) => blockingSet.has(f)).length };
  });
  const unused = [...ruleUse].filter(([, uses]) => uses === 0).map(([rule]) => rule);
  for (const [rule, uses] of ruleUse) if (uses < 0) ruleUse.set(rule, 0);

  return {
    result: blocking.length > 0 ? 'fail' : 'pass',
    counts,
    counted: countedList,
    blocking,
    known,
    ignored: [...ignored.values()].sort((a, b) => compareFindings(a.finding, b.finding)),
    suppressedUpstream: [...suppressed],
    unfixed: unfixed.size,
    duplicates,
    expired,
    unused,
    ruleUse,
  };
}

/** The identities of a baseline report's findings (reported and already suppressed alike). */
export function baselineKeys(findings: readonly Finding[], suppressed: readonly SuppressedFinding[]): Set<string> {
  const keys = new Set<string>();
  for (const finding of findings) keys.add(baselineKey(finding));
  for (const { finding } of suppressed) keys.add(baselineKey(finding));
  return keys;
}
