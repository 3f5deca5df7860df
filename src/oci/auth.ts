/**
 * Registry authentication: `WWW-Authenticate` challenges (RFC 7235 syntax), Basic credentials, and
 * the Docker token protocol (`Bearer realm=…,service=…,scope=…` → GET realm → `token`/`access_token`).
 * Credentials come from the action's inputs or, when none are given, from the Docker config a
 * previous login step wrote (`auths` entries and credential helpers).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Exec } from '../core/index.js';
import { DOCKER_HUB, DOCKER_HUB_API } from './reference.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…"` (and several challenges in one header). */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  const challenges: Challenge[] = [];
  if (!header) return challenges;
  const text = header;
  let i = 0;
  const isTokenChar = (c: string | undefined): boolean => c !== undefined && /[\w!#$%&'*+.^`|~/-]/.test(c);
  const skip = (chars: RegExp): void => {
    while (i < text.length && chars.test(text[i] as string)) i++;
  };
  let current: Challenge | undefined;
  while (i < text.length) {
    skip(/[\s,]/);
    const start = i;
    while (isTokenChar(text[i])) i++;
    if (i === start) {
      i++; // not a token: skip the character
      continue;
    }
    const token = text.slice(start, i);
    skip(/\s/);
    if (text[i] === '=' && current) {
      i++;
      skip(/\s/);
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          value += text[i];
          i++;
        }
        i++; // closing quote
      } else {
        const valueStart = i;
        while (i < text.length && !/[\s,]/.test(text[i] as string)) i++;
        value = text.slice(valueStart, i);
      }
      current.params[token.toLowerCase()] = value;
    } else {
      current = { scheme: token.toLowerCase(), params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}

export function basicAuth(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

function dockerConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  return join(env['DOCKER_CONFIG'] || join(env['HOME'] || homedir(), '.docker'), 'config.json');
}

/** Keys a Docker config may use for one registry. */
function configKeys(registry: string): string[] {
  const keys = [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
  if (registry === DOCKER_HUB || registry === DOCKER_HUB_API) keys.push('https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io');
  return keys;
}

/**
 * Credentials a previous `docker login` (docker/login-action, `buildah login --authfile`) stored for
 * this registry, or undefined. Credential helpers are run through the exec wrapper, silently.
 */
export async function dockerConfigCredentials(
  registry: string,
  env: Readonly<Record<string, string | undefined>>,
  exec?: Exec,
): Promise<Credentials | undefined> {
  const path = dockerConfigPath(env);
  if (!existsSync(path)) return undefined;
  let config: DockerConfig;
  try {
    config = JSON.parse(readFileSync(path, 'utf8')) as DockerConfig;
  } catch {
    return undefined;
  }
  const keys = configKeys(registry);
  for (const key of keys) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  const helper = keys.map((k) => config.credHelpers?.[k]).find(Boolean) ?? config.credsStore;
  if (helper && exec) {
    try {
      const { stdout } = await exec(`docker-credential-${helper}`, ['get'], { input: registry, silent: true, timeoutMs: 30_000 });
      const parsed = JSON.parse(stdout) as { Username?: string; Secret?: string };
      if (parsed.Username && parsed.Secret) return { username: parsed.Username, password: parsed.Secret };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
