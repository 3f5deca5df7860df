/**
 * build-and-sign: check the registry answers (and takes the credentials) before building, build
 * and push with docker buildx or buildah, read the digest the registry stored, point every tag at
 * it, sign that digest (never a tag), read the signatures back and verify them, then report.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ActionFailedError, ConfigurationError, formatDuration, startProgress, type Services } from '../core/index.js';
import type { BuildAndSignInputs } from '../actions/build-and-sign/inputs.js';
import { dockerConfigCredentials, type Credentials } from '../oci/auth.js';
import { RegistryClient, type FetchFn } from '../oci/client.js';
import { RegistryAuthError, RegistryError, RegistryUnreachableError } from '../oci/errors.js';
import { formatPlatform, isIndex, type Descriptor } from '../oci/manifest.js';
import { isLoopbackRegistry } from '../oci/reference.js';
import type { Builder, BuildResult } from './builder.js';
import { BuildahBuilder } from './buildah.js';
import { DockerBuilder } from './docker.js';
import { ociLabels } from './labels.js';
import { writeBuildSummary } from './summary.js';
import type { SignatureRecord } from '../sign/sign.js';

export interface BuildAndSignDeps {
  fetch?: FetchFn;
  /** Builders to choose from (tests inject fakes or pin binaries); default docker then buildah. */
  builders?: Builder[];
  /** Registry retry pacing (tests make it fast). */
  registryRetryDelayMs?: number;
}

export interface PlatformImage {
  platform: string;
  digest: string;
}

export interface BuildAndSignReport {
  image: string;
  repository: string;
  digest: string;
  mediaType: string;
  tags: string[];
  builder: 'docker' | 'buildah';
  pushed: boolean;
  platforms: PlatformImage[];
  labels: Record<string, string>;
  signatures: SignatureRecord[];
  verifyCommand?: string;
  publicKey?: string;
  timings: { preflightMs: number; buildMs: number; publishMs: number; signMs: number; totalMs: number };
  buildxMetadata?: Record<string, unknown>;
}

function registryProblem(error: unknown, inputs: BuildAndSignInputs): never {
  if (error instanceof RegistryUnreachableError) throw new ConfigurationError('image', error.message);
  if (error instanceof RegistryAuthError) throw new ConfigurationError(inputs.credentials ? 'registry-password' : 'registry-username', error.message);
  throw error;
}

async function chooseBuilder(inputs: BuildAndSignInputs, builders: Builder[]): Promise<Builder> {
  const docker = builders.find((b) => b.name === 'docker');
  const buildah = builders.find((b) => b.name === 'buildah');
  if (inputs.builder !== 'auto') {
    const chosen = inputs.builder === 'docker' ? docker : buildah;
    if (!chosen || !(await chosen.available())) {
      throw new ConfigurationError('builder', inputs.builder === 'docker' ? 'docker buildx is not usable here (is the docker daemon running?); use builder: buildah or auto' : 'buildah is not installed here; use builder: docker or auto');
    }
    return chosen;
  }
  if (docker && (await docker.available())) return docker;
  if (buildah && (await buildah.available())) return buildah;
  throw new ActionFailedError('no image builder here: docker buildx (with a running daemon) and buildah are both unavailable');
}

