/**
 * The `kubeconfig` input: secret content (YAML, or that YAML base64-encoded). It is masked line by
 * line the moment it is read, validated without ever echoing it, written 0600 under RUNNER_TEMP for
 * kubectl, and removed in `finally`.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError } from '../core/index.js';

export interface KubeconfigInfo {
  /** The text kubectl gets (decoded when the input was base64). */
  text: string;
  contexts: string[];
  currentContext?: string;
}

/** Keys whose values are credentials or addresses: masked on their own as well as in their line. */
const SENSITIVE_KEYS = /^(token|client-key-data|client-certificate-data|certificate-authority-data|password|username|server|access-token|id-token|refresh-token|client-secret|client-id|idp-certificate-authority-data|tokenFile|proxy-url|value)$/;
/** Lines that carry no information (masking them would garble unrelated log lines). */
const STRUCTURE = /^(-\s*)?[\w.-]+:\s*(\{\}|\[\]|null)?$|^(apiVersion:\s*v1|kind:\s*Config|-)$/;

/** Every string to mask for a kubeconfig: its meaningful lines, and sensitive values alone. */
export function kubeconfigSecrets(text: string): string[] {
  const secrets = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || STRUCTURE.test(line)) continue;
    secrets.add(line);
    const bare = line.replace(/^-\s+/, '');
    secrets.add(bare);
    const match = /^([\w.-]+):\s*(.+)$/.exec(bare);
    if (match) {
      const value = (match[2] as string).replace(/^["']|["']$/g, '');
      if (SENSITIVE_KEYS.test(match[1] as string) || value.length >= 24) secrets.add(value);
    }
  }
  return [...secrets].filter((s) => s.length >= 3);
}

function decodeIfBase64(text: string): string {
  const compact = text.replace(/\s+/g, '');
  if (text.includes(':') || !/^[A-Za-z0-9+/=_-]+$/.test(compact) || compact.length < 16) return text;
  const decoded = Buffer.from(compact, 'base64').toString('utf8');
  return /(^|\n)\s*(apiVersion|clusters|kind)\s*:/.test(decoded) || decoded.trimStart().startsWith('{') ? decoded : text;
}

/**
 * Validates the content (never echoing any of it). `mask` registers every secret string before
 * anything else happens. Throws ConfigurationError naming `kubeconfig` (or `context`).
 */
export async function readKubeconfig(raw: string, context: string | undefined, mask: (secret: string) => void): Promise<KubeconfigInfo> {
  for (const secret of kubeconfigSecrets(raw)) mask(secret);
  const text = decodeIfBase64(raw);
  if (text !== raw) for (const secret of kubeconfigSecrets(text)) mask(secret);
  if (!text.includes('\n') && !text.trimStart().startsWith('{')) {
    throw new ConfigurationError('kubeconfig', 'expected the content of a kubeconfig file (YAML), got a single line; to use a file on the runner, leave this empty and set KUBECONFIG');
  }
  const { parseDocument } = await import('../core/yaml.js');
  // prettyErrors only for the line/column: its message quotes the source, which is never printed.
  const doc = parseDocument(text, { prettyErrors: true });
  const problem = doc.errors[0];
  if (problem) {
    const at = problem.linePos?.[0];
    throw new ConfigurationError('kubeconfig', `is not valid YAML${at ? ` (line ${at.line}, column ${at.col})` : ''}`);
  }
  const value = doc.toJS() as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigurationError('kubeconfig', 'is not a kubeconfig (expected a mapping with clusters, users and contexts)');
  const config = value as { kind?: unknown; clusters?: unknown; contexts?: unknown; 'current-context'?: unknown };
  if (config.kind !== undefined && config.kind !== 'Config') throw new ConfigurationError('kubeconfig', `is not a kubeconfig (kind is not Config)`);
  if (!Array.isArray(config.clusters) || config.clusters.length === 0) throw new ConfigurationError('kubeconfig', 'is not a kubeconfig: it has no clusters');
  const contexts = Array.isArray(config.contexts)
    ? (config.contexts as unknown[]).map((c) => (c && typeof c === 'object' ? String((c as { name?: unknown }).name ?? '') : '')).filter((n) => n !== '')
    : [];
  if (contexts.length === 0) throw new ConfigurationError('kubeconfig', 'is not a kubeconfig: it has no contexts');
  const current = typeof config['current-context'] === 'string' && config['current-context'] !== '' ? config['current-context'] : undefined;
  if (context !== undefined && !contexts.includes(context)) {
    throw new ConfigurationError('context', `'${context}' is not a context of the kubeconfig (it has ${contexts.length} context${contexts.length > 1 ? 's' : ''}${contexts.length <= 5 ? `: ${contexts.join(', ')}` : ''})`);
  }
  if (context === undefined && current === undefined) {
    throw new ConfigurationError('context', `the kubeconfig sets no current-context: name one${contexts.length <= 5 ? ` of ${contexts.join(', ')}` : ''}`);
  }
  if (context === undefined && current !== undefined && !contexts.includes(current)) {
    throw new ConfigurationError('kubeconfig', 'its current-context names a context it does not define');
  }
  return { text, contexts, ...(current !== undefined ? { currentContext: current } : {}) };
}

/** The namespace a context of the kubeconfig sets (read locally: no kubectl, no API call). */
export async function contextNamespaceOf(text: string, context: string | undefined): Promise<string | undefined> {
  const { parseYaml } = await import('../core/yaml.js');
  const config = parseYaml(text) as { contexts?: { name?: string; context?: { namespace?: string } }[]; 'current-context'?: string } | null;
  const name = context ?? config?.['current-context'];
  const namespace = config?.contexts?.find((c) => c.name === name)?.context?.namespace;
  return typeof namespace === 'string' && namespace !== '' ? namespace : undefined;
}

export interface KubeconfigFile {
  path: string;
  remove(): void;
}

/** Writes the kubeconfig 0600 under `tempDir` (RUNNER_TEMP); `remove()` deletes it. */
export function writeKubeconfig(text: string, tempDir: string): KubeconfigFile {
  mkdirSync(tempDir, { recursive: true });
  const path = join(tempDir, `shipline-kubeconfig-${randomUUID()}`);
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  return { path, remove: () => rmSync(path, { force: true }) };
}
