/**
 * The default deployment message: one Block Kit message per status — header, mentions (failures
 * only), the user's text, a fields grid (environment, image by short digest, commit and author,
 * actor, duration, the user's fields) and a context line linking the run and the environment.
 * Every value we did not author is escaped (escape.ts); the fallback `text` carries the same
 * summary for notifications and clients without blocks.
 */
import { formatDuration } from '../core/duration.js';
import { escapeMrkdwn, mrkdwnLink, neutralizeBroadcasts } from './escape.js';
import type { GitHubContext } from './context.js';
import { STATUS_STYLE } from './status.js';
import type { SlackMessage, Status } from './types.js';
import { LIMITS } from './limits.js';

export interface MessageField {
  name: string;
  value: string;
}

export interface DefaultMessageModel {
  status: Status;
  title?: string;
  /** The user's mrkdwn (broadcast mentions neutralised). */
  text?: string;
  fields: MessageField[];
  environment?: string;
  environmentUrl?: string;
  image?: string;
  context: GitHubContext;
  durationMs?: number;
  /** Rendered mentions (`<!here>`, `<@U…>`); used only for statuses that mention. */
  mentions: string[];
}

/** `ghcr.io/acme/api:1.2@sha256:<64 hex>` → `ghcr.io/acme/api:1.2@sha256:<first 12 hex>`. */
export function shortImage(image: string): string {
  return image.replace(/@(sha256|sha512):([0-9a-f]{12})[0-9a-f]*$/i, '@$1:$2');
}

/** The digest part of an image reference, or ''. */
export function imageDigest(image: string): string {
  return /@((?:sha256|sha512):[0-9a-f]+)$/i.exec(image)?.[1] ?? '';
}

export function defaultTitle(model: Pick<DefaultMessageModel, 'status' | 'title' | 'environment' | 'context'>): string {
  return model.title || STATUS_STYLE[model.status].title(model.context.repository, model.environment);
}

const field = (label: string, value: string): { type: 'mrkdwn'; text: string } => ({ type: 'mrkdwn', text: `*${label}*\n${value}` });

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function buildDefaultMessage(model: DefaultMessageModel): SlackMessage {
  const style = STATUS_STYLE[model.status];
  const ctx = model.context;
  const title = defaultTitle(model);
  const mentions = style.mention ? model.mentions : [];

  const fields: { type: 'mrkdwn'; text: string }[] = [];
  if (model.environment) {
    fields.push(field('Environment', model.environmentUrl ? mrkdwnLink(model.environmentUrl, model.environment) : escapeMrkdwn(model.environment)));
  }
  if (model.image) fields.push(field('Image', `\`${escapeMrkdwn(shortImage(model.image))}\``));
  if (ctx.sha) {
    const sha = ctx.commitUrl ? mrkdwnLink(ctx.commitUrl, ctx.shortSha) : `\`${escapeMrkdwn(ctx.shortSha)}\``;
    fields.push(field('Commit', ctx.commitMessage ? `${sha} ${escapeMrkdwn(oneLine(ctx.commitMessage, 120))}` : sha));
  }
  if (ctx.commitAuthor) fields.push(field('Author', escapeMrkdwn(ctx.commitAuthor)));
  if (ctx.actor) {
    const rerun = ctx.triggeringActor && ctx.triggeringActor !== ctx.actor ? ` (run by ${escapeMrkdwn(ctx.triggeringActor)})` : '';
    fields.push(field('Actor', `${escapeMrkdwn(ctx.actor)}${rerun}`));
  }
  if (model.durationMs !== undefined) fields.push(field('Duration', formatDuration(model.durationMs)));
  for (const f of model.fields) fields.push(field(escapeMrkdwn(f.name), neutralizeBroadcasts(f.value)));

  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: `${style.emoji} ${title}`, emoji: true } }];
  if (mentions.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `🔔 ${mentions.join(' ')}` } });
  if (model.text) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: neutralizeBroadcasts(model.text) } });
  // Slack allows 10 fields per section: more go into further sections rather than being cut.
  for (let i = 0; i < fields.length; i += LIMITS.sectionFields) blocks.push({ type: 'section', fields: fields.slice(i, i + LIMITS.sectionFields) });

  const links: string[] = [];
  if (ctx.runUrl) {
    const label = `${ctx.workflow || 'Workflow run'}${ctx.runNumber ? ` #${ctx.runNumber}` : ''}${ctx.runAttempt !== '1' ? ` (attempt ${ctx.runAttempt})` : ''}`;
    links.push(`Run: ${mrkdwnLink(ctx.runUrl, label)}`);
  }
  if (model.environmentUrl) links.push(mrkdwnLink(model.environmentUrl, `Open ${model.environment || 'environment'}`));
  if (ctx.repository) {
    const repo = ctx.repositoryUrl ? mrkdwnLink(ctx.repositoryUrl, ctx.repository) : escapeMrkdwn(ctx.repository);
    links.push(ctx.refName ? `${repo} · ${escapeMrkdwn(ctx.refName)}` : repo);
  }
  if (links.length) blocks.push({ type: 'context', elements: links.map((text) => ({ type: 'mrkdwn', text })) });

  const summary = [`${style.emoji} ${escapeMrkdwn(title)}`];
  if (ctx.shortSha) summary.push(`(${escapeMrkdwn(ctx.shortSha)})`);
  if (ctx.actor) summary.push(`by ${escapeMrkdwn(ctx.actor)}`);
  const text = `${mentions.length ? `${mentions.join(' ')} ` : ''}${summary.join(' ')}`;

  return { text, blocks, unfurl_links: false, unfurl_media: false };
}
