/** Shared pieces of the audit integration tests: a fast clock that remembers its waits, a client on the emulator. */
import type { Clock } from '../../../src/core/index.js';
import { createGitHubClient, type GitHubClient } from '../../../src/github/client.js';
import type { GitHubEmulator } from '../../helpers/github-emulator.js';

/** Real time for `now`, but every wait is cut to at most 5 ms; `waits` keeps what was asked. */
export function fastClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => Date.now(),
    sleep: (ms) => {
      waits.push(ms);
      return new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)));
    },
  };
}

export const quietLog = (): { info: (m: string) => void; warning: (m: string) => void; debug: (m: string) => void; lines: string[] } => {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warning: (m) => lines.push(`warning: ${m}`), debug: () => {} };
};

export function clientFor(gh: GitHubEmulator, clock: Clock, log = quietLog()): Promise<GitHubClient> {
  return createGitHubClient({ token: gh.state.token, apiUrl: gh.apiUrl, clock, log, minDelayMs: 100 });
}

export const REPO = { owner: 'acme', repo: 'api' } as const;
