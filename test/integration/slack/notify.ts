/**
 * Runs the slack-notify action in-process (the same `runAction` wrapper the bundle uses) against the
 * loopback Slack emulator, with a fake clock so retry waits are exact and instant.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { slackNotify } from '../../../src/actions/slack-notify/action.js';
import { parseFileCommands } from '../../harness/contract.js';
import type { SlackServer } from '../../helpers/slack-server.js';
import { FakeClock, GITHUB_ENV_VARS } from '../../unit/slack/fakes.js';

export interface NotifyRun {
  code: number;
  runner: MemoryRunner;
  clock: FakeClock;
  outputs: Record<string, string>;
  /** What the step left in GITHUB_ENV for later steps. */
  exported: Record<string, string>;
  errors: string[];
  warnings: string[];
}

export function eventFile(event: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'slack-event-')), 'event.json');
  writeFileSync(path, JSON.stringify(event));
  return path;
}

export async function notify(slack: SlackServer, inputs: Record<string, string>, options: { env?: Record<string, string>; clock?: FakeClock } = {}): Promise<NotifyRun> {
  const clock = options.clock ?? new FakeClock();
  const envFile = join(mkdtempSync(join(tmpdir(), 'slack-github-env-')), 'env');
  writeFileSync(envFile, '');
  const runner = new MemoryRunner(inputs, { ...GITHUB_ENV_VARS, SLACK_API_URL: slack.apiUrl, GITHUB_ENV: envFile, ...options.env });
  const code = await runAction(slackNotify, runner, { setExitCode: false, services: { clock } });
  const messages = (kind: string): string[] => runner.lines.filter((l) => l.startsWith(`::${kind}`)).map((l) => l.slice(l.indexOf('::', 2) + 2));
  return {
    code,
    runner,
    clock,
    outputs: Object.fromEntries(runner.outputs),
    exported: parseFileCommands(readFileSync(envFile, 'utf8')),
    errors: messages('error'),
    warnings: messages('warning'),
  };
}
