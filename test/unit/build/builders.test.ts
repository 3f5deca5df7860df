import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BuildAndSignInputs } from '../../../src/actions/build-and-sign/inputs.js';
import type { Builder, BuildRequest } from '../../../src/build/builder.js';
import { buildahPlan, writeAuthFile } from '../../../src/build/buildah.js';
import { digestFromMetadata, DockerBuilder, dockerPlan, prepareDockerConfig } from '../../../src/build/docker.js';
import { runBuildAndSign } from '../../../src/build/run.js';
import { createServices, type Exec } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';

const base: BuildRequest = {
  context: '/src',
  buildArgs: [],
  labels: {},
  platforms: [],
  tags: ['ghcr.io/acme/api:sha-abcdef0', 'ghcr.io/acme/api:1.2.3'],
  push: true,
  insecure: false,
  registry: 'ghcr.io',
  workDir: '/w',
};

describe('buildah command lines', () => {
  it.each<[string, Partial<BuildRequest>, string[], string[] | undefined]>([
    ['one platform, pushed', {}, ['build', '--tag', 'L', '/src'], ['push', '--digestfile', '/w/digest', 'L', 'docker://ghcr.io/acme/api:sha-abcdef0']],
    [
      'file, target, args by name only, labels, credentials, plain http',
      { file: '/src/Containerfile.prod', target: 'runtime', buildArgs: [['TOKEN', 's3cret']], labels: { team: 'x' }, credentials: { username: 'u', password: 'p' }, insecure: true },
      ['build', '--file', '/src/Containerfile.prod', '--target', 'runtime', '--build-arg', 'TOKEN', '--label', 'team=x', '--authfile', '/w/auth.json', '--tag', 'L', '/src'],
      ['push', '--digestfile', '/w/digest', '--tls-verify=false', '--authfile', '/w/auth.json', 'L', 'docker://ghcr.io/acme/api:sha-abcdef0'],
    ],
    [
      'two platforms make a manifest list, pushed with --all',
      { platforms: ['linux/amd64', 'linux/arm64'] },
      ['build', '--platform', 'linux/amd64,linux/arm64', '--manifest', 'L', '/src'],
      ['manifest', 'push', '--all', '--digestfile', '/w/digest', 'L', 'docker://ghcr.io/acme/api:sha-abcdef0'],
    ],
    ['push: false builds only', { push: false }, ['build', '--tag', 'L', '/src'], undefined],
  ])('%s', (_name, request, build, push) => {
    const plan = buildahPlan({ ...base, ...request }, 'L');
    expect(plan.build).toEqual(build);
    expect(plan.push).toEqual(push);
    expect(JSON.stringify(plan)).not.toContain('s3cret');
  });

  it('writes the auth file 0600 in the containers-auth.json format', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'auth-')), 'auth.json');
    writeAuthFile(file, '127.0.0.1:5000', { username: 'u', password: 'p@ss' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ auths: { '127.0.0.1:5000': { auth: Buffer.from('u:p@ss').toString('base64') } } });
  });
});

