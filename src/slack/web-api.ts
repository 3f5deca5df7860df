/**
 * Web API transport (bot token): chat.postMessage and chat.update through Slack's own SDK,
 * @slack/web-api's WebClient.
 *
 * Why the SDK fits here (and @slack/webhook does not, see webhook.ts): WebClient v8 is built on
 * fetch (no axios), takes `slackApiUrl` (so tests point it at the loopback emulator through
 * SLACK_API_URL), and with `retryConfig: { retries: 0 }` plus `rejectRateLimitedCalls: true` it
 * makes exactly one request per call and hands a 429 back as WebAPIRateLimitedError with the
 * Retry-After seconds — so the one retry loop (deliver.ts) owns every wait, on the injected clock,
 * instead of the SDK sleeping on a real timer. It is ~65 KiB bundled and is imported only when a
 * bot token is used, after the inputs are read (cold-start budget).
 *
 * Slack's Web API answers HTTP 200 with `{ ok: false, error }` for most failures and 429 +
 * Retry-After with `ratelimited` (docs.slack.dev/apis/web-api/rate-limits,
 * docs.slack.dev/reference/methods/chat.postMessage → Errors).
 */
import { LogLevel, WebClient, type Logger as SlackLogger, type WebAPICallResult } from '@slack/web-api';
import type { SlackMessage } from './types.js';
import { networkCode, oneLineBody, SlackDeliveryError, type DeliveryReceipt, type PostOptions, type SlackTransport } from './transport.js';

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

/** `{ ok: false }` errors worth another attempt: Slack documents them as transient. */
const TRANSIENT_ERRORS = new Set(['ratelimited', 'rate_limited', 'internal_error', 'service_unavailable']);

export interface WebApiOptions {
  token: string;
  apiUrl: string;
  timeoutMs: number;
  /** Where the SDK's own log lines go (debug only: they never carry the token, which is masked anyway). */
  debug: (line: string) => void;
}

function bridgeLogger(debug: (line: string) => void): SlackLogger {
  let level = LogLevel.DEBUG;
  const write = (...parts: unknown[]): void => debug(`@slack/web-api: ${parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ')}`);
  return { debug: write, info: write, warn: write, error: write, setLevel: (l) => void (level = l), getLevel: () => level, setName: () => {} };
}

interface SdkError {
  code?: string;
  message?: string;
  retryAfter?: number;
  statusCode?: number;
  body?: unknown;
  data?: { error?: string; response_metadata?: { retryAfter?: number } };
  original?: unknown;
}

/** Turns what WebClient throws into a SlackDeliveryError (by the SDK's documented `code`s). */
export function describeSdkError(error: unknown): SlackDeliveryError {
  const e = (error ?? {}) as SdkError;
  switch (e.code) {
    case 'slack_webapi_rate_limited_error':
      return new SlackDeliveryError('rate-limited', 'ratelimited', 429, typeof e.retryAfter === 'number' ? e.retryAfter * 1000 : undefined);
    case 'slack_webapi_platform_error': {
      const code = e.data?.error ?? 'unknown_error';
      const retryAfter = e.data?.response_metadata?.retryAfter;
      if (code === 'ratelimited' || code === 'rate_limited') return new SlackDeliveryError('rate-limited', code, undefined, retryAfter !== undefined ? retryAfter * 1000 : undefined);
      return new SlackDeliveryError(TRANSIENT_ERRORS.has(code) ? 'server' : 'rejected', code);
    }
    case 'slack_webapi_http_error': {
      const status = e.statusCode ?? 0;
      // The SDK parses a JSON body ({ ok: false, error }) and keeps any other body as text.
      const error = e.body && typeof e.body === 'object' ? (e.body as { error?: unknown }).error : undefined;
      const body = typeof error === 'string' ? error : typeof e.body === 'string' ? oneLineBody(e.body) : '';
      return new SlackDeliveryError(status >= 500 || status === 408 ? 'server' : 'rejected', body || 'http_error', status);
    }
    case 'slack_webapi_request_error':
      return new SlackDeliveryError('network', networkCode(e.original ?? error));
    default:
      // A 429 whose Retry-After is missing or unreadable: the SDK gives up with a plain Error; we back off.
      if (typeof e.message === 'string' && e.message.startsWith('Retry header did not contain a valid timeout')) {
        return new SlackDeliveryError('rate-limited', 'ratelimited', 429);
      }
      return new SlackDeliveryError('network', networkCode(error));
  }
}

export class WebApiTransport implements SlackTransport {
  readonly kind = 'bot' as const;
  readonly label = 'Web API (bot token)';
  private readonly client: WebClient;

  constructor(options: WebApiOptions) {
    this.client = new WebClient(options.token, {
      slackApiUrl: options.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: options.timeoutMs,
      logger: bridgeLogger(options.debug),
      // Method names are never URLs here; keep every request on slackApiUrl.
      allowAbsoluteUrls: false,
    });
  }

  private async call(method: string, args: Record<string, unknown>): Promise<DeliveryReceipt> {
    let result: WebAPICallResult & { ts?: unknown; channel?: unknown };
    try {
      result = await this.client.apiCall(method, args);
    } catch (error) {
      throw describeSdkError(error);
    }
    const ts = typeof result.ts === 'string' ? result.ts : undefined;
    const channel = typeof result.channel === 'string' ? result.channel : undefined;
    return { ...(ts ? { ts } : {}), ...(channel ? { channel } : {}) };
  }

  post(message: SlackMessage, options: PostOptions): Promise<DeliveryReceipt> {
    return this.call('chat.postMessage', { ...message, channel: options.channel, ...(options.threadTs ? { thread_ts: options.threadTs } : {}) });
  }

  update(message: SlackMessage, target: { channel: string; ts: string }): Promise<DeliveryReceipt> {
    // chat.update takes no thread or unfurl options; drop what only postMessage understands.
    const { unfurl_links: _ul, unfurl_media: _um, thread_ts: _t, reply_broadcast: _rb, ...rest } = message;
    return this.call('chat.update', { ...rest, channel: target.channel, ts: target.ts });
  }
}
