/**
 * One interface over the image builders. A builder builds the context, pushes the image under its
 * first tag and reports the digest **the registry stored** (from buildx's metadata file or
 * buildah's digest file — never the local image ID). Extra tags are added registry-side by the
 * caller, so every tag points at exactly that digest.
 */
import type { Exec } from '../core/index.js';
import type { Logger } from '../core/index.js';

export interface BuildRequest {
  context: string;
  file?: string;
  target?: string;
  /** Passed as `--build-arg NAME`, the value in the builder's environment (never on its command line). */
  buildArgs: [string, string][];
  labels: Record<string, string>;
  platforms: string[];
  /** Full references (`registry/path:tag`); the builder pushes at least the first. */
  tags: string[];
  push: boolean;
  insecure: boolean;
  registry: string;
  credentials?: { username: string; password: string };
  /** A private scratch directory (metadata, digest and auth files). */
  workDir: string;
}

export interface BuildResult {
  builder: 'docker' | 'buildah';
  /** The digest of what was pushed: a manifest, or an index for several platforms (and buildx attestations). */
  digest?: string;
  /** References the builder itself pushed. */
  pushed: string[];
  /** buildx's metadata file, parsed (for the metadata output). */
  metadata?: Record<string, unknown>;
}

export interface BuilderDeps {
  exec: Exec;
  log: Logger;
  env: Readonly<Record<string, string | undefined>>;
}

export interface Builder {
  readonly name: 'docker' | 'buildah';
  /** True when the tool is installed and usable here (buildx needs a reachable daemon). */
  available(): Promise<boolean>;
  build(request: BuildRequest): Promise<BuildResult>;
}

/**
 * Environment for the builder: the runner's environment (the tool's own settings such as
 * DOCKER_HOST, STORAGE_DRIVER, BUILDAH_ISOLATION) plus build-arg values by name.
 */
export function builderEnv(env: Readonly<Record<string, string | undefined>>, buildArgs: [string, string][]): Record<string, string | undefined> {
  return { ...env, ...Object.fromEntries(buildArgs) };
}
