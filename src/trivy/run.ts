/**
 * trivy-gate: get one Trivy JSON report (scan `image` with a verified Trivy, or read `report`),
 * decide in code, and report — outputs, annotations on the ignore file, job summary, SARIF.
 *
 * Verdicts are kept apart: `pass`, `fail` (blocking findings; exit 1 in `enforce` mode) and `error`
 * (the scan broke or the report is missing or malformed: never a pass; exit 1 in `enforce` mode).
 * `mode: report` never fails the step; the verdict is in `result`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ActionFailedError, ConfigurationError, formatDuration, type Services } from '../core/index.js';
import type { TrivyGateInputs } from '../actions/trivy-gate/inputs.js';
import { packageLabel, SEVERITIES, type Finding, type Severity } from './finding.js';
import type { IgnoreRule } from './ignore-file.js';
import { baselineKeys, decide, type Decision } from './policy.js';
import { readReport, ReportError, type TrivyReport } from './report.js';
import { buildSarif } from './sarif.js';
import { writeErrorSummary, writeGateSummary } from './summary.js';

/** Entries in the `findings` output. */
export const FINDINGS_OUTPUT_LIMIT = 100;

/** Scans an image and returns the path of the JSON report Trivy wrote. */
export interface ImageScanner {
  scan(image: string, inputs: TrivyGateInputs, services: Services): Promise<string>;
}

/** The scan itself failed (install, DB, Trivy's exit code): `result=error`. */
export class ScanError extends Error {
  override readonly name = 'ScanError';
}

export interface GateDeps {
  scanner?: ImageScanner;
}

export interface GateOutcome {
  result: 'pass' | 'fail' | 'error';
  decision?: Decision;
  report?: TrivyReport;
  message?: string;
}

function readBaseline(inputs: TrivyGateInputs, services: Services): Set<string> | undefined {
  if (!inputs.baseline) return undefined;
  try {
    const baseline = readReport(inputs.baseline.path, inputs.baseline.display);
    return baselineKeys(baseline.findings, baseline.suppressed);
  } catch (error) {
    if (error instanceof ReportError && /does not exist/.test(error.message)) {
      services.log.warning(`baseline ${inputs.baseline.display} does not exist: every finding counts as new.`);
      return new Set();
    }
    if (error instanceof ReportError) throw new ConfigurationError('baseline', error.message);
    throw error;
  }
}

function findingOutput(finding: Finding, blocking: boolean, baseline: boolean): Record<string, unknown> {
  return {
    id: finding.id,
    severity: finding.severity,
    package: finding.pkgName,
    installed: finding.installed,
    fixed: finding.fixed,
    ...(finding.status ? { status: finding.status } : {}),
    target: finding.result.target,
    ...(finding.pkgPath ? { path: finding.pkgPath } : {}),
    blocking,
    ...(baseline ? { new: blocking } : {}),
    ...(finding.primaryUrl ? { url: finding.primaryUrl } : {}),
  };
}

function annotateIgnoreFiles(inputs: TrivyGateInputs, decision: Decision, services: Services): void {
  const { log } = services;
  for (const file of inputs.ignoreFiles) {
    for (const w of file.warnings) log.warning(w.message, { file: w.file, line: w.line, title: 'Ignore entry skipped' });
  }
  for (const entry of decision.expired) {
    const back = entry.revived.length;
    log.warning(
      `${entry.rule.id} expired on ${entry.rule.expiresText ?? 'its date'} and no longer suppresses anything: ${back === 0 ? 'it matches no finding now' : `${back} finding${back > 1 ? 's are' : ' is'} back${entry.revivedBlocking ? `, ${entry.revivedBlocking} blocking` : ''}`}. Renew it with a new date and a statement, or remove it.`,
      { file: entry.rule.file, line: entry.rule.line, title: `Expired ignore entry ${entry.rule.id}` },
    );
  }
  for (const rule of decision.unused) {
    log.notice(`${rule.id} matched no vulnerability in this report: the entry can probably be removed.`, {
      file: rule.file,
      line: rule.line,
      title: `Unused ignore entry ${rule.id}`,
    });
  }
}