export async function runBuildAndSign(inputs: BuildAndSignInputs, services: Services, deps: BuildAndSignDeps = {}): Promise<BuildAndSignReport> {
  const { log, clock, exec, env } = services;
  const started = clock.now();
  const repo = inputs.repository.path;
  const refs = inputs.tags.map((t) => `${inputs.image}:${t}`);

  if (inputs.signingKey && inputs.sign !== 'key') log.warning(`signing-key is ignored: sign is ${inputs.sign}`);
  if (inputs.signReason) log.info(`sign: ${inputs.sign} (${inputs.signReason})`);
  if (inputs.insecureRegistry && !isLoopbackRegistry(inputs.repository.registry)) {
    log.warning(`insecure-registry: talking plain http to ${inputs.repository.registry}, which is not a loopback address`);
  }

  // Credentials: the inputs, else whatever a previous login step stored for this registry.
  let credentials: Credentials | undefined = inputs.credentials;
  if (!credentials) credentials = await dockerConfigCredentials(inputs.repository.registry, env, exec);
  if (credentials) services.addSecret(credentials.password);
  const client = new RegistryClient({
    registry: inputs.repository.registry,
    insecure: inputs.insecureRegistry,
    ...(credentials ? { credentials } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    clock,
    log,
    ...(deps.registryRetryDelayMs !== undefined ? { minDelayMs: deps.registryRetryDelayMs } : {}),
    userAgent: 'shipline-build-and-sign',
  });

  // 1. Before any side effect: the registry answers and grants push; a builder is usable. (Both
  //    checks run at once; the registry's verdict is reported first.)
  const builders = deps.builders ?? [new DockerBuilder({ exec, log, env }), new BuildahBuilder({ exec, log, env })];
  const [pinged, chosen] = await Promise.allSettled([inputs.push ? client.ping(repo, ['pull', 'push']) : Promise.resolve(), chooseBuilder(inputs, builders)]);
  if (pinged.status === 'rejected') registryProblem(pinged.reason, inputs);
  if (chosen.status === 'rejected') throw chosen.reason;
  const builder = chosen.value;
  const preflightMs = clock.now() - started;

  const labels = {
    ...ociLabels({
      serverUrl: env['GITHUB_SERVER_URL'],
      repository: env['GITHUB_REPOSITORY'],
      sha: env['GITHUB_SHA'],
      image: inputs.image,
      version: inputs.version ?? inputs.tags[0],
      createdMs: clock.now(),
    }),
    ...inputs.labels,
  };

  const workDir = mkdtempSync(join(services.tempDir, 'shipline-build-'));
  let result: BuildResult;
  const buildStarted = clock.now();
  try {
    const stopProgress = startProgress(log, () => `… building with ${builder.name}: ${formatDuration(clock.now() - buildStarted)} elapsed`);
    try {
      result = await log.group(`Build ${refs[0]} with ${builder.name}${inputs.platforms.length ? ` (${inputs.platforms.join(', ')})` : ''}`, () =>
        builder.build({
          context: inputs.context,
          ...(inputs.file ? { file: inputs.file } : {}),
          ...(inputs.target ? { target: inputs.target } : {}),
          buildArgs: inputs.buildArgs,
          labels,
          platforms: inputs.platforms,
          tags: refs,
          push: inputs.push,
          insecure: inputs.insecureRegistry,
          registry: inputs.repository.registry,
          ...(credentials ? { credentials } : {}),
          workDir,
        }),
      );
    } finally {
      stopProgress();
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const buildMs = clock.now() - buildStarted;
  log.info(`Built with ${builder.name} in ${formatDuration(buildMs)}.`);

  if (!inputs.push) {
    const report: BuildAndSignReport = {
      image: '',
      repository: inputs.image,
      digest: result.digest ?? '',
      mediaType: '',
      tags: refs,
      builder: builder.name,
      pushed: false,
      platforms: [],
      labels,
      signatures: [],
      timings: { preflightMs, buildMs, publishMs: 0, signMs: 0, totalMs: clock.now() - started },
      ...(result.metadata ? { buildxMetadata: result.metadata } : {}),
    };
    setOutputs(report, services);
    writeBuildSummary(report, services.summary);
    log.info('push is false: nothing pushed, nothing signed.');
    return report;
  }

  // 2. The digest the registry stored, every tag pointing at it.
  const publishStarted = clock.now();
  let image: Descriptor;
  let platforms: PlatformImage[] = [];
  try {
    const digest = result.digest ?? (await client.headManifest(repo, inputs.tags[0] as string))?.digest;
    if (!digest) throw new ActionFailedError(`${builder.name} pushed ${refs[0]} but the registry reports no digest for it`);
    const fetched = await client.getManifest(repo, digest, { retryNotFound: true });
    if (!fetched) throw new ActionFailedError(`the registry does not have ${inputs.image}@${digest} after the push`);
    image = fetched.descriptor;
    if (isIndex(fetched.manifest, image.mediaType) && 'manifests' in fetched.manifest) {
      platforms = fetched.manifest.manifests
        .filter((m) => m.platform && m.platform.os !== 'unknown')
        .map((m) => ({ platform: formatPlatform(m.platform), digest: m.digest }));
    }
    for (const tag of inputs.tags) {
      const ref = `${inputs.image}:${tag}`;
      if (!result.pushed.includes(ref)) await client.putManifest(repo, tag, fetched.body, image.mediaType);
      const current = await client.headManifest(repo, tag);
      if (current?.digest !== image.digest) throw new ActionFailedError(`${ref} points at ${current?.digest ?? 'nothing'}, not the built ${image.digest}`);
    }
  } catch (error) {
    if (error instanceof RegistryError) throw new ActionFailedError(error.message);
    throw error;
  }
  const imageRef = `${inputs.image}@${image.digest}`;
  log.info(`✓ ${imageRef} (${refs.length} tag${refs.length > 1 ? 's' : ''}: ${inputs.tags.join(', ')})`);
  const publishMs = clock.now() - publishStarted;
  // The image exists now: its digest is an output even if signing fails below.
  services.outputs.set('digest', image.digest);
  services.outputs.set('image', imageRef);
  services.outputs.set('tags', refs);

  // 3. Sign by digest, then verify what the registry now holds.
  const signStarted = clock.now();
  let signatures: SignatureRecord[] = [];
  let verifyCommand: string | undefined;
  let publicKey: string | undefined;
  if (inputs.sign !== 'none') {
    const { signAndVerify } = await import('./sign-step.js');
    try {
      const signed = await log.group(`Sign ${imageRef} (${inputs.sign}, ${inputs.signatureFormat})`, () =>
        signAndVerify({ inputs, services, client, repo, image, imageRef, ...(deps.fetch ? { fetch: deps.fetch } : {}) }),
      );
      signatures = signed.signatures;
      verifyCommand = signed.verifyCommand;
      publicKey = signed.publicKey;
    } catch (error) {
      services.summary.heading(`build-and-sign: \`${imageRef}\` pushed, **signing failed**`);
      services.summary.paragraph(`The image was pushed (tags: ${refs.map((r) => `\`${r}\``).join(', ')}) but has no verified signature. Do not deploy it.`);
      throw error;
    }
  }
  const signMs = clock.now() - signStarted;

  const report: BuildAndSignReport = {
    image: imageRef,
    repository: inputs.image,
    digest: image.digest,
    mediaType: image.mediaType,
    tags: refs,
    builder: builder.name,
    pushed: true,
    platforms,
    labels,
    signatures,
    ...(verifyCommand ? { verifyCommand } : {}),
    ...(publicKey ? { publicKey } : {}),
    timings: { preflightMs, buildMs, publishMs, signMs, totalMs: clock.now() - started },
    ...(result.metadata ? { buildxMetadata: result.metadata } : {}),
  };
  setOutputs(report, services);
  writeBuildSummary(report, services.summary);
  return report;
}

function setOutputs(report: BuildAndSignReport, { outputs }: Services): void {
  outputs.set('digest', report.digest);
  outputs.set('image', report.image);
  outputs.set('tags', report.tags);
  outputs.set('signature-digest', report.signatures[0]?.digest ?? '');
  outputs.set('metadata', {
    image: report.image,
    repository: report.repository,
    digest: report.digest,
    mediaType: report.mediaType,
    tags: report.tags,
    builder: report.builder,
    pushed: report.pushed,
    platforms: report.platforms,
    labels: report.labels,
    signatures: report.signatures,
    ...(report.verifyCommand ? { verify: report.verifyCommand } : {}),
    timings: report.timings,
    ...(report.buildxMetadata ? { buildx: report.buildxMetadata } : {}),
  });
}
