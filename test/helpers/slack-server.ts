/**
 * A Slack-compatible server on a free loopback port — an emulator, since Slack itself cannot be
 * reached here. It answers the way Slack documents, records every request and every message it
 * accepted, and can be scripted to fail (429 with Retry-After, 5xx, dropped connections, delays).
 * Reused by the pipeline rehearsal: `startSlackServer(options)` → `{ webhookUrl, apiUrl, messages,
 * stop(), script(...) }`.
 *
 * What it follows, and where Slack says so:
 * - Incoming webhooks — api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks:
 *   200 `ok`; 400 `invalid_payload` (body not understood) and `user_not_found`; 403
 *   `action_prohibited`; 404 `channel_not_found`; 410 `channel_is_archived`; 500 `rollup_error`.
 *   A revoked or unknown webhook answers `no_service` / `no_team` (strings seen in the field, e.g.
 *   slackapi/slack-github-action#249); the emulator gives them 403 as this project's issue 7 lists
 *   them — clients must treat every non-429 4xx as final, and shipline does, so the exact code does
 *   not change behaviour. Webhooks accept `application/json` or a form field `payload=<json>`
 *   (docs.slack.dev/messaging/sending-messages-using-incoming-webhooks).
 * - Rate limits — docs.slack.dev/apis/web-api/rate-limits: HTTP 429 with a `Retry-After` header (seconds);
 *   the Web API body is `{ "ok": false, "error": "ratelimited" }`; incoming webhooks are limited too
 *   (about one message per second per channel, short bursts allowed).
 * - Web API — docs.slack.dev/apis/web-api: POST to `https://slack.com/api/<method>` with
 *   `application/x-www-form-urlencoded` (what @slack/web-api sends; JSON-valued arguments such as
 *   `blocks` as JSON strings) or `application/json`, token as `Authorization: Bearer` (or a `token`
 *   field); HTTP 200 with `{ ok: false, error }` for errors: `not_authed`, `invalid_auth`,
 *   `unknown_method`. docs.slack.dev/reference/methods/chat.postMessage: `channel_not_found`,
 *   `is_archived`, `not_in_channel`, `no_text`, `invalid_blocks`, `invalid_blocks_format`,
 *   `msg_too_long` (text over 40,000 characters); answers `{ ok, channel, ts, message }`.
 *   docs.slack.dev/reference/methods/chat.update: needs the channel ID, `message_not_found`,
 *   `cant_update_message`; answers `{ ok, channel, ts, text, message }`.
 * - Block Kit limits — docs.slack.dev/reference/block-kit/blocks/{header,section,context}-block:
 *   50 blocks per message; header text (plain_text) ≤ 150; section text ≤ 3000; section fields ≤ 10,
 *   each ≤ 2000; context elements ≤ 10. A message over a limit is rejected (`invalid_blocks`), as
 *   Slack does, so a test can tell a message that was cut to fit from one that was not.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackChannel {
  id: string;
  name: string;
  archived?: boolean;
  /** The bot is a member (default true); false answers `not_in_channel`. */
  member?: boolean;
}

export interface SlackServerOptions {
  channels?: SlackChannel[];
  /** The valid bot token (default: a random xoxb- token). */
  token?: string;
  /** Channel name the default webhook posts to (default `deploys`). */
  webhookChannel?: string;
}

export type SlackRoute = 'webhook' | 'chat.postMessage' | 'chat.update' | 'api' | '*';

export interface RecordedSlackRequest {
  route: 'webhook' | 'api';
  /** The Web API method, or `webhook`. */
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the request arrived. */
  at: number;
  status: number;
  response: string;
}

export interface SlackMessageRecord {
  via: 'webhook' | 'api';
  channel: string;
  ts: string;
  threadTs?: string;
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  /** The message as last posted or updated (parsed), minus token and channel. */
  payload: Record<string, unknown>;
  /** Earlier versions, before each chat.update. */
  history: Record<string, unknown>[];
  postedAt: number;
}

export interface ScriptedResponse {
  /** Which requests this answers (default `*`). */
  route?: SlackRoute;
  status?: number;
  /** Default: Slack's own answer for the status (`rate_limited`/`ratelimited` for 429, `rollup_error` for 500). */
  body?: string | Record<string, unknown>;
  /** Sent as the Retry-After header. */
  retryAfter?: number | string;
  headers?: Record<string, string>;
  /** Close the connection without answering (a network error). */
  drop?: boolean;
  /** Wait this long, then answer (scripted or normal). */
  delayMs?: number;
  /** How many matching requests this answers (default 1). */
  times?: number;
}

