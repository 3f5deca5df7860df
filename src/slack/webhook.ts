/**
 * Incoming webhook transport: one JSON POST per attempt, answered `ok` (200) or with Slack's error
 * string and status (api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks:
 * 400 invalid_payload, 403 action_prohibited, 404 channel_not_found, 410 channel_is_archived,
 * 500 rollup_error; docs.slack.dev/apis/web-api/rate-limits: 429 with Retry-After).
 *
 * Why not @slack/webhook: its IncomingWebhook (v8) treats every 4xx, 429 included, as final
 * (`p-retry` AbortError) and its IncomingWebhookHTTPError carries no response headers, so
 * Retry-After cannot be honoured through it — the very failure of the anchor (slackapi/
 * slack-github-action#292). The request itself is a plain fetch, so it is done here with Node's
 * built-in fetch (no extra bundle weight) and the retry policy lives in deliver.ts.
 */
import { parseRetryAfter } from '../core/retry.js';
import type { SlackMessage } from './types.js';
import { networkCode, oneLineBody, SlackDeliveryError, type DeliveryReceipt, type PostOptions, type SlackTransport } from './transport.js';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface WebhookOptions {
  url: string;
  timeoutMs: number;
  now: () => number;
  fetch?: FetchLike;
}

export class WebhookTransport implements SlackTransport {
  readonly kind = 'webhook' as const;
  readonly label = 'incoming webhook';

  constructor(private readonly options: WebhookOptions) {}

  async post(message: SlackMessage, options: PostOptions): Promise<DeliveryReceipt> {
    const body = options.threadTs ? { ...message, thread_ts: options.threadTs } : message;
    const fetchFn = this.options.fetch ?? fetch;
    let response: Response;
    let text: string;
    try {
      response = await fetchFn(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'shipline-slack-notify' },
        body: JSON.stringify(body),
        // A redirect would re-send the message somewhere the user did not configure.
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new SlackDeliveryError('network', networkCode(error));
    }
    if (response.ok) return {};
    const code = oneLineBody(text) || response.statusText || 'error';
    if (response.status === 429) {
      throw new SlackDeliveryError('rate-limited', code, 429, parseRetryAfter(response.headers.get('retry-after'), this.options.now()));
    }
    throw new SlackDeliveryError(response.status >= 500 || response.status === 408 ? 'server' : 'rejected', code, response.status);
  }
}
