import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndSign } from '../../../src/actions/build-and-sign/action.js';
import { runAction } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { actionDefaults } from '../../harness/contract.js';
import { buildahAvailable, buildahSandbox, scratchContext, BUILDAH_INSTALL, type BuildahSandbox } from '../../helpers/buildah.js';
import { registryAvailable, startRegistry, REGISTRY_INSTALL, type RunningRegistry } from '../../helpers/registry.js';
import { cosign, cosignBinary, COSIGN_INSTALL } from './cosign.js';

const ready = registryAvailable() && buildahAvailable();
if (!ready) console.log(`skipping build-and-sign flow: ${REGISTRY_INSTALL}; ${BUILDAH_INSTALL}`);
const cosignV3 = cosignBinary('v3');
const cosignV2 = cosignBinary('v2');
if (!cosignV3 || !cosignV2) console.log(`skipping cosign checks: ${COSIGN_INSTALL}`);

describe.skipIf(!ready)('build-and-sign with buildah, docker-registry and cosign (real components on loopback)', () => {
  let registry: RunningRegistry;
  let sandbox: BuildahSandbox;
  const work = mkdtempSync(join(tmpdir(), 'shipline-bas-'));

  beforeAll(async () => {
    registry = await startRegistry();
    sandbox = buildahSandbox();
  });
  afterAll(async () => {
    await registry?.stop();
    sandbox?.cleanup();
  });

  async function run(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<{ code: number; runner: MemoryRunner }> {
    const runner = new MemoryRunner(
      { ...actionDefaults('build-and-sign'), ...inputs },
      { ...process.env, ...sandbox.env, RUNNER_TEMP: work, GITHUB_SHA: 'abcdef0123456789abcdef0123456789abcdef01', GITHUB_REF: 'refs/heads/main', GITHUB_REPOSITORY: 'acme/api', GITHUB_SERVER_URL: 'https://github.com', ...env },
    );
    const code = await runAction(buildAndSign, runner, { setExitCode: false });
    return { code, runner };
  }

  it('signs a PKCS#8 key bundle that cosign v3 verifies', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub = join(work, 'k1.pub');
    writeFileSync(pub, publicKey.export({ format: 'pem', type: 'spki' }));
    const context = scratchContext(`one ${Date.now()}`);
    const { code, runner } = await run({
      image: `${registry.host}/acme/api`,
      context,
      'insecure-registry': 'true',
      'signing-key': privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    });
    if (code !== 0) console.log(runner.log);
    expect(code).toBe(0);
    const image = runner.outputs.get('image') as string;
    console.log(runner.log);
    console.log(runner.summary);
    if (cosignV3) {
      const verified = cosign(cosignV3, ['verify', '--key', pub, '--insecure-ignore-tlog', '--allow-http-registry', image]);
      console.log(verified);
      expect(verified.status).toBe(0);
    }
    void readFileSync;
  });
});
