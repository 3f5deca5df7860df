/**
 * The job summary: the verdict, counts by severity, the blocking findings (package, installed →
 * fixed, link), and the ignore-file bookkeeping, each list collapsible and capped.
 */
import { formatDuration, type Summary } from '../core/index.js';
import { fixedVersions, SEVERITIES, type Finding } from './finding.js';
import type { Decision } from './policy.js';
import type { TrivyReport } from './report.js';

export const SUMMARY_ROWS = 100;

export interface SummaryContext {
  report: TrivyReport;
  decision: Decision;
  mode: 'enforce' | 'report';
  severities: readonly string[];
  ignoreUnfixed: boolean;
  ignoreFiles: readonly string[];
  baseline?: string;
  decideMs: number;
  sarif?: { path: string; results: number; omitted: number };
}

function link(finding: Finding): string {
  return finding.primaryUrl ? `[${finding.id}](${finding.primaryUrl})` : finding.id;
}

function fixText(finding: Finding): string {
  const versions = fixedVersions(finding.fixed);
  if (versions.length) return versions.join(', ');
  return finding.status && finding.status !== 'fixed' ? `no fix (${finding.status.replace(/_/g, ' ')})` : 'no fix';
}

function where(finding: Finding): string {
  return finding.pkgPath ? `${finding.result.target} › ${finding.pkgPath}` : finding.result.target;
}

function findingRows(findings: readonly Finding[]): (string | number)[][] {
  return findings.slice(0, SUMMARY_ROWS).map((f) => [f.severity, link(f), f.pkgName, `${f.installed || '?'} → ${fixText(f)}`, where(f)]);
}

const FINDING_HEADERS = ['Severity', 'Vulnerability', 'Package', 'Installed → fixed', 'Target'];

