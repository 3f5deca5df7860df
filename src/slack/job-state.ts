/**
 * One message per deployment, kept up to date without wiring `ts` by hand: after posting, the step
 * leaves the message's channel and ts (and, for `started`, the start time) to the job's later steps
 * through GITHUB_ENV, keyed by environment. A later slack-notify step in the same job for the same
 * environment and channel then edits that message (chat.update) instead of posting another, and the
 * default message shows the deployment's duration. `update-ts: new` opts out; an explicit
 * `update-ts` (e.g. from another job's `ts` output) always wins.
 */
import { exportToLaterSteps } from '../core/env-file.js';

export interface JobMessage {
  ts?: string;
  /** Channel ID Slack answered with. */
  channel?: string;
  /** Channel as the user gave it (`#deploys`), to match a later step's `channel` input. */
  requested?: string;
  /** Epoch ms of the `started` notification. */
  startedAt?: number;
}

export function jobMessageVariable(environment: string | undefined): string {
  const key = (environment || 'default').toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'DEFAULT';
  return `SHIPLINE_SLACK_${key}`;
}

export function readJobMessage(env: Readonly<Record<string, string | undefined>>, environment: string | undefined): JobMessage {
  const raw = env[jobMessageVariable(environment)];
  if (!raw) return {};
  try {
    const value: unknown = JSON.parse(raw);
    if (!value || typeof value !== 'object') return {};
    const v = value as Record<string, unknown>;
    return {
      ...(typeof v['ts'] === 'string' && /^\d+\.\d+$/.test(v['ts']) ? { ts: v['ts'] } : {}),
      ...(typeof v['channel'] === 'string' && v['channel'] ? { channel: v['channel'] } : {}),
      ...(typeof v['requested'] === 'string' && v['requested'] ? { requested: v['requested'] } : {}),
      ...(typeof v['startedAt'] === 'number' && Number.isFinite(v['startedAt']) ? { startedAt: v['startedAt'] } : {}),
    };
  } catch {
    return {};
  }
}

/** The earlier message of this job to edit, when the channel matches. */
export function matchJobMessage(stored: JobMessage, channel: string | undefined): { channel: string; ts: string } | undefined {
  if (!stored.ts || !stored.channel || !channel) return undefined;
  const wanted = channel.replace(/^#/, '');
  if (wanted !== stored.channel && wanted !== stored.requested?.replace(/^#/, '')) return undefined;
  return { channel: stored.channel, ts: stored.ts };
}

/** Leaves `state` for the job's later steps; false outside a runner. */
export function saveJobMessage(env: Readonly<Record<string, string | undefined>>, environment: string | undefined, state: JobMessage): boolean {
  return exportToLaterSteps(env, jobMessageVariable(environment), JSON.stringify(state));
}
