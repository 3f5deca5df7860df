/**
 * Test doubles for slack-notify: a clock that records every sleep and moves time by it (so retry
 * timing is asserted exactly, without waiting), and a runner/services pair built on MemoryRunner.
 */
import { createServices, type Clock, type Services } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';

export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public time = 1_750_000_000_000) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }
}

/** The GitHub context the runner would set for a push to main. */
export const GITHUB_ENV_VARS: Record<string, string> = {
  GITHUB_REPOSITORY: 'acme/api',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_REF_NAME: 'main',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_NUMBER: '17',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_ACTOR: 'octocat',
  GITHUB_WORKFLOW: 'Deploy',
  GITHUB_JOB: 'deploy',
  GITHUB_EVENT_NAME: 'push',
};

export function fakeServices(env: Record<string, string> = {}, clock = new FakeClock()): { runner: MemoryRunner; services: Services; clock: FakeClock } {
  const runner = new MemoryRunner({}, { ...GITHUB_ENV_VARS, ...env });
  return { runner, services: createServices(runner, { clock }), clock };
}
