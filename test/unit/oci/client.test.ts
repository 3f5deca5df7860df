import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/oci/client.js';
import { RegistryAuthError, RegistryError, RegistryUnreachableError } from '../../../src/oci/errors.js';
import { sha256Digest, type ImageManifest } from '../../../src/oci/manifest.js';
import { OCI_CONFIG, OCI_MANIFEST } from '../../../src/oci/media-types.js';
import { attachReferrer } from '../../../src/oci/referrers.js';
import { registryAvailable, startRegistry, REGISTRY_INSTALL, type RunningRegistry } from '../../helpers/registry.js';
import { startRegistryEmulator, type RegistryEmulator } from './registry-emulator.js';

function fakeClock(): { now: () => number; sleep: (ms: number) => Promise<void>; sleeps: number[] } {
  const sleeps: number[] = [];
  let now = Date.parse('2026-01-01T00:00:00Z');
  return { now: () => now, sleep: async (ms) => void (sleeps.push(ms), (now += ms)), sleeps };
}

async function pushImage(client: RegistryClient, repo: string, tag: string, content = `layer ${Math.random()}`): Promise<{ digest: string; size: number; manifest: ImageManifest }> {
  const layer = Buffer.from(content);
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  await client.pushBlob(repo, layer);
  await client.pushBlob(repo, config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: sha256Digest(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256Digest(layer), size: layer.length }],
  };
  const pushed = await client.pushManifest(repo, tag, manifest);
  return { digest: pushed.digest, size: pushed.size, manifest };
}