export interface SlackServer {
  url: string;
  /** The default incoming webhook (posts to `webhookChannel`). */
  webhookUrl: string;
  /** Base URL for the Web API, ending in `/api/` (WebClient's `slackApiUrl`, shipline's SLACK_API_URL). */
  apiUrl: string;
  token: string;
  messages: SlackMessageRecord[];
  requests: RecordedSlackRequest[];
  channels: SlackChannel[];
  /** A new incoming webhook posting to `channelName` (which need not exist: then 404 channel_not_found). */
  addWebhook(channelName: string): string;
  /** Queues scripted answers; each is used by the next matching request(s), in order. */
  script(...responses: ScriptedResponse[]): void;
  /** Scripted answers not used yet. */
  pendingScripts(): number;
  message(ts: string): SlackMessageRecord | undefined;
  /** Forgets messages, requests and scripts. */
  reset(): void;
  stop(): Promise<void>;
}

export const DEFAULT_CHANNELS: SlackChannel[] = [
  { id: 'C0DEPLOYS1', name: 'deploys' },
  { id: 'C0ARCHIVE1', name: 'old-deploys', archived: true },
  { id: 'C0PRIVATE1', name: 'private-ops', member: false },
];

export const LIMITS = { blocks: 50, header: 150, sectionText: 3000, fields: 10, fieldText: 2000, contextElements: 10, messageText: 40_000 };

const TEAM = 'T0SHIPLINE';

/** Why Slack would reject these blocks, or undefined. */
export function blocksProblem(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return 'blocks is not a list';
  if (blocks.length > LIMITS.blocks) return `${blocks.length} blocks (max ${LIMITS.blocks})`;
  for (const [i, block] of blocks.entries()) {
    if (!block || typeof block !== 'object') return `block ${i} is not an object`;
    const b = block as Record<string, unknown>;
    if (typeof b['type'] !== 'string') return `block ${i} has no type`;
    const text = (o: unknown): string | undefined => (o && typeof o === 'object' && typeof (o as { text?: unknown }).text === 'string' ? (o as { text: string }).text : undefined);
    if (b['type'] === 'header') {
      const t = text(b['text']);
      if (t === undefined || (b['text'] as { type?: string }).type !== 'plain_text') return `block ${i}: header text must be plain_text`;
      if (t.length > LIMITS.header) return `block ${i}: header text ${t.length} > ${LIMITS.header}`;
    }
    if (b['type'] === 'section') {
      const t = text(b['text']);
      const fields = b['fields'];
      if (t === undefined && !Array.isArray(fields)) return `block ${i}: section needs text or fields`;
      if (t !== undefined && t.length > LIMITS.sectionText) return `block ${i}: section text ${t.length} > ${LIMITS.sectionText}`;
      if (Array.isArray(fields)) {
        if (fields.length > LIMITS.fields) return `block ${i}: ${fields.length} fields > ${LIMITS.fields}`;
        for (const f of fields) if ((text(f) ?? '').length > LIMITS.fieldText) return `block ${i}: field text > ${LIMITS.fieldText}`;
      }
    }
    if (b['type'] === 'context') {
      const elements = b['elements'];
      if (!Array.isArray(elements) || elements.length === 0) return `block ${i}: context needs elements`;
      if (elements.length > LIMITS.contextElements) return `block ${i}: ${elements.length} context elements > ${LIMITS.contextElements}`;
    }
  }
  return undefined;
}

