/**
 * slack-notify: build the message (default Block Kit, or the user's payload with placeholders
 * filled), keep it within Slack's limits, deliver it with retries that honour Retry-After, and report.
 * A delivery failure never breaks the deploy unless `fail-on-error` asks for it: it is a warning and
 * `delivered=false`. Should Slack reject the blocks themselves, the message is sent again as plain
 * text; should the message to update be gone, a new one is posted — the notification still arrives.
 */
import { ActionFailedError, formatDuration, type Services } from '../core/index.js';
import type { SlackNotifyInputs } from '../actions/slack-notify/inputs.js';
import { readGitHubContext, type GitHubContext } from './context.js';
import { DeliveryFailedError, withRetries } from './deliver.js';
import { neutralizeBroadcasts } from './escape.js';
import { matchJobMessage, readJobMessage, saveJobMessage, type JobMessage } from './job-state.js';
import { enforceLimits } from './limits.js';
import { buildDefaultMessage, defaultTitle, imageDigest, shortImage, type DefaultMessageModel } from './message.js';
import { STATUS_STYLE } from './status.js';
import { fillTemplate, fillText, VARIABLES, type Mode, type Placeholder, type VariableName } from './template.js';
import type { DeliveryReceipt, SlackTransport } from './transport.js';
import type { SlackMessage } from './types.js';
import { WebhookTransport, type FetchLike } from './webhook.js';

/** Placeholders holding mrkdwn we rendered (mentions) or the user's own text: never escaped again. */
const TRUSTED: ReadonlySet<string> = new Set(['mention', 'text']);

/** Per-request timeout: Slack answers in well under a second when it answers at all. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Slack errors that mean "the blocks are the problem": the message is re-sent as plain text. */
const BLOCKS_REJECTED = new Set(['invalid_blocks', 'invalid_blocks_format', 'invalid_payload', 'invalid_attachments', 'too_many_attachments', 'msg_blocks_too_long']);
/** chat.update errors that mean "that message is not there to edit": a new one is posted. */
const NOT_EDITABLE = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed', 'channel_not_found']);

export interface SlackNotifyDeps {
  /** Jitter source for backoff (tests pass a constant). */
  random?: () => number;
  /** fetch for the webhook transport (default: Node's). */
  fetch?: FetchLike;
  /** A ready transport (tests); by default one is built from the inputs. */
  transport?: SlackTransport;
  /** Per-request timeout (default REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
}

export interface SlackNotifyResult {
  delivered: boolean;
  ts?: string;
  channel?: string;
  operation?: 'posted' | 'updated';
  attempts: number;
  /** Why it was not delivered. */
  error?: string;
  /** Limits applied, fallbacks taken. */
  notes: string[];
  message: SlackMessage;
}