function more(total: number): string {
  return total > SUMMARY_ROWS ? `… and ${total - SUMMARY_ROWS} more (see the \`findings\` output, the report and the SARIF file).` : '';
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function writeGateSummary(summary: Summary, ctx: SummaryContext): void {
  const { decision, report } = ctx;
  const icon = decision.result === 'pass' ? '✅' : ctx.mode === 'report' ? '⚠️' : '❌';
  const artifact = report.artifactName || report.file;
  summary.heading(`${icon} Trivy gate: ${decision.result} — ${plural(decision.blocking.length, 'blocking finding')} in ${artifact}`, 3);
  const facts = [
    `mode \`${ctx.mode}\`${ctx.mode === 'report' && decision.result === 'fail' ? ' (not failing the step)' : ''}`,
    `blocking severities ${ctx.severities.join(', ')}`,
    `ignore-unfixed ${ctx.ignoreUnfixed ? 'on' : 'off'}`,
    ctx.ignoreFiles.length ? `ignore file ${ctx.ignoreFiles.map((f) => `\`${f}\``).join(', ')}` : 'no ignore file',
    ...(ctx.baseline ? [`baseline \`${ctx.baseline}\` (only new findings block)`] : []),
    ...(report.trivyVersion ? [`Trivy ${report.trivyVersion}`] : []),
    `decided in ${formatDuration(ctx.decideMs)}`,
  ];
  summary.paragraph(facts.join(' · '));

  const blockingBy = new Map<string, number>();
  for (const f of decision.blocking) blockingBy.set(f.severity, (blockingBy.get(f.severity) ?? 0) + 1);
  const total = decision.counted.length;
  summary.table(
    ['Severity', 'Findings', 'Blocking'],
    [
      ...SEVERITIES.map((s) => [ctx.severities.includes(s) ? `**${s}**` : s, decision.counts[s], ctx.severities.includes(s) ? (blockingBy.get(s) ?? 0) : '–']),
      ['Total', total, decision.blocking.length],
    ],
  );
  const notCounted = [
    decision.ignored.length ? `${decision.ignored.length} ignored by the ignore file` : '',
    decision.suppressedUpstream.length ? `${decision.suppressedUpstream.length} already suppressed by Trivy` : '',
    decision.unfixed ? `${decision.unfixed} without a fix (ignore-unfixed)` : '',
    decision.duplicates ? plural(decision.duplicates, 'duplicate') : '',
    ctx.baseline ? `${decision.known.length} in a blocking severity but already in the baseline` : '',
  ].filter(Boolean);
  if (notCounted.length) summary.paragraph(`Not counted: ${notCounted.join(' · ')}.`);

  if (decision.blocking.length) {
    summary.details(
      `Blocking findings (${decision.blocking.length})`,
      (inner) => {
        inner.table(FINDING_HEADERS, findingRows(decision.blocking));
        const rest = more(decision.blocking.length);
        if (rest) inner.paragraph(rest);
      },
      decision.blocking.length <= 20,
    );
  }

  if (decision.expired.length) {
    summary.details(`Expired ignore entries (${decision.expired.length}): they no longer suppress anything`, (inner) => {
      inner.table(
        ['Entry', 'Where', 'Expired', 'Findings back', 'Of them blocking'],
        decision.expired.slice(0, SUMMARY_ROWS).map((e) => [e.rule.id, `${e.rule.file}:${e.rule.line}`, e.rule.expiresText ?? '', e.revived.length, e.revivedBlocking]),
      );
      const rest = more(decision.expired.length);
      if (rest) inner.paragraph(rest);
    }, decision.expired.length <= 20);
  }
  if (decision.unused.length) {
    summary.details(`Unused ignore entries (${decision.unused.length}): they matched no vulnerability in this report`, (inner) => {
      inner.table(
        ['Entry', 'Where', 'Statement'],
        decision.unused.slice(0, SUMMARY_ROWS).map((r) => [r.id, `${r.file}:${r.line}`, r.statement]),
      );
      const rest = more(decision.unused.length);
      if (rest) inner.paragraph(rest);
    });
  }
  if (decision.ignored.length) {
    summary.details(`Ignored findings (${decision.ignored.length})`, (inner) => {
      inner.table(
        ['Severity', 'Vulnerability', 'Package', 'Entry', 'Statement'],
        decision.ignored.slice(0, SUMMARY_ROWS).map(({ finding, rule }) => [finding.severity, link(finding), finding.pkgName, `${rule.file}:${rule.line}`, rule.statement]),
      );
      const rest = more(decision.ignored.length);
      if (rest) inner.paragraph(rest);
    });
  }
  if (decision.suppressedUpstream.length) {
    summary.details(`Suppressed by Trivy before the report was written (${decision.suppressedUpstream.length})`, (inner) => {
      inner.table(
        ['Severity', 'Vulnerability', 'Package', 'Status', 'Source', 'Statement'],
        decision.suppressedUpstream.slice(0, SUMMARY_ROWS).map((s) => [s.finding.severity, link(s.finding), s.finding.pkgName, s.status, s.source, s.statement]),
      );
      const rest = more(decision.suppressedUpstream.length);
      if (rest) inner.paragraph(rest);
    });
  }
  if (ctx.baseline && decision.known.length) {
    summary.details(`Already in the baseline, not blocking (${decision.known.length})`, (inner) => {
      inner.table(FINDING_HEADERS, findingRows(decision.known));
      const rest = more(decision.known.length);
      if (rest) inner.paragraph(rest);
    });
  }
  if (ctx.sarif) {
    summary.paragraph(
      `SARIF: \`${ctx.sarif.path}\` with ${plural(ctx.sarif.results, 'result')}${ctx.sarif.omitted ? ` (${ctx.sarif.omitted} left out: GitHub accepts at most 25,000 per run; the least severe went first)` : ''}.`,
    );
  }
}

export function writeErrorSummary(summary: Summary, message: string, source: string): void {
  summary.heading(`⚠️ Trivy gate: error — no decision for ${source}`, 3);
  summary.paragraph(message.replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;')));
  summary.paragraph('A scan that broke is not a pass: fix the scan (or the report) and run again.');
}
