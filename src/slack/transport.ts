/**
 * What a transport (incoming webhook, or the Web API with a bot token) does, and how a failed
 * attempt is described so the retry loop can decide: wait what Slack asked (429 Retry-After), back
 * off (5xx, network), or stop (anything Slack rejected on purpose).
 */
import type { SlackMessage } from './types.js';

export interface DeliveryReceipt {
  /** Message timestamp (Web API only: webhooks return just `ok`). */
  ts?: string;
  /** Channel ID (Web API only). */
  channel?: string;
}

export interface PostOptions {
  channel?: string;
  threadTs?: string;
}

export interface SlackTransport {
  readonly kind: 'webhook' | 'bot';
  /** For logs: never contains the webhook URL or the token. */
  readonly label: string;
  post(message: SlackMessage, options: PostOptions): Promise<DeliveryReceipt>;
  /** chat.update; webhooks cannot edit messages. */
  update?(message: SlackMessage, target: { channel: string; ts: string }): Promise<DeliveryReceipt>;
}

export type FailureKind =
  /** 429: wait `retryAfterMs` (or back off when Slack gave no usable Retry-After). */
  | 'rate-limited'
  /** 5xx, or a Web API error Slack documents as transient: back off. */
  | 'server'
  /** No answer: refused, reset, timed out. Back off. */
  | 'network'
  /** Slack said no on purpose (bad channel, archived, revoked, invalid blocks): retrying cannot help. */
  | 'rejected';

export class SlackDeliveryError extends Error {
  override readonly name = 'SlackDeliveryError';
  constructor(
    readonly kind: FailureKind,
    /** Slack's error string (`channel_not_found`, `ratelimited`, `rollup_error`) or the network error code. */
    readonly code: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(`${status ? `HTTP ${status} ` : ''}${code}`);
  }

  get retryable(): boolean {
    return this.kind !== 'rejected';
  }
}

/** Describes a fetch/undici network failure by its code (`ECONNREFUSED`, `UND_ERR_SOCKET`, timeout). */
export function networkCode(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') return 'timeout';
  if (e?.name === 'AbortError') return 'aborted';
  const code = e?.cause?.code ?? e?.code;
  const message = e?.cause?.message ?? e?.message ?? String(error);
  return code ? `${code}${message && !message.includes(code) ? ` (${message})` : ''}` : message;
}

export function oneLineBody(body: string, max = 200): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