/** The values of the unqualified placeholders (template.ts VARIABLES). */
export function templateVariables(inputs: SlackNotifyInputs, ctx: GitHubContext, durationMs: number | undefined): Record<VariableName, string> {
  const style = STATUS_STYLE[inputs.status];
  return {
    status: inputs.status,
    status_emoji: style.emoji,
    title: defaultTitle({ status: inputs.status, ...(inputs.title ? { title: inputs.title } : {}), ...(inputs.environment ? { environment: inputs.environment } : {}), context: ctx }),
    text: neutralizeBroadcasts(inputs.text ?? ''),
    mention: style.mention ? inputs.mentions.join(' ') : '',
    environment: inputs.environment ?? '',
    environment_url: inputs.environmentUrl ?? '',
    image: inputs.image ?? '',
    image_short: inputs.image ? shortImage(inputs.image) : '',
    digest: inputs.image ? imageDigest(inputs.image) : '',
    duration: durationMs !== undefined ? formatDuration(durationMs) : '',
    job_status: inputs.jobStatus ?? '',
    repository: ctx.repository,
    repository_url: ctx.repositoryUrl,
    sha: ctx.sha,
    short_sha: ctx.shortSha,
    ref: ctx.ref,
    ref_name: ctx.refName,
    actor: ctx.actor,
    triggering_actor: ctx.triggeringActor,
    workflow: ctx.workflow,
    job: ctx.job,
    event_name: ctx.eventName,
    run_id: ctx.runId,
    run_number: ctx.runNumber,
    run_attempt: ctx.runAttempt,
    run_url: ctx.runUrl,
    commit_url: ctx.commitUrl,
    commit_message: ctx.commitMessage,
    commit_author: ctx.commitAuthor,
  };
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** `github.sha` → GITHUB_SHA (as the runner set it), `github.event.pull_request.title` → the event payload. */
function resolveGithub(path: string, env: Services['env'], ctx: GitHubContext): string {
  const [head, ...rest] = path.split('.');
  if (head === 'event') {
    let current: unknown = ctx.event;
    for (const key of rest) current = current && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
    return stringify(current);
  }
  return rest.length ? '' : (env[`GITHUB_${(head ?? '').toUpperCase()}`] ?? '');
}

function buildMessage(inputs: SlackNotifyInputs, services: Services, ctx: GitHubContext, durationMs: number | undefined): SlackMessage {
  const variables = templateVariables(inputs, ctx, durationMs);
  const resolve = (p: Placeholder): string => {
    if (p.name.startsWith('env.')) return services.env[p.name.slice(4)] ?? '';
    if (p.name.startsWith('github.')) return resolveGithub(p.name.slice(7), services.env, ctx);
    return variables[p.name as VariableName] ?? '';
  };
  const unknown = new Set<string>();
  const fill = (text: string, mode: Mode): string => fillText(text, resolve, mode, TRUSTED, (e) => unknown.add(e));
  const title = inputs.title ? fill(inputs.title, 'plain') : undefined;
  const text = inputs.text ? fill(inputs.text, 'mrkdwn') : undefined;
  const fields = inputs.fields.map((f) => ({ name: fill(f.name, 'plain'), value: fill(f.value, 'mrkdwn') }));
  if (unknown.size) services.log.warning(`left as written (not a known placeholder): ${[...unknown].join(', ')}; known: ${VARIABLES.join(', ')}, env.NAME, github.…`);

  const model: DefaultMessageModel = {
    status: inputs.status,
    ...(title ? { title } : {}),
    ...(text ? { text } : {}),
    fields,
    ...(inputs.environment ? { environment: inputs.environment } : {}),
    ...(inputs.environmentUrl ? { environmentUrl: inputs.environmentUrl } : {}),
    ...(inputs.image ? { image: inputs.image } : {}),
    context: ctx,
    ...(durationMs !== undefined ? { durationMs } : {}),
    mentions: inputs.mentions,
  };
  const fallback = buildDefaultMessage(model);
  if (!inputs.payload) return fallback;

  const message = fillTemplate(inputs.payload, resolve, TRUSTED);
  // The channel travels as an argument, not in the message.
  delete message['channel'];
  // Notifications and screen readers use `text`; Slack recommends it alongside blocks.
  if (typeof message.text !== 'string' || message.text === '') message.text = fallback.text ?? '';
  return message;
}

function textOnly(message: SlackMessage, fallback: string): SlackMessage {
  const { blocks: _b, attachments: _a, ...rest } = message;
  return { ...rest, text: message.text || fallback };
}

export async function runSlackNotify(inputs: SlackNotifyInputs, services: Services, deps: SlackNotifyDeps = {}): Promise<SlackNotifyResult> {
  const { log, clock, outputs, env } = services;
  const ctx = readGitHubContext(env);
  const stored: JobMessage = readJobMessage(env, inputs.environment);
  const startedAt = inputs.status === 'started' ? clock.now() : stored.startedAt;
  const durationMs = inputs.status !== 'started' && stored.startedAt !== undefined ? Math.max(0, clock.now() - stored.startedAt) : undefined;

  const notes: string[] = [];
  const built = buildMessage(inputs, services, ctx, durationMs);
  const limited = enforceLimits(built);
  const message = limited.message;
  for (const note of limited.notes) notes.push(`cut to Slack's limits: ${note}`);

  const timeoutMs = deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const transport: SlackTransport =
    deps.transport ??
    (inputs.transport.kind === 'webhook'
      ? new WebhookTransport({ url: inputs.transport.url, timeoutMs, now: () => clock.now(), ...(deps.fetch ? { fetch: deps.fetch } : {}) })
      : new (await import('./web-api.js')).WebApiTransport({ token: inputs.transport.token, apiUrl: inputs.transport.apiUrl, timeoutMs, debug: (l) => log.debug(l) }));

  if (transport.kind === 'webhook' && inputs.channel) {
    log.warning(`channel '${inputs.channel}' is ignored: an incoming webhook always posts to the channel it was created for (use bot-token to choose the channel)`);
  }

  let target: { channel: string; ts: string } | undefined;
  let automatic = false;
  if (inputs.updateTs && inputs.channel) target = { channel: inputs.channel.replace(/^#/, ''), ts: inputs.updateTs };
  else if (transport.kind === 'bot' && !inputs.forceNew && !inputs.threadTs) {
    target = matchJobMessage(stored, inputs.channel);
    automatic = target !== undefined;
  }

  const where = transport.kind === 'bot' ? ` to ${inputs.channel}` : '';
  const what = `${inputs.status} notification`;
  let attempts = 0;
  const policy = { retries: inputs.retries, clock, log, ...(deps.random ? { random: deps.random } : {}) };

  /** withRetries, counting every attempt whatever the outcome. */
  const counted = async <T>(attempt: () => Promise<T>, label: string): Promise<T> => {
    try {
      const r = await withRetries(attempt, { ...policy, what: label });
      attempts += r.attempts;
      return r.value;
    } catch (error) {
      if (error instanceof DeliveryFailedError) attempts += error.attempts;
      throw error;
    }
  };

  const send = async (content: SlackMessage): Promise<{ receipt: DeliveryReceipt; operation: 'posted' | 'updated' }> => {
    if (target && transport.update) {
      const edit = target;
      try {
        const receipt = await counted(() => (transport.update as NonNullable<SlackTransport['update']>)(content, edit), `update of message ${edit.ts}`);
        return { receipt, operation: 'updated' };
      } catch (error) {
        if (!(error instanceof DeliveryFailedError)) throw error;
        if (!NOT_EDITABLE.has(error.failure.code)) throw error;
        notes.push(`message ${edit.ts} could not be updated (${error.failure.code}): posted a new one`);
        log.warning(`Slack: message ${edit.ts} could not be updated (${error.failure.code}); posting a new message instead`);
        target = undefined;
      }
    }
    const receipt = await counted(() => transport.post(content, { ...(inputs.channel ? { channel: inputs.channel } : {}), ...(inputs.threadTs ? { threadTs: inputs.threadTs } : {}) }), `post${where}`);
    return { receipt, operation: 'posted' };
  };

  let result: SlackNotifyResult;
  try {
    const outcome = await log.group(`Slack: ${what} via ${transport.label}${where}${target ? ` (updating ${target.ts}${automatic ? ', posted earlier in this job' : ''})` : ''}`, async () => {
      for (const note of notes) log.info(note);
      try {
        return await send(message);
      } catch (error) {
        const blocky = Array.isArray(message.blocks) || Array.isArray(message['attachments']);
        if (!(error instanceof DeliveryFailedError) || !BLOCKS_REJECTED.has(error.failure.code) || !blocky) throw error;
        notes.push(`Slack rejected the blocks (${error.failure.code}): sent as plain text`);
        log.warning(`Slack rejected the message's blocks (${error.failure.message}); sending it again as plain text`);
        return await send(textOnly(message, `${STATUS_STYLE[inputs.status].emoji} ${inputs.status}`));
      }
    });
    result = { delivered: true, ...outcome.receipt, operation: outcome.operation, attempts, notes, message };
  } catch (error) {
    if (!(error instanceof DeliveryFailedError)) throw error;
    result = { delivered: false, attempts, error: error.reason, notes, message };
  }

  outputs.set('delivered', result.delivered);
  outputs.set('ts', result.ts ?? '');
  outputs.set('channel', result.channel ?? '');

  // A thread reply is not the deployment's message: later steps keep editing the one they had.
  const state: JobMessage = { ...(startedAt !== undefined ? { startedAt } : {}) };
  if (result.delivered && result.ts && result.channel && !inputs.threadTs) Object.assign(state, { ts: result.ts, channel: result.channel, ...(inputs.channel ? { requested: inputs.channel } : {}) });
  else if (stored.ts) Object.assign(state, { ts: stored.ts, ...(stored.channel ? { channel: stored.channel } : {}), ...(stored.requested ? { requested: stored.requested } : {}) });
  if (Object.keys(state).length) saveJobMessage(env, inputs.environment, state);

  writeSummary(result, inputs, services);
  if (result.delivered) {
    log.info(`Slack: ${what} ${result.operation}${result.channel ? ` in ${result.channel}` : ''}${result.ts ? ` (ts ${result.ts})` : ''} after ${attempts} attempt${attempts > 1 ? 's' : ''}.`);
    return result;
  }
  const line = `Slack ${what} was not delivered: ${result.error}`;
  if (inputs.failOnError) throw new ActionFailedError(line);
  log.warning(`${line} (fail-on-error is false: the step goes on)`);
  return result;
}

function writeSummary(result: SlackNotifyResult, inputs: SlackNotifyInputs, { summary }: Services): void {
  const style = STATUS_STYLE[inputs.status];
  if (result.delivered) {
    const where = result.channel ? ` in \`${result.channel}\`` : inputs.transport.kind === 'webhook' ? ' via incoming webhook' : '';
    summary.paragraph(
      `**Slack** ${style.emoji} ${inputs.status} notification ${result.operation}${where}${result.ts ? ` (ts \`${result.ts}\`)` : ''} — ${result.attempts} attempt${result.attempts > 1 ? 's' : ''}${result.notes.length ? `; ${result.notes.join('; ')}` : ''}.`,
    );
  } else {
    summary.paragraph(`**Slack** ⚠️ ${inputs.status} notification not delivered: ${result.error}.`);
  }
}