describe('RegistryClient against an OCI distribution-spec emulator (bearer tokens, referrers API, injected faults)', () => {
  let emulator: RegistryEmulator;
  beforeAll(async () => (emulator = await startRegistryEmulator({ credentials: { username: 'ci', password: 'pw' } })));
  afterAll(async () => emulator?.close());

  const client = (clock = fakeClock(), password = 'pw'): RegistryClient => new RegistryClient({ registry: emulator.host, insecure: true, credentials: { username: 'ci', password }, clock });

  it('gets a bearer token for exactly the scope it needs (pull,push on the repository) with Basic credentials', async () => {
    emulator.tokenRequests.length = 0;
    await client().ping('acme/api', ['pull', 'push']);
    expect(emulator.tokenRequests).toEqual([{ scope: 'repository:acme/api:pull,push', user: 'ci' }]);
  });

  it('reports refused credentials as an auth error, not retried', async () => {
    const clock = fakeClock();
    const error = await client(clock, 'wrong').ping('acme/api', ['pull', 'push']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect((error as Error).message).toBe(`${emulator.host} rejected the credentials of 'ci' (token service answered 401)`);
    expect(clock.sleeps).toEqual([]);
  });

  it('pushes blobs and a manifest, then reads them back by tag and digest', async () => {
    const c = client();
    const image = await pushImage(c, 'acme/api', 'v1');
    expect(await c.headManifest('acme/api', 'v1')).toEqual({ mediaType: OCI_MANIFEST, digest: image.digest, size: image.size });
    const fetched = await c.getManifest('acme/api', image.digest);
    expect(fetched?.manifest).toEqual(image.manifest);
    expect(await c.getManifest('acme/api', 'missing')).toBeUndefined();
    expect(await c.getBlob('acme/api', image.manifest.config.digest)).toEqual(Buffer.from('{"architecture":"amd64","os":"linux"}'));
  });

  it('skips uploading a blob the registry already has', async () => {
    const c = client();
    await c.pushBlob('acme/api', Buffer.from('same blob'));
    const before = emulator.log.length;
    await c.pushBlob('acme/api', Buffer.from('same blob'));
    expect(emulator.log.slice(before).map((l) => l.split(' ')[0])).toEqual(['HEAD']);
  });

  it('refuses a manifest whose bytes do not match the digest asked for', async () => {
    const c = client();
    const image = await pushImage(c, 'acme/api', 'tampered');
    emulator.tamper(image.digest, JSON.stringify({ ...image.manifest, annotations: { evil: 'yes' } }));
    const error = await c.getManifest('acme/api', image.digest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe('DIGEST_INVALID');
  });

  it('retries 503s with backoff and honours a 429 Retry-After', async () => {
    const clock = fakeClock();
    const c = client(clock);
    await c.ping('acme/api', ['pull', 'push']);
    emulator.fault({ match: /^HEAD \/v2\/acme\/api\/manifests\/v1$/, status: 503, times: 2 });
    emulator.fault({ match: /^HEAD \/v2\/acme\/api\/manifests\/v1$/, status: 429, headers: { 'Retry-After': '7' } });
    expect(await c.headManifest('acme/api', 'v1')).toBeDefined();
    expect(clock.sleeps).toHaveLength(3);
    expect(clock.sleeps[2]).toBe(7000);
    expect(clock.sleeps[1] as number).toBeGreaterThan(clock.sleeps[0] as number);
  });

  it('gives up after its retries with the registry error code', async () => {
    const clock = fakeClock();
    emulator.fault({ match: /^GET \/v2\/acme\/api\/manifests\/v1$/, status: 500, times: 10, body: '{"errors":[{"code":"UNKNOWN","message":"disk full"}]}' });
    const error = await client(clock).getManifest('acme/api', 'v1').catch((e: unknown) => e);
    expect((error as RegistryError).status).toBe(500);
    expect((error as Error).message).toContain('UNKNOWN: disk full');
    expect(clock.sleeps).toHaveLength(4);
  });

  it('retries MANIFEST_UNKNOWN right after a push only when asked (eventual consistency)', async () => {
    const c = client();
    const image = await pushImage(c, 'acme/api', 'lagging');
    emulator.lagManifests(2);
    expect((await c.getManifest('acme/api', image.digest, { retryNotFound: true }))?.descriptor.digest).toBe(image.digest);
    emulator.lagManifests(1);
    expect(await c.getManifest('acme/api', image.digest)).toBeUndefined();
  });

  it('attaches a referrer through the referrers API when the registry indexes subjects (OCI-Subject), writing no fallback tag', async () => {
    const c = client();
    const image = await pushImage(c, 'acme/api', 'with-referrer');
    const attached = await attachReferrer(c, 'acme/api', { mediaType: OCI_MANIFEST, digest: image.digest, size: image.size }, {
      artifactType: 'application/vnd.example+json',
      data: Buffer.from('{"hello":"world"}'),
      annotations: { a: 'b' },
    });
    expect(attached.indexedBy).toBe('api');
    expect(emulator.log.some((l) => l.includes(`/manifests/${image.digest.replace(':', '-')}`))).toBe(false);
    const listed = await c.referrers('acme/api', image.digest, 'application/vnd.example+json');
    expect(listed).toEqual({ via: 'api', manifests: [expect.objectContaining({ digest: attached.descriptor.digest, artifactType: 'application/vnd.example+json' })] });
    expect((await c.referrers('acme/api', image.digest, 'application/other')).manifests).toEqual([]);
  });
});

describe('RegistryClient transport failures', () => {
  it('reports a refused connection as unreachable at once (no retries)', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    const clock = fakeClock();
    const error = await new RegistryClient({ registry: `127.0.0.1:${port}`, insecure: true, clock }).ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnreachableError);
    expect((error as Error).message).toMatch(new RegExp(`^registry 127\\.0\\.0\\.1:${port} is unreachable: .*ECONNREFUSED`));
    expect(clock.sleeps).toEqual([]);
  });

  it('suggests insecure-registry when https meets a plain-http registry', async () => {
    const server = createHttpServer((_req, res) => res.end('{}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const error = await new RegistryClient({ registry: `127.0.0.1:${port}`, clock: fakeClock() }).ping().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryUnreachableError);
      expect((error as Error).message).toContain('set insecure-registry: true');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe.skipIf(!registryAvailable())("RegistryClient against Debian's docker-registry (no referrers API: the sha256-<hex> tag schema)", () => {
  let registry: RunningRegistry;
  beforeAll(async () => (registry = await startRegistry()));
  afterAll(async () => registry?.stop());

  it('records referrers in the fallback index, appending without losing earlier ones, and lists them back', async () => {
    const c = new RegistryClient({ registry: registry.host, insecure: true, clock: fakeClock() });
    const image = await pushImage(c, 'acme/fallback', 'v1');
    const subject = { mediaType: OCI_MANIFEST, digest: image.digest, size: image.size };
    const first = await attachReferrer(c, 'acme/fallback', subject, { artifactType: 'application/vnd.one+json', data: Buffer.from('{"n":1}'), annotations: {} });
    const second = await attachReferrer(c, 'acme/fallback', subject, { artifactType: 'application/vnd.two+json', data: Buffer.from('{"n":2}'), annotations: { k: 'v' } });
    expect([first.indexedBy, first.fallbackTag]).toEqual(['tag', image.digest.replace(':', '-')]);
    const all = await c.referrers('acme/fallback', image.digest);
    expect(all.via).toBe('tag');
    expect(all.manifests.map((m) => [m.digest, m.artifactType])).toEqual([
      [first.descriptor.digest, 'application/vnd.one+json'],
      [second.descriptor.digest, 'application/vnd.two+json'],
    ]);
    expect((await c.referrers('acme/fallback', image.digest, 'application/vnd.two+json')).manifests).toHaveLength(1);
    // the referrer manifest itself names its subject
    const referrer = await c.getManifest('acme/fallback', second.descriptor.digest);
    expect((referrer?.manifest as ImageManifest).subject?.digest).toBe(image.digest);
  });

  it('refuses to overwrite a sha256-<hex> tag that is not an index', async () => {
    const c = new RegistryClient({ registry: registry.host, insecure: true, clock: fakeClock() });
    const image = await pushImage(c, 'acme/clash', 'v1');
    await pushImage(c, 'acme/clash', image.digest.replace(':', '-'));
    const error = await attachReferrer(c, 'acme/clash', { mediaType: OCI_MANIFEST, digest: image.digest, size: image.size }, { artifactType: 'application/x', data: Buffer.from('{}x'), annotations: {} }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/exists and is not an image index/);
  });
});

if (!registryAvailable()) console.log(`skipping docker-registry client tests: ${REGISTRY_INSTALL}`);
