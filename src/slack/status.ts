/**
 * Notification status: what each one looks like, how `job-status` (`${{ job.status }}`) maps to one,
 * and who gets mentioned when a deployment went wrong.
 */
import { STATUSES, type Status } from './types.js';

export { STATUSES, type Status };

export interface StatusStyle {
  emoji: string;
  /** Verb phrase for the default title, given the repository and environment. */
  title(repository: string, environment: string | undefined): string;
  /** Mentions from `mention-on-failure` apply. */
  mention: boolean;
}

const to = (environment: string | undefined): string => (environment ? ` to ${environment}` : '');
const of = (repository: string, environment: string | undefined): string => `Deployment${repository ? ` of ${repository}` : ''}${to(environment)}`;

export const STATUS_STYLE: Record<Status, StatusStyle> = {
  started: { emoji: '🚀', title: (r, e) => (r ? `Deploying ${r}${to(e)}` : `${of(r, e)} started`), mention: false },
  success: { emoji: '✅', title: (r, e) => (r ? `Deployed ${r}${to(e)}` : `${of(r, e)} succeeded`), mention: false },
  failure: { emoji: '❌', title: (r, e) => `${of(r, e)} failed`, mention: true },
  cancelled: { emoji: '⚪', title: (r, e) => `${of(r, e)} cancelled`, mention: false },
  'rolled-back': { emoji: '↩️', title: (r, e) => `${of(r, e)} rolled back`, mention: true },
};

/** `${{ job.status }}` is success, failure or cancelled (docs.github.com contexts → job context). */
export function statusFromJobStatus(jobStatus: string): Status | undefined {
  switch (jobStatus.trim().toLowerCase()) {
    case 'success':
      return 'success';
    case 'failure':
      return 'failure';
    case 'cancelled':
      return 'cancelled';
    default:
      return undefined;
  }
}

/**
 * One `mention-on-failure` entry as Slack mrkdwn (docs.slack.dev/messaging/formatting-message-text
 * → "Mentioning users/groups", "Special mentions"), or undefined when it is not one.
 *   here | @here | channel | @channel | everyone  → <!here> …
 *   U0123ABCD | W0123ABCD | <@U0123ABCD>          → <@U0123ABCD>
 *   S0123ABCD | <!subteam^S0123ABCD>              → <!subteam^S0123ABCD>
 */
export function parseMention(entry: string): string | undefined {
  const value = entry.trim();
  const special = /^[@!]?(here|channel|everyone)$/i.exec(value) ?? /^<!(here|channel|everyone)>$/i.exec(value);
  if (special) return `<!${(special[1] as string).toLowerCase()}>`;
  const user = /^(?:<@)?([UW][A-Z0-9]{2,})>?$/.exec(value);
  if (user && (value.startsWith('<@') === value.endsWith('>'))) return `<@${user[1]}>`;
  const group = /^(?:<!subteam\^)?(S[A-Z0-9]{2,})>?$/.exec(value);
  if (group && (value.startsWith('<!subteam^') === value.endsWith('>'))) return `<!subteam^${group[1]}>`;
  return undefined;
}
