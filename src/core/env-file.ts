/**
 * Sets an environment variable for the *later* steps of the job, through the runner's GITHUB_ENV file
 * command (docs.github.com "Workflow commands for GitHub Actions" → "Setting an environment
 * variable"). `Services` does not carry the runner itself, so this works from `services.env`: outside
 * a runner (the CLI, unit tests with a MemoryRunner and no GITHUB_ENV) it does nothing and says so.
 *
 * Additive helper (src/core/runner.ts keeps its own copy of the heredoc format for GitHubRunner).
 */
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { EOL } from 'node:os';

/** Appends `name=value` to GITHUB_ENV; returns false when there is no GITHUB_ENV file to write. */
export function exportToLaterSteps(env: Readonly<Record<string, string | undefined>>, name: string, value: string): boolean {
  const path = env['GITHUB_ENV'];
  if (!path) return false;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name '${name}'`);
  const delimiter = `ghadelimiter_${randomUUID()}`;
  if (value.includes(delimiter)) throw new Error('delimiter collision');
  appendFileSync(path, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, 'utf8');
  return true;
}
