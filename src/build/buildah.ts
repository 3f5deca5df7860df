/**
 * buildah: `buildah build` (alias `bud`) then `buildah push --digestfile` for one platform, or
 * `buildah build --manifest` + `buildah manifest push --all --digestfile` for several. Storage driver
 * and isolation are buildah's own settings (STORAGE_DRIVER, BUILDAH_ISOLATION, storage.conf), so
 * the runner's defaults apply unless the job sets them.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHA256_DIGEST } from '../oci/reference.js';
import { builderEnv, type Builder, type BuilderDeps, type BuildRequest, type BuildResult } from './builder.js';

export interface BuildahPlan {
  /** Local name of the image (or manifest list) in buildah's storage. */
  localName: string;
  build: string[];
  push?: string[];
  digestFile: string;
  authFile?: string;
}

/** Writes a containers-auth.json (0600) with the credentials for one registry. */
export function writeAuthFile(path: string, registry: string, credentials: { username: string; password: string }): void {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  writeFileSync(path, JSON.stringify({ auths: { [registry]: { auth } } }), { mode: 0o600 });
}

/** The command lines for a request (pure: table-tested). */
export function buildahPlan(request: BuildRequest, localName: string): BuildahPlan {
  const multi = request.platforms.length > 1;
  const digestFile = join(request.workDir, 'digest');
  const authFile = request.credentials ? join(request.workDir, 'auth.json') : undefined;
  const build = ['build'];
  if (request.file) build.push('--file', request.file);
  if (request.target) build.push('--target', request.target);
  if (request.platforms.length) build.push('--platform', request.platforms.join(','));
  for (const [name] of request.buildArgs) build.push('--build-arg', name);
  for (const [key, value] of Object.entries(request.labels)) build.push('--label', `${key}=${value}`);
  if (authFile) build.push('--authfile', authFile);
  build.push(multi ? '--manifest' : '--tag', localName, request.context);

  const destination = request.tags[0];
  let push: string[] | undefined;
  if (request.push && destination) {
    push = multi ? ['manifest', 'push', '--all'] : ['push'];
    push.push('--digestfile', digestFile);
    if (request.insecure) push.push('--tls-verify=false');
    if (authFile) push.push('--authfile', authFile);
    push.push(localName, `docker://${destination}`);
  }
  return { localName, build, ...(push ? { push } : {}), digestFile, ...(authFile ? { authFile } : {}) };
}

export class BuildahBuilder implements Builder {
  readonly name = 'buildah' as const;
  constructor(
    private readonly deps: BuilderDeps,
    private readonly binary = 'buildah',
  ) {}

  async available(): Promise<boolean> {
    try {
      await this.deps.exec(this.binary, ['--version'], { silent: true, timeoutMs: 20_000, env: builderEnv(this.deps.env, []) });
      return true;
    } catch {
      return false;
    }
  }

  async build(request: BuildRequest): Promise<BuildResult> {
    const { exec } = this.deps;
    const localName = `localhost/shipline-build-${randomBytes(6).toString('hex')}:latest`;
    const plan = buildahPlan(request, localName);
    if (plan.authFile && request.credentials) writeAuthFile(plan.authFile, request.registry, request.credentials);
    const env = builderEnv(this.deps.env, request.buildArgs);
    await exec(this.binary, plan.build, { env, streamStderr: true });
    if (!plan.push) return { builder: 'buildah', pushed: [] };
    await exec(this.binary, plan.push, { env: builderEnv(this.deps.env, []), streamStderr: true });
    const digest = readFileSync(plan.digestFile, 'utf8').trim();
    if (!SHA256_DIGEST.test(digest)) throw new Error(`buildah wrote '${digest}' to its digest file, not a sha256 digest`);
    return { builder: 'buildah', digest, pushed: [request.tags[0] as string] };
  }
}
