/**
 * build-and-sign inputs, read once into a typed object and validated before anything happens:
 * no network, no build. The signing key is decrypted here, so a wrong password fails first.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError, type InputReader, type Services } from '../../core/index.js';
import { parseKeyValues } from '../../build/labels.js';
import { defaultTags, normalizeTag, semverFromRef } from '../../build/tags.js';
import { isLoopbackRegistry, parseReference, repositoryName, ReferenceError, type Repository } from '../../oci/reference.js';
import type { SigningKey } from '../../sign/key.js';

export type BuilderChoice = 'auto' | 'docker' | 'buildah';
export type SignMode = 'keyless' | 'key' | 'none';
export type SignatureFormat = 'bundle' | 'legacy' | 'both';

export interface BuildAndSignInputs {
  /** The repository, parsed (`registry`, `path`). */
  repository: Repository;
  /** `registry/path` as users write it. */
  image: string;
  context: string;
  /** Remote contexts (git/https URLs) are passed through untouched. */
  remoteContext: boolean;
  file?: string;
  target?: string;
  /** Names and values; values reach the builder through its environment, never its command line. */
  buildArgs: [string, string][];
  /** User labels (override the automatic OCI labels). */
  labels: Record<string, string>;
  platforms: string[];
  /** Bare tags, in order, de-duplicated. */
  tags: string[];
  /** The SemVer version of a tag ref (for the version label). */
  version?: string;
  builder: BuilderChoice;
  push: boolean;
  credentials?: { username: string; password: string };
  sign: SignMode;
  /** Why `sign: auto` resolved the way it did (for the log). */
  signReason?: string;
  signingKey?: SigningKey;
  signatureFormat: SignatureFormat;
  insecureRegistry: boolean;
}

const PLATFORM = /^[a-z0-9_-]+\/[a-z0-9_-]+(?:\/[a-z0-9_.-]+)?$/;
const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function readRepository(input: InputReader): { repository: Repository; image: string } {
  const text = input.string('image', { required: true });
  let parsed;
  try {
    parsed = parseReference(text);
  } catch (error) {
    if (error instanceof ReferenceError) throw new ConfigurationError('image', error.message);
    throw error;
  }
  if (parsed.digest) throw new ConfigurationError('image', `give the repository without a digest ('${text}'); the digest is an output`);
  if (parsed.tag) throw new ConfigurationError('image', `give the repository without a tag ('${text}'); put tags in the tags input`);
  const repository = { registry: parsed.registry, path: parsed.path };
  return { repository, image: repositoryName(repository) };
}

function readContext(input: InputReader): { context: string; remote: boolean; file?: string } {
  const raw = input.string('context', { default: '.' });
  const remote = /^(?:https?:\/\/|git@|git:\/\/|ssh:\/\/)/.test(raw);
  const context = remote ? raw : (input.path('context', '.') as string);
  if (!remote && (!existsSync(context) || !statSync(context).isDirectory())) throw new ConfigurationError('context', `${raw} is not a directory`);
  const file = input.path('file');
  if (file && !remote && !existsSync(file)) throw new ConfigurationError('file', `${input.string('file')} does not exist`);
  if (!file && !remote && !['Containerfile', 'Dockerfile'].some((name) => existsSync(join(context, name)))) {
    throw new ConfigurationError('file', `no Dockerfile or Containerfile in ${raw}; set file`);
  }
  return { context, remote, ...(file ? { file } : {}) };
}

/** The signing key: inline PEM, or the path of a PEM file (handy for the CLI). */
function keyText(value: string, workspace: string): string {
  if (value.includes('-----BEGIN')) return value;
  const path = value.startsWith('/') ? value : join(workspace, value);
  if (!value.includes('\n') && existsSync(path) && statSync(path).isFile()) return readFileSync(path, 'utf8');
  return value;
}

