/**
 * slack-notify inputs, read once into a typed object. Nothing here touches the network; secrets are
 * masked as they are read; every mistake is one ConfigurationError naming the input, raised before
 * any message is sent. The payload parser and YAML are loaded only when those inputs are used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigurationError, type InputReader, type Services } from '../../core/index.js';
import type { MessageField } from '../../slack/message.js';
import { parseMention, statusFromJobStatus } from '../../slack/status.js';
import type { PayloadTemplate } from '../../slack/template.js';
import { STATUSES, type Status } from '../../slack/types.js';

export type TransportConfig = { kind: 'webhook'; url: string } | { kind: 'bot'; token: string; apiUrl: string };

export interface SlackNotifyInputs {
  transport: TransportConfig;
  /** Bot token only: channel ID or name (from `channel`, else the payload's `channel`). */
  channel?: string;
  status: Status;
  /** As given (`${{ job.status }}`), for the `job_status` placeholder. */
  jobStatus?: string;
  title?: string;
  text?: string;
  fields: MessageField[];
  environment?: string;
  environmentUrl?: string;
  image?: string;
  payload?: PayloadTemplate;
  /** chat.update this message. */
  updateTs?: string;
  /** `update-ts: new`: always post a new message (no automatic update of this job's earlier one). */
  forceNew: boolean;
  threadTs?: string;
  /** Rendered mentions for failure/rolled-back. */
  mentions: string[];
  retries: number;
  failOnError: boolean;
}

/** Tests (and the pipeline rehearsal) point the Web API at a loopback server with this variable. */
export const API_URL_VARIABLE = 'SLACK_API_URL';

const TS = /^\d+\.\d+$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function readWebhookUrl(input: InputReader, services: Pick<Services, 'addSecret'>): string | undefined {
  const url = input.secret('webhook-url');
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Never echo the value: it is a credential.
    throw new ConfigurationError('webhook-url', 'is not a valid URL (expected https://hooks.slack.com/services/…)');
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname))) {
    throw new ConfigurationError('webhook-url', `must be an https:// URL (got ${parsed.protocol}//…)`);
  }
  // The last path segment is the webhook's secret: mask it on its own too, should it ever appear alone.
  const secretPart = parsed.pathname.split('/').filter(Boolean).at(-1);
  if (secretPart && secretPart.length >= 8) services.addSecret(secretPart);
  return url;
}