describe('docker buildx command lines', () => {
  it.each<[string, Partial<BuildRequest>, string[]]>([
    [
      'push with every tag, metadata and iid files',
      {},
      ['buildx', 'build', '--push', '--metadata-file', '/w/metadata.json', '--iidfile', '/w/iid', '--tag', 'ghcr.io/acme/api:sha-abcdef0', '--tag', 'ghcr.io/acme/api:1.2.3', '/src'],
    ],
    [
      'plain-http registry: an image output with registry.insecure',
      { insecure: true, tags: ['localhost:5000/a:t'] },
      ['buildx', 'build', '--output', 'type=image,push=true,registry.insecure=true', '--metadata-file', '/w/metadata.json', '--iidfile', '/w/iid', '--tag', 'localhost:5000/a:t', '/src'],
    ],
    [
      'no push, one platform: --load; build args by name only',
      { push: false, tags: ['a:t'], buildArgs: [['NPM_TOKEN', 'secret-value']], platforms: ['linux/arm64'], target: 't', file: 'f' },
      ['buildx', 'build', '--load', '--metadata-file', '/w/metadata.json', '--iidfile', '/w/iid', '--file', 'f', '--target', 't', '--platform', 'linux/arm64', '--build-arg', 'NPM_TOKEN', '--tag', 'a:t', '/src'],
    ],
  ])('%s', (_name, request, expected) => {
    expect(dockerPlan({ ...base, ...request }).build).toEqual(expected);
  });

  it.each([
    ['containerimage.digest', { 'containerimage.digest': 'sha256:' + 'a'.repeat(64), 'containerimage.config.digest': 'sha256:' + 'c'.repeat(64) }, 'sha256:' + 'a'.repeat(64)],
    ['the descriptor when the digest key is absent', { 'containerimage.descriptor': { mediaType: 'application/vnd.oci.image.index.v1+json', digest: 'sha256:' + 'b'.repeat(64), size: 1 } }, 'sha256:' + 'b'.repeat(64)],
    ['nothing (never the image ID)', { 'containerimage.config.digest': 'sha256:' + 'c'.repeat(64) }, undefined],
  ])('reads the pushed digest from the metadata file: %s', (_name, metadata, expected) => {
    expect(digestFromMetadata(metadata)).toBe(expected);
  });

  it('gives buildx a private DOCKER_CONFIG: the user config plus one auths entry, other entries linked, 0600', () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    const userConfig = join(home, '.docker');
    mkdirSync(join(userConfig, 'buildx'), { recursive: true });
    writeFileSync(join(userConfig, 'config.json'), JSON.stringify({ auths: { 'other.io': { auth: 'eDp5' } }, credHelpers: { 'ghcr.io': 'gh' } }));
    const target = join(home, 'private');
    prepareDockerConfig(target, 'ghcr.io', { username: 'u', password: 'p' }, { HOME: home });
    const written = JSON.parse(readFileSync(join(target, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(written).toEqual({ auths: { 'other.io': { auth: 'eDp5' }, 'ghcr.io': { auth: Buffer.from('u:p').toString('base64') } }, credHelpers: {} });
    expect(statSync(join(target, 'config.json')).mode & 0o777).toBe(0o600);
    expect(readlinkSync(join(target, 'buildx'))).toBe(join(userConfig, 'buildx'));
    // the user's own file is untouched
    expect(JSON.parse(readFileSync(join(userConfig, 'config.json'), 'utf8'))).toEqual({ auths: { 'other.io': { auth: 'eDp5' } }, credHelpers: { 'ghcr.io': 'gh' } });
  });

  it('runs buildx with build-arg values in the environment and DOCKER_CONFIG pointing at the private copy', async () => {
    const calls: { args: readonly string[]; env: Record<string, string | undefined> | undefined }[] = [];
    const workDir = mkdtempSync(join(tmpdir(), 'w-'));
    const exec: Exec = async (_file, args, options) => {
      calls.push({ args, env: options?.env });
      const meta = args.indexOf('--metadata-file');
      if (meta >= 0) writeFileSync(args[meta + 1] as string, JSON.stringify({ 'containerimage.digest': 'sha256:' + 'd'.repeat(64) }));
      return { exitCode: 0, stdout: '', stderr: '', durationMs: 1 };
    };
    const runner = new MemoryRunner();
    const services = createServices(runner);
    const builder = new DockerBuilder({ exec, log: services.log, env: { HOME: workDir, PATH: '/bin' } });
    const result = await builder.build({ ...base, workDir, buildArgs: [['NPM_TOKEN', 'tok']], credentials: { username: 'u', password: 'p' } });
    expect(result.digest).toBe('sha256:' + 'd'.repeat(64));
    expect(calls[0]?.env).toMatchObject({ NPM_TOKEN: 'tok', DOCKER_CONFIG: join(workDir, 'docker-config'), PATH: '/bin' });
    expect(calls[0]?.args.join(' ')).not.toContain('tok');
    expect(calls[0]?.args.join(' ')).not.toContain(' p ');
  });
});

describe('builder choice', () => {
  function fake(name: 'docker' | 'buildah', available: boolean, built: string[]): Builder {
    return {
      name,
      available: async () => available,
      build: async () => {
        built.push(name);
        return { builder: name, pushed: [] };
      },
    };
  }
  const inputs = (builder: BuildAndSignInputs['builder']): BuildAndSignInputs => ({
    repository: { registry: 'localhost:5000', path: 'acme/api' },
    image: 'localhost:5000/acme/api',
    context: '/src',
    remoteContext: false,
    buildArgs: [],
    labels: {},
    platforms: [],
    tags: ['t'],
    builder,
    push: false,
    sign: 'none',
    signatureFormat: 'bundle',
    insecureRegistry: true,
  });

  it.each<[BuildAndSignInputs['builder'], boolean, boolean, string | RegExp]>([
    ['auto', true, true, 'docker'],
    ['auto', false, true, 'buildah'],
    ['buildah', true, true, 'buildah'],
    ['docker', false, true, /Input 'builder': docker buildx is not usable here/],
    ['buildah', true, false, /Input 'builder': buildah is not installed here/],
    ['auto', false, false, /no image builder here/],
  ])('builder %s with docker=%s buildah=%s → %s', async (choice, docker, buildah, expected) => {
    const built: string[] = [];
    const services = createServices(new MemoryRunner({}, { RUNNER_TEMP: tmpdir() }));
    const outcome = await runBuildAndSign(inputs(choice), services, { builders: [fake('docker', docker, built), fake('buildah', buildah, built)] }).then(
      (r) => r.builder,
      (e: unknown) => (e as Error).message,
    );
    if (typeof expected === 'string') {
      expect(outcome).toBe(expected);
      expect(built).toEqual([expected]);
    } else {
      expect(outcome).toMatch(expected);
      expect(built).toEqual([]);
    }
  });
});
