/**
 * smoke-test: run every check (concurrently, bounded), retry failures with backoff until `retries`
 * or the warm-up `deadline` runs out, sample latency, and report. Wall time is the slowest check, not
 * the sum.
 */
import { ActionFailedError, formatDuration, redactUrl, startProgress, type Services } from '../core/index.js';
import type { SmokeInputs } from '../actions/smoke-test/inputs.js';
import type { Check } from './check.js';
import { createDispatcher, probe, type ProbeResult } from './probe.js';
import { mapPool, percentile } from './stats.js';

export const MAX_BACKOFF_MS = 15_000;

export interface CheckResult {
  name: string;
  method: string;
  url: string;
  result: 'pass' | 'fail';
  status: number | null;
  attempts: number;
  latencyMs: number | null;
  samples: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  failures: string[];
  durationMs: number;
}

export interface SmokeReport {
  result: 'pass' | 'fail';
  passed: number;
  failed: number;
  p95Ms: number | null;
  checks: CheckResult[];
  durationMs: number;
}

const round = (n: number | undefined): number | null => (n === undefined ? null : Math.round(n));

export async function runSmokeTest(inputs: SmokeInputs, services: Services): Promise<SmokeReport> {
  const { log, clock } = services;
  const started = clock.now();
  const deadlineAt = inputs.deadlineMs !== undefined ? started + inputs.deadlineMs : undefined;
  const dispatcher = createDispatcher(inputs.insecureTls);
  if (inputs.insecureTls) log.warning('insecure-tls is true: TLS certificates are not verified for these checks.');
  const pending = new Set(inputs.checks.map((c) => c.name));
  const allSamples: number[] = [];

  const stopProgress = startProgress(log, () => {
    const elapsed = formatDuration(clock.now() - started);
    const left = deadlineAt !== undefined ? `, deadline in ${formatDuration(Math.max(0, deadlineAt - clock.now()))}` : '';
    return `… waiting on ${pending.size} of ${inputs.checks.length} checks (${[...pending].slice(0, 5).join(', ')}${pending.size > 5 ? ', …' : ''}): ${elapsed} elapsed${left}`;
  });

  const runCheck = async (check: Check): Promise<CheckResult> => {
    const checkStarted = clock.now();
    const target = `${check.method} ${redactUrl(check.url)}`;
    const sampling = inputs.samples > 1;
    let attempts = 0;
    let delay = inputs.retryDelayMs;
    let last: ProbeResult;
    for (;;) {
      attempts++;
      const remaining = deadlineAt !== undefined ? deadlineAt - clock.now() : Infinity;
      last = await probe(check, {
        timeoutMs: Math.max(250, Math.min(inputs.timeoutMs, remaining)),
        dispatcher,
        ...(inputs.bearerToken ? { bearerToken: inputs.bearerToken } : {}),
        checkLatency: !sampling,
      });
      if (last.ok) break;
      const outOfTime = deadlineAt !== undefined ? clock.now() + delay >= deadlineAt : attempts > inputs.retries;
      if (outOfTime) break;
      log.info(`  ${check.name}: attempt ${attempts} failed (${last.failures.join('; ')}); retrying in ${formatDuration(delay)}`);
      await clock.sleep(delay);
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }

    const latencies = last.ok ? [last.latencyMs] : [];
    const failures = last.ok ? [] : [...last.failures];
    if (last.ok && sampling) {
      for (let i = 2; i <= inputs.samples; i++) {
        const sample = await probe(check, {
          timeoutMs: inputs.timeoutMs,
          dispatcher,
          ...(inputs.bearerToken ? { bearerToken: inputs.bearerToken } : {}),
          checkLatency: false,
        });
        if (!sample.ok) {
          failures.push(`sample ${i}/${inputs.samples}: ${sample.failures.join('; ')}`);
          last = sample;
          break;
        }
        latencies.push(sample.latencyMs);
      }
      const p95 = percentile(latencies, 95);
      if (failures.length === 0 && check.maxLatencyMs !== undefined && p95 !== undefined && p95 > check.maxLatencyMs) {
        failures.push(`p95 ${Math.round(p95)} ms over ${latencies.length} samples, budget ${check.maxLatencyMs} ms`);
      }
    }
    allSamples.push(...latencies);
    pending.delete(check.name);
    const passed = failures.length === 0;
    const p95 = percentile(latencies, 95);
    if (passed) log.info(`✓ ${check.name}: ${target} → ${last.status} in ${Math.round(last.latencyMs)} ms${sampling ? ` (p95 ${Math.round(p95 ?? 0)} ms over ${latencies.length} samples)` : ''}, attempt ${attempts}`);
    else log.error(`✗ ${check.name}: ${target} → ${failures.join('; ')} (after ${attempts} attempt${attempts > 1 ? 's' : ''})`);
    return {
      name: check.name,
      method: check.method,
      url: redactUrl(check.url),
      result: passed ? 'pass' : 'fail',
      status: last.status ?? null,
      attempts,
      latencyMs: round(last.latencyMs),
      samples: latencies.length,
      p50Ms: round(percentile(latencies, 50)),
      p95Ms: round(p95),
      maxMs: round(latencies.length ? Math.max(...latencies) : undefined),
      failures,
      durationMs: Math.round(clock.now() - checkStarted),
    };
  };

  let checks: CheckResult[];
  try {
    checks = await log.group(`Smoke test: ${inputs.checks.length} check${inputs.checks.length > 1 ? 's' : ''}, concurrency ${inputs.concurrency}`, () =>
      mapPool(inputs.checks, inputs.concurrency, runCheck),
    );
  } finally {
    stopProgress();
    await dispatcher.close().catch(() => {});
  }

  const failed = checks.filter((c) => c.result === 'fail');
  const report: SmokeReport = {
    result: failed.length ? 'fail' : 'pass',
    passed: checks.length - failed.length,
    failed: failed.length,
    p95Ms: round(percentile(allSamples, 95)),
    checks,
    durationMs: Math.round(clock.now() - started),
  };

  const { outputs } = services;
  outputs.set('result', report.result);
  outputs.set('passed', report.passed);
  outputs.set('failed', report.failed);
  outputs.set('p95-ms', report.p95Ms ?? '');
  outputs.set('results', report.checks);
  writeSummary(report, services);

  if (failed.length) {
    const worst = failed
      .slice(0, 3)
      .map((c) => `${c.name} (${c.failures[0] ?? 'failed'})`)
      .join(', ');
    throw new ActionFailedError(`${failed.length} of ${checks.length} smoke check${checks.length > 1 ? 's' : ''} failed: ${worst}${failed.length > 3 ? ', …' : ''}`);
  }
  log.info(`All ${checks.length} smoke checks passed in ${formatDuration(report.durationMs)}.`);
  return report;
}

function writeSummary(report: SmokeReport, { summary }: Services): void {
  const icon = report.result === 'pass' ? '✅' : '❌';
  summary.heading(`${icon} Smoke test: ${report.result} — ${report.passed}/${report.checks.length} checks passed`, 3);
  summary.paragraph(`Took ${formatDuration(report.durationMs)}${report.p95Ms !== null ? ` · p95 latency ${report.p95Ms} ms` : ''}.`);
  summary.table(
    ['Check', 'Result', 'Request', 'Status', 'Attempts', 'Latency p95 (ms)', 'Detail'],
    report.checks.map((c) => [c.name, c.result === 'pass' ? '✅ pass' : '❌ fail', `${c.method} ${c.url}`, c.status, c.attempts, c.p95Ms, c.failures.join('; ')]),
  );
}