function readApiUrl(env: Readonly<Record<string, string | undefined>>): string {
  const raw = env[API_URL_VARIABLE]?.trim();
  if (!raw) return 'https://slack.com/api/';
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigurationError(API_URL_VARIABLE, `environment variable is not a valid URL: '${raw}'`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ConfigurationError(API_URL_VARIABLE, 'environment variable must be an http(s) URL');
  return parsed.toString().replace(/\/?$/, '/');
}

function readHttpUrl(input: InputReader, name: string): string | undefined {
  const value = input.optional(name);
  if (!value) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigurationError(name, `'${value}' is not a valid URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ConfigurationError(name, `must be an http(s) URL, got '${value}'`);
  return value;
}

function readStatus(input: InputReader): { status: Status; jobStatus?: string } {
  const jobStatus = input.optional('job-status');
  if (input.has('status')) return { status: input.enum('status', STATUSES, 'success'), ...(jobStatus ? { jobStatus } : {}) };
  if (!jobStatus) {
    throw new ConfigurationError('status', `give status (${STATUSES.join(', ')}) or job-status: \${{ job.status }}`);
  }
  const status = statusFromJobStatus(jobStatus);
  if (!status) throw new ConfigurationError('job-status', `expected success, failure or cancelled (\${{ job.status }}), got '${jobStatus}'`);
  return { status, jobStatus };
}

function readTs(input: InputReader, name: string): string | undefined {
  const value = input.optional(name);
  if (value === undefined) return undefined;
  if (!TS.test(value)) throw new ConfigurationError(name, `expected a Slack message timestamp such as 1712345678.123456, got '${value}'`);
  return value;
}

async function readPayload(input: InputReader, workspace: string): Promise<PayloadTemplate | undefined> {
  const inline = input.string('payload', { raw: true });
  const path = input.optional('payload-file');
  if (inline.trim() && path) throw new ConfigurationError('payload-file', 'give payload or payload-file, not both');
  if (!inline.trim() && !path) return undefined;
  const { parsePayloadTemplate } = await import('../../slack/template.js');
  if (inline.trim()) return parsePayloadTemplate(inline, { input: 'payload' });
  const file = isAbsolute(path as string) ? (path as string) : resolve(workspace, path as string);
  if (!existsSync(file)) throw new ConfigurationError('payload-file', `file ${path} does not exist`);
  return parsePayloadTemplate(readFileSync(file, 'utf8'), { input: 'payload-file', file: path as string });
}

export async function readSlackNotifyInputs(input: InputReader, services: Pick<Services, 'addSecret' | 'env' | 'workspace'>): Promise<SlackNotifyInputs> {
  // Transport first: with no inputs at all this is the one line a user sees.
  const webhookUrl = readWebhookUrl(input, services);
  const token = input.secret('bot-token');
  if (webhookUrl && token) throw new ConfigurationError('bot-token', 'give webhook-url or bot-token, not both');
  if (!webhookUrl && !token) throw new ConfigurationError('webhook-url', 'give webhook-url (an incoming webhook), or bot-token and channel');
  if (token && /\s/.test(token)) throw new ConfigurationError('bot-token', 'contains white space (a Slack token is one word, such as xoxb-…)');
  const transport: TransportConfig = token ? { kind: 'bot', token, apiUrl: readApiUrl(services.env) } : { kind: 'webhook', url: webhookUrl as string };

  const { status, jobStatus } = readStatus(input);

  const updateRaw = input.optional('update-ts');
  const forceNew = updateRaw?.toLowerCase() === 'new';
  const updateTs = forceNew ? undefined : readTs(input, 'update-ts');
  if (updateTs && transport.kind === 'webhook') throw new ConfigurationError('update-ts', 'needs bot-token: an incoming webhook cannot edit a message');
  const threadTs = readTs(input, 'thread-ts');

  const mentions: string[] = [];
  for (const entry of input.list('mention-on-failure')) {
    const mention = parseMention(entry);
    if (!mention) throw new ConfigurationError('mention-on-failure', `'${entry}' is not a mention (use here, channel, a user ID such as U0123ABCD, or a user group ID such as S0123ABCD)`);
    if (!mentions.includes(mention)) mentions.push(mention);
  }

  const retries = input.integer('retries', 5, { min: 0, max: 20 });
  const failOnError = input.boolean('fail-on-error', false);
  const environmentUrl = readHttpUrl(input, 'environment-url');

  let fields: MessageField[] = [];
  if (input.has('fields')) {
    const { parseFields } = await import('../../slack/fields.js');
    fields = parseFields(input.string('fields', { raw: true }));
  }
  const payload = await readPayload(input, services.workspace);

  let channel = input.optional('channel');
  if (transport.kind === 'bot' && !channel) {
    const fromPayload = payload?.value['channel'];
    if (typeof fromPayload === 'string' && fromPayload.trim() && !/[\uE000-\uE01F]/.test(fromPayload)) channel = fromPayload.trim();
    else throw new ConfigurationError('channel', 'is required with bot-token (a channel ID such as C0123ABCD, or #name)');
  }

  if (updateTs && channel && !CHANNEL_ID.test(channel)) {
    throw new ConfigurationError('channel', `chat.update needs the channel ID (such as C0123ABCD: the \`channel\` output of the step that posted), not '${channel}'`);
  }

  const text = input.string('text', { raw: true }).replace(/\s+$/, '');
  const title = input.optional('title');
  const environment = input.optional('environment');
  const image = input.optional('image');

  return {
    transport,
    ...(channel ? { channel } : {}),
    status,
    ...(jobStatus ? { jobStatus } : {}),
    ...(title ? { title } : {}),
    ...(text ? { text } : {}),
    fields,
    ...(environment ? { environment } : {}),
    ...(environmentUrl ? { environmentUrl } : {}),
    ...(image ? { image } : {}),
    ...(payload ? { payload } : {}),
    ...(updateTs ? { updateTs } : {}),
    forceNew,
    ...(threadTs ? { threadTs } : {}),
    mentions,
    retries,
    failOnError,
  };
}
