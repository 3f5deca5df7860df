/**
 * The job summary of a rollout: the verdict, one row per workload, traffic switches, and — when
 * something failed — what failed, with the pod's events. A dry run shows the server-side diff.
 */
import { formatDuration, type Summary } from '../core/index.js';
import type { RolloutResult } from './options.js';

const ICON: Record<RolloutResult['result'], string> = { succeeded: '✅', 'rolled-back': '↩️', failed: '❌' };
const DIFF_CAP = 60_000;

export function writeRolloutSummary(summary: Summary, result: RolloutResult): void {
  const what = result.action === 'deploy' ? `${result.strategy} deploy` : result.action;
  summary.heading(`${ICON[result.result]} Rollout ${result.result}${result.dryRun ? ' (dry run)' : ''} — ${what}`, 3);
  summary.paragraph(`${result.message}. Took ${formatDuration(result.durationMs)}.`);
  if (result.workloads.length) {
    summary.table(
      ['Workload', 'Namespace', 'Images', 'Revision', 'Previous', 'State', 'Detail'],
      result.workloads.map((w) => [`${w.kind}/${w.name}`, w.namespace, w.images.join('\n'), w.revision, w.previousRevision, w.state, w.message]),
    );
  }
  if (result.traffic.length) {
    summary.table(
      ['Service', 'From', 'To', 'At', 'Switched back'],
      result.traffic.map((t) => [`${t.namespace}/${t.service}`, t.from ?? '(no colour)', t.to, t.switchedAt, t.switchedBack ? 'yes' : 'no']),
    );
  }
  for (const d of result.diagnostics) {
    summary.heading(`${d.reason}: ${d.workload}${d.pod ? ` — pod ${d.pod}${d.container ? `, container ${d.container}` : ''}` : ''}`, 4);
    summary.paragraph(d.message.replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;')));
    if (d.events.length) {
      summary.table(
        ['Time', 'Type', 'Reason', 'Count', 'Object', 'Message'],
        d.events.map((e) => [e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), e.type, e.reason, e.count, e.object, e.message]),
      );
    }
  }
  if (result.diff !== undefined) {
    const diff = result.diff.trim();
    if (!diff) summary.paragraph('The server-side diff is empty: applying would change nothing.');
    else
      summary.details(
        'Server-side diff (kubectl diff --server-side)',
        (inner) => inner.code(diff.length > DIFF_CAP ? `${diff.slice(0, DIFF_CAP)}\n… (${diff.length - DIFF_CAP} more characters)` : diff, 'diff'),
        true,
      );
  }
}