function parseForm(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

export async function startSlackServer(options: SlackServerOptions = {}): Promise<SlackServer> {
  const channels = (options.channels ?? DEFAULT_CHANNELS).map((c) => ({ ...c }));
  const token = options.token ?? `xoxb-${randomBytes(6).toString('hex')}-${randomBytes(12).toString('hex')}`;
  const webhooks = new Map<string, string>(); // path → channel name
  let scripts: (ScriptedResponse & { left: number })[] = [];
  let tsCounter = 0;
  const tsBase = Math.floor(Date.now() / 1000);
  const nextTs = (): string => `${tsBase}.${String(++tsCounter).padStart(6, '0')}`;

  const server: SlackServer = {
    url: '',
    webhookUrl: '',
    apiUrl: '',
    token,
    messages: [],
    requests: [],
    channels,
    addWebhook: (channelName) => {
      const path = `/services/${TEAM}/B${randomBytes(5).toString('hex').toUpperCase()}/${randomBytes(12).toString('base64url')}`;
      webhooks.set(path, channelName.replace(/^#/, ''));
      return `${server.url}${path}`;
    },
    script: (...responses) => {
      scripts.push(...responses.map((r) => ({ ...r, left: r.times ?? 1 })));
    },
    pendingScripts: () => scripts.reduce((n, s) => n + s.left, 0),
    message: (ts) => server.messages.find((m) => m.ts === ts),
    reset: () => {
      server.messages.length = 0;
      server.requests.length = 0;
      scripts = [];
    },
    stop: async () => {},
  };

  const findChannel = (ref: string): SlackChannel | undefined => {
    const name = ref.replace(/^#/, '');
    return channels.find((c) => c.id === ref || c.name === name);
  };

  const takeScript = (route: 'webhook' | string): ScriptedResponse | undefined => {
    const index = scripts.findIndex((s) => {
      const r = s.route ?? '*';
      return r === '*' || r === route || (r === 'api' && route !== 'webhook');
    });
    if (index < 0) return undefined;
    const script = scripts[index] as ScriptedResponse & { left: number };
    script.left--;
    if (script.left <= 0) scripts.splice(index, 1);
    return script;
  };

  type Answer = { status: number; body: string; headers?: Record<string, string> };
  const text = (status: number, body: string): Answer => ({ status, body, headers: { 'content-type': 'text/html' } });
  const json = (value: Record<string, unknown>, status = 200): Answer => ({ status, body: JSON.stringify(value), headers: { 'content-type': 'application/json; charset=utf-8' } });

  const contentOf = (payload: Record<string, unknown>): { text?: string; blocks?: unknown[]; attachments?: unknown[] } => ({
    ...(typeof payload['text'] === 'string' ? { text: payload['text'] } : {}),
    ...(Array.isArray(payload['blocks']) ? { blocks: payload['blocks'] } : {}),
    ...(Array.isArray(payload['attachments']) ? { attachments: payload['attachments'] } : {}),
  });
  const hasContent = (p: Record<string, unknown>): boolean =>
    (typeof p['text'] === 'string' && p['text'] !== '') || (Array.isArray(p['blocks']) && p['blocks'].length > 0) || (Array.isArray(p['attachments']) && p['attachments'].length > 0);

  const webhook = (path: string, headers: IncomingHttpHeaders, body: string): Answer => {
    const [, , team] = path.split('/');
    if (team !== TEAM) return text(403, 'no_team');
    const channelName = webhooks.get(path);
    if (channelName === undefined) return text(403, 'no_service');
    let payload: unknown;
    try {
      const type = headers['content-type'] ?? '';
      payload = type.includes('application/x-www-form-urlencoded') ? JSON.parse(parseForm(body)['payload'] ?? '') : JSON.parse(body);
    } catch {
      return text(400, 'invalid_payload');
    }
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return text(400, 'invalid_payload');
    const p = payload as Record<string, unknown>;
    const channel = findChannel(channelName);
    if (!channel) return text(404, 'channel_not_found');
    if (channel.archived) return text(410, 'channel_is_archived');
    if (!hasContent(p)) return text(400, 'no_text');
    if (p['blocks'] !== undefined && blocksProblem(p['blocks'])) return text(400, 'invalid_blocks');
    const ts = nextTs();
    server.messages.push({
      via: 'webhook',
      channel: channel.id,
      ts,
      ...(typeof p['thread_ts'] === 'string' ? { threadTs: p['thread_ts'] } : {}),
      ...contentOf(p),
      payload: p,
      history: [],
      postedAt: Date.now(),
    });
    return text(200, 'ok');
  };

  const api = (method: string, headers: IncomingHttpHeaders, body: string): Answer => {
    let args: Record<string, unknown>;
    const type = headers['content-type'] ?? '';
    if (type.includes('application/json')) {
      try {
        const parsed: unknown = JSON.parse(body || '{}');
        args = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
      } catch {
        return json({ ok: false, error: 'invalid_json' });
      }
    } else {
      args = parseForm(body);
      for (const key of ['blocks', 'attachments', 'metadata']) {
        if (typeof args[key] === 'string') {
          try {
            args[key] = JSON.parse(args[key] as string);
          } catch {
            return json({ ok: false, error: key === 'blocks' ? 'invalid_blocks_format' : 'invalid_attachments' });
          }
        }
      }
    }
    const auth = /^Bearer (.+)$/.exec(headers['authorization'] ?? '')?.[1] ?? (typeof args['token'] === 'string' ? args['token'] : undefined);
    if (!auth) return json({ ok: false, error: 'not_authed' });
    if (auth !== token) return json({ ok: false, error: 'invalid_auth' });
    const { token: _t, channel: channelRef, ts: _ts, ...payload } = args;

    switch (method) {
      case 'chat.postMessage': {
        const channel = typeof channelRef === 'string' ? findChannel(channelRef) : undefined;
        if (!channel) return json({ ok: false, error: 'channel_not_found' });
        if (channel.archived) return json({ ok: false, error: 'is_archived' });
        if (channel.member === false) return json({ ok: false, error: 'not_in_channel' });
        if (!hasContent(payload)) return json({ ok: false, error: 'no_text' });
        if (payload['blocks'] !== undefined && blocksProblem(payload['blocks'])) return json({ ok: false, error: 'invalid_blocks' });
        if (typeof payload['text'] === 'string' && payload['text'].length > LIMITS.messageText) return json({ ok: false, error: 'msg_too_long' });
        const ts = nextTs();
        const threadTs = typeof payload['thread_ts'] === 'string' ? payload['thread_ts'] : undefined;
        server.messages.push({ via: 'api', channel: channel.id, ts, ...(threadTs ? { threadTs } : {}), ...contentOf(payload), payload, history: [], postedAt: Date.now() });
        return json({ ok: true, channel: channel.id, ts, message: { type: 'message', bot_id: 'B0SHIPLINE', ts, ...(threadTs ? { thread_ts: threadTs } : {}), ...contentOf(payload) } });
      }
      case 'chat.update': {
        // chat.update takes the channel ID only.
        const channel = channels.find((c) => c.id === channelRef);
        if (!channel) return json({ ok: false, error: 'channel_not_found' });
        if (channel.archived) return json({ ok: false, error: 'is_archived' });
        const ts = args['ts'];
        const message = server.messages.find((m) => m.channel === channel.id && m.ts === ts);
        if (!message) return json({ ok: false, error: 'message_not_found' });
        if (message.via !== 'api') return json({ ok: false, error: 'cant_update_message' });
        if (!hasContent(payload)) return json({ ok: false, error: 'no_text' });
        if (payload['blocks'] !== undefined && blocksProblem(payload['blocks'])) return json({ ok: false, error: 'invalid_blocks' });
        message.history.push(message.payload);
        message.payload = payload;
        delete message.text;
        delete message.blocks;
        delete message.attachments;
        Object.assign(message, contentOf(payload));
        return json({ ok: true, channel: channel.id, ts: message.ts, text: message.text ?? '', message: { type: 'message', ts: message.ts, ...contentOf(payload) } });
      }
      default:
        return json({ ok: false, error: 'unknown_method' });
    }
  };

  const scriptedAnswer = (script: ScriptedResponse, route: 'webhook' | 'api'): Answer => {
    const status = script.status ?? 200;
    const headers: Record<string, string> = { ...(script.retryAfter !== undefined ? { 'retry-after': String(script.retryAfter) } : {}), ...script.headers };
    let body = script.body;
    if (body === undefined) {
      const slackError = status === 429 ? (route === 'webhook' ? 'rate_limited' : 'ratelimited') : status >= 500 ? 'rollup_error' : 'error';
      body = route === 'webhook' ? slackError : { ok: false, error: slackError };
    }
    if (typeof body === 'string') return { status, body, headers: { 'content-type': 'text/html', ...headers } };
    return { status, body: JSON.stringify(body), headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const isWebhook = url.pathname.startsWith('/services/');
    const apiMethod = /^\/api\/([\w.]+)$/.exec(url.pathname)?.[1];
    const route = isWebhook ? 'webhook' : (apiMethod ?? 'unknown');
    const record: RecordedSlackRequest = { route: isWebhook ? 'webhook' : 'api', method: isWebhook ? 'webhook' : (apiMethod ?? url.pathname), path: url.pathname, headers: req.headers, body, at: Date.now(), status: 0, response: '' };
    server.requests.push(record);

    const script = takeScript(route);
    if (script?.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
    if (script?.drop) {
      record.status = -1;
      req.socket.destroy();
      return;
    }
    let answer: Answer;
    if (script && (script.status !== undefined || script.body !== undefined)) answer = scriptedAnswer(script, isWebhook ? 'webhook' : 'api');
    else if (req.method !== 'POST') answer = text(405, 'invalid_method');
    else if (isWebhook) answer = webhook(url.pathname, req.headers, body);
    else if (apiMethod) answer = api(apiMethod, req.headers, body);
    else answer = text(404, 'not_found');
    record.status = answer.status;
    record.response = answer.body;
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.body);
  };

  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`emulator bug: ${String(error)}`);
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  server.url = `http://127.0.0.1:${port}`;
  server.apiUrl = `${server.url}/api/`;
  server.webhookUrl = server.addWebhook(options.webhookChannel ?? 'deploys');
  server.stop = () =>
    new Promise<void>((resolve) => {
      http.closeAllConnections();
      http.close(() => resolve());
    });
  return server;
}