export async function readBuildAndSignInputs(input: InputReader, services: Pick<Services, 'env' | 'workspace' | 'addSecret'>): Promise<BuildAndSignInputs> {
  const { env, workspace } = services;
  const { repository, image } = readRepository(input);
  const { context, remote, file } = readContext(input);
  const target = input.optional('target');

  const args = parseKeyValues(input.multiline('build-args'), 'build-arg', BUILD_ARG_NAME);
  if ('error' in args) throw new ConfigurationError('build-args', args.error);
  const labelValues = parseKeyValues(input.multiline('labels'), 'label');
  if ('error' in labelValues) throw new ConfigurationError('labels', labelValues.error);

  const platforms = input.list('platforms');
  for (const platform of platforms) {
    if (!PLATFORM.test(platform)) throw new ConfigurationError('platforms', `'${platform}' is not os/arch[/variant] (e.g. linux/amd64, linux/arm64/v8)`);
  }

  const tagLines = input.multiline('tags').flatMap((line) => line.split(',')).map((t) => t.trim()).filter(Boolean);
  const tags: string[] = [];
  for (const line of tagLines) {
    const result = normalizeTag(line, image);
    if ('error' in result) throw new ConfigurationError('tags', result.error);
    if (!tags.includes(result.tag)) tags.push(result.tag);
  }
  if (tags.length === 0) tags.push(...defaultTags(env['GITHUB_SHA'], env['GITHUB_REF']));
  if (tags.length === 0) throw new ConfigurationError('tags', 'no tags given, and GITHUB_SHA is not set to derive the default sha-<7> tag');

  const builder = input.enum('builder', ['auto', 'docker', 'buildah'] as const, 'auto');
  const push = input.boolean('push', true);
  const insecureRegistry = input.boolean('insecure-registry', false);

  const username = input.optional('registry-username');
  const password = input.secret('registry-password');
  if (password && !username) throw new ConfigurationError('registry-username', 'is required with registry-password');
  if (username && !password) throw new ConfigurationError('registry-password', 'is required with registry-username');
  const credentials = username && password ? { username, password } : undefined;
  if (credentials && insecureRegistry && !isLoopbackRegistry(repository.registry)) {
    throw new ConfigurationError('insecure-registry', `would send registry-password in clear text to ${repository.registry}; plain http with credentials is only allowed for loopback registries`);
  }

  const signChoice = input.enum('sign', ['auto', 'keyless', 'key', 'none'] as const, 'auto');
  const signatureFormat = input.enum('signature-format', ['bundle', 'legacy', 'both'] as const, 'bundle');
  const keyValue = input.secret('signing-key');
  // An empty password is legitimate for cosign keys; read it raw so '' is not "absent".
  const keyPassword = input.secret('signing-key-password');
  const oidc = Boolean(env['ACTIONS_ID_TOKEN_REQUEST_URL'] && env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']);

  let sign: SignMode;
  let signReason: string | undefined;
  if (signChoice === 'auto') {
    if (!push) [sign, signReason] = ['none', 'push is false: signatures are attached in the registry, by digest'];
    else if (keyValue) [sign, signReason] = ['key', 'signing-key is set'];
    else if (oidc) [sign, signReason] = ['keyless', 'the job has an OIDC token'];
    else [sign, signReason] = ['none', 'no signing-key and no OIDC token (add `permissions: id-token: write` to sign keylessly)'];
  } else sign = signChoice;

  if (sign !== 'none' && !push) throw new ConfigurationError('sign', `is ${sign} but push is false: signatures are attached in the registry, by digest`);
  if (sign === 'key' && !keyValue) throw new ConfigurationError('signing-key', 'is required when sign is key');
  if (sign === 'keyless' && !oidc) {
    const { MISSING_ID_TOKEN } = await import('../../sign/oidc.js');
    throw new ConfigurationError('sign', MISSING_ID_TOKEN);
  }

  let signingKey: SigningKey | undefined;
  if (sign === 'key' && keyValue) {
    const { loadSigningKey, KeyError } = await import('../../sign/key.js');
    const text = keyText(keyValue, workspace);
    if (text !== keyValue) services.addSecret(text);
    try {
      signingKey = await loadSigningKey(text, keyPassword ?? (text.includes('ENCRYPTED') ? '' : undefined));
    } catch (error) {
      if (error instanceof KeyError) {
        if (error.input === 'signing-key-password' && keyPassword === undefined) throw new ConfigurationError('signing-key-password', 'is required: signing-key is an encrypted cosign key');
        throw new ConfigurationError(error.input, error.message);
      }
      throw error;
    }
  }

  const version = semverFromRef(env['GITHUB_REF']);
  return {
    repository,
    image,
    context,
    remoteContext: remote,
    ...(file ? { file } : {}),
    ...(target ? { target } : {}),
    buildArgs: args.values,
    labels: Object.fromEntries(labelValues.values),
    platforms,
    tags,
    ...(version ? { version } : {}),
    builder,
    push,
    ...(credentials ? { credentials } : {}),
    sign,
    ...(signReason ? { signReason } : {}),
    ...(signingKey ? { signingKey } : {}),
    signatureFormat,
    insecureRegistry,
  };
}
