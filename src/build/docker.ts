/**
 * docker buildx: `buildx build --push --metadata-file F --iidfile I`. The digest comes from the
 * metadata file's `containerimage.digest` (what the registry stored: a manifest, or an index when
 * there are several platforms or provenance attestations) — never from the iidfile, which holds the
 * image ID (config digest) and is kept only for the metadata output. Plain-http registries need
 * `--output type=image,push=true,registry.insecure=true` instead of `--push`. Credentials never reach
 * a command line or the user's Docker config: buildx runs with DOCKER_CONFIG pointing at a private
 * copy (the user's config.json plus one `auths` entry; builders, contexts and plugins linked), which
 * is removed with the work directory — unlike `docker login`, nothing outlives the step.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SHA256_DIGEST } from '../oci/reference.js';
import { builderEnv, type Builder, type BuilderDeps, type BuildRequest, type BuildResult } from './builder.js';

export interface DockerPlan {
  build: string[];
  metadataFile: string;
  iidFile: string;
  /** DOCKER_CONFIG for the build, when credentials were given. */
  dockerConfig?: string;
}

/** The command lines for a request (pure: table-tested). */
export function dockerPlan(request: BuildRequest): DockerPlan {
  const metadataFile = join(request.workDir, 'metadata.json');
  const iidFile = join(request.workDir, 'iid');
  const build = ['buildx', 'build'];
  if (request.push) {
    // The image exporter takes its names from --tag.
    if (request.insecure) build.push('--output', 'type=image,push=true,registry.insecure=true');
    else build.push('--push');
  } else if (request.platforms.length <= 1) {
    build.push('--load');
  }
  build.push('--metadata-file', metadataFile, '--iidfile', iidFile);
  if (request.file) build.push('--file', request.file);
  if (request.target) build.push('--target', request.target);
  if (request.platforms.length) build.push('--platform', request.platforms.join(','));
  for (const [name] of request.buildArgs) build.push('--build-arg', name);
  for (const [key, value] of Object.entries(request.labels)) build.push('--label', `${key}=${value}`);
  for (const tag of request.tags) build.push('--tag', tag);
  build.push(request.context);
  return { build, metadataFile, iidFile, ...(request.credentials ? { dockerConfig: join(request.workDir, 'docker-config') } : {}) };
}

/**
 * A private Docker config directory: the user's config.json with an `auths` entry for `registry`
 * added (0600), and every other entry of the user's directory (buildx, contexts, cli-plugins) linked.
 */
export function prepareDockerConfig(
  target: string,
  registry: string,
  credentials: { username: string; password: string },
  env: Readonly<Record<string, string | undefined>>,
): void {
  const original = env['DOCKER_CONFIG'] || join(env['HOME'] || homedir(), '.docker');
  mkdirSync(target, { recursive: true, mode: 0o700 });
  let config: { auths?: Record<string, unknown>; [key: string]: unknown } = {};
  if (existsSync(original)) {
    for (const entry of readdirSync(original)) {
      if (entry === 'config.json') {
        try {
          config = JSON.parse(readFileSync(join(original, entry), 'utf8')) as typeof config;
        } catch {
          config = {};
        }
      } else symlinkSync(join(original, entry), join(target, entry));
    }
  }
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  const key = registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry;
  config.auths = { ...(config.auths ?? {}), [key]: { auth } };
  // A credential helper for this registry would take precedence over auths: drop it here.
  const helpers = config['credHelpers'] as Record<string, string> | undefined;
  if (helpers?.[key]) delete helpers[key];
  if (config['credsStore']) delete config['credsStore'];
  writeFileSync(join(target, 'config.json'), JSON.stringify(config), { mode: 0o600 });
}

/** The pushed digest from buildx's metadata file (`containerimage.digest`, else the descriptor's). */
export function digestFromMetadata(metadata: Record<string, unknown>): string | undefined {
  const direct = metadata['containerimage.digest'];
  if (typeof direct === 'string' && SHA256_DIGEST.test(direct)) return direct;
  const descriptor = metadata['containerimage.descriptor'] as { digest?: unknown } | undefined;
  if (typeof descriptor?.digest === 'string' && SHA256_DIGEST.test(descriptor.digest)) return descriptor.digest;
  return undefined;
}

export class DockerBuilder implements Builder {
  readonly name = 'docker' as const;
  constructor(
    private readonly deps: BuilderDeps,
    private readonly binary = 'docker',
  ) {}

  /** buildx is installed and the daemon answers (a docker CLI without a daemon cannot build). */
  async available(): Promise<boolean> {
    try {
      const env = builderEnv(this.deps.env, []);
      await this.deps.exec(this.binary, ['buildx', 'version'], { silent: true, timeoutMs: 20_000, env });
      await this.deps.exec(this.binary, ['version', '--format', '{{.Server.Version}}'], { silent: true, timeoutMs: 20_000, env });
      return true;
    } catch {
      return false;
    }
  }

  async build(request: BuildRequest): Promise<BuildResult> {
    const { exec } = this.deps;
    const plan = dockerPlan(request);
    const env = builderEnv(this.deps.env, request.buildArgs);
    if (plan.dockerConfig && request.credentials) {
      prepareDockerConfig(plan.dockerConfig, request.registry, request.credentials, this.deps.env);
      env['DOCKER_CONFIG'] = plan.dockerConfig;
    }
    await exec(this.binary, plan.build, { env, streamStderr: true });
    const metadata = existsSync(plan.metadataFile) ? (JSON.parse(readFileSync(plan.metadataFile, 'utf8')) as Record<string, unknown>) : {};
    const digest = digestFromMetadata(metadata);
    return { builder: 'docker', ...(digest ? { digest } : {}), pushed: request.push ? [...request.tags] : [], metadata };
  }
}