function failureMessage(decision: Decision): string {
  const by = SEVERITIES.map((s) => [s, decision.blocking.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const worst = decision.blocking
    .slice(0, 5)
    .map((f) => `${f.id} in ${packageLabel(f)}${f.fixed ? ` (fixed in ${f.fixed})` : ''}`)
    .join('; ');
  const n = decision.blocking.length;
  return `${n} blocking finding${n > 1 ? 's' : ''} (${by}): ${worst}${n > 5 ? `; and ${n - 5} more (see the job summary)` : ''}`;
}

export async function runTrivyGate(inputs: TrivyGateInputs, services: Services, deps: GateDeps = {}): Promise<GateOutcome> {
  const { log, outputs, clock } = services;
  const source = inputs.source.kind === 'image' ? inputs.source.image : inputs.source.display;
  if (inputs.ignoreFileNote) log.warning(inputs.ignoreFileNote);

  // Everything that can be a user mistake is settled before the scan: the baseline too.
  const baseline = readBaseline(inputs, services);

  let reportPath: string;
  let reportDisplay: string;
  const fail = (message: string): GateOutcome => {
    outputs.set('result', 'error');
    for (const name of ['blocking', 'critical', 'high', 'medium', 'low', 'unknown', 'ignored', 'expired-ignores', 'unused-ignores', 'sarif']) outputs.set(name, '');
    outputs.set('findings', []);
    writeErrorSummary(services.summary, message, source);
    if (inputs.mode === 'enforce') throw new ActionFailedError(message);
    log.error(`${message} (mode: report, so the step does not fail; result=error)`);
    return { result: 'error', message };
  };

  try {
    if (inputs.source.kind === 'image') {
      const scanner = deps.scanner ?? (await import('./scan.js')).defaultScanner();
      reportPath = await scanner.scan(inputs.source.image, inputs, services);
      reportDisplay = reportPath;
    } else {
      reportPath = inputs.source.path;
      reportDisplay = inputs.source.display;
    }
  } catch (error) {
    if (error instanceof ScanError) return fail(error.message);
    throw error;
  }
  outputs.set('report', reportPath);

  const started = performance.now();
  let report: TrivyReport;
  try {
    report = await log.group(`Reading ${reportDisplay}`, async () => readReport(reportPath, reportDisplay));
  } catch (error) {
    if (error instanceof ReportError) return fail(error.message);
    throw error;
  }
  const rules: IgnoreRule[] = inputs.ignoreFiles.flatMap((f) => f.rules);
  const severities = new Set<Severity>(inputs.severities);
  const decision = decide(report.findings, report.suppressed, {
    severities,
    ignoreUnfixed: inputs.ignoreUnfixed,
    rules,
    now: clock.now(),
    ...(baseline ? { baseline } : {}),
  });
  const decideMs = performance.now() - started;
  log.info(
    `Decided ${report.findings.length} findings from ${reportDisplay} (${(report.sizeBytes / 1e6).toFixed(1)} MB) in ${Math.round(decideMs)} ms: ${decision.counted.length} counted, ${decision.blocking.length} blocking.`,
  );
  if (report.unknownSeverities.length) {
    log.warning(`${reportDisplay} has severities Trivy does not define (${report.unknownSeverities.slice(0, 5).join(', ')}): counted as UNKNOWN.`);
  }

  outputs.set('result', decision.result);
  outputs.set('blocking', decision.blocking.length);
  for (const s of SEVERITIES) outputs.set(s.toLowerCase(), decision.counts[s]);
  outputs.set('ignored', decision.ignored.length + decision.suppressedUpstream.length);
  outputs.set('expired-ignores', decision.expired.length);
  outputs.set('unused-ignores', decision.unused.length);
  const relevant = decision.counted.filter((f) => severities.has(f.severity));
  const blockingSet = new Set(decision.blocking);
  const listed = [...decision.blocking, ...relevant.filter((f) => !blockingSet.has(f))].slice(0, FINDINGS_OUTPUT_LIMIT);
  outputs.set('findings', listed.map((f) => findingOutput(f, blockingSet.has(f), baseline !== undefined)));

  annotateIgnoreFiles(inputs, decision, services);

  let sarifInfo: { path: string; results: number; omitted: number } | undefined;
  if (inputs.sarif) {
    const sarif = inputs.sarif;
    sarifInfo = await log.group(`Writing SARIF ${sarif.display}`, async () => {
      const t = performance.now();
      const built = buildSarif(report, relevant, baseline ? { newFindings: blockingSet } : {});
      mkdirSync(dirname(sarif.path), { recursive: true });
      writeFileSync(sarif.path, JSON.stringify(built.log));
      log.info(`${built.results} results, ${built.rules} rules${built.omitted ? `, ${built.omitted} left out (GitHub's limit is 25,000)` : ''} in ${formatDuration(performance.now() - t)}`);
      if (built.omitted) log.warning(`SARIF holds the ${built.results} worst findings; ${built.omitted} were left out to stay within GitHub's limit of 25,000 results per run.`);
      return { path: sarif.display, results: built.results, omitted: built.omitted };
    });
    outputs.set('sarif', sarif.path);
  } else outputs.set('sarif', '');

  writeGateSummary(services.summary, {
    report,
    decision,
    mode: inputs.mode,
    severities: inputs.severities,
    ignoreUnfixed: inputs.ignoreUnfixed,
    ignoreFiles: inputs.ignoreFiles.map((f) => f.file),
    ...(inputs.baseline ? { baseline: inputs.baseline.display } : {}),
    decideMs,
    ...(sarifInfo ? { sarif: sarifInfo } : {}),
  });

  if (decision.result === 'fail') {
    const message = failureMessage(decision);
    if (inputs.mode === 'enforce') throw new ActionFailedError(message);
    log.warning(`${message} — mode: report, so the step does not fail.`);
  } else {
    const known = baseline ? `; ${decision.known.length} known from the baseline` : '';
    log.info(`✓ No blocking findings in ${report.artifactName || reportDisplay} (${decision.counted.length} counted${known}).`);
  }
  return { result: decision.result, decision, report };
}

