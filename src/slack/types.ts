/**
 * A Slack message as both transports send it: the JSON body of an incoming webhook, or the
 * arguments of chat.postMessage / chat.update (minus channel and ts). Block Kit content is kept as
 * plain JSON: users may send any block type, and Slack is the judge of what it renders.
 */
export interface SlackMessage {
  /** Fallback and notification text (mrkdwn unless `mrkdwn: false`). */
  text?: string;
  blocks?: unknown[];
  [key: string]: unknown;
}

/** The notification statuses (SPEC: slack-notify `status`). */
export const STATUSES = ['started', 'success', 'failure', 'cancelled', 'rolled-back'] as const;
export type Status = (typeof STATUSES)[number];
