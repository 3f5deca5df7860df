/**
 * Keyless build-and-sign through the action, with the job's OIDC token, Fulcio and Rekor emulated on
 * loopback (@sigstore/mock handlers, see test/unit/sign/sigstore-emulator.ts), a real buildah and
 * docker-registry; then the real cosign verifies the certificate identity against a trusted root
 * made of the emulators' keys.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndSign } from '../../../src/actions/build-and-sign/action.js';
import { runAction } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { actionDefaults } from '../../harness/contract.js';
import { buildahAvailable, buildahSandbox, scratchContext, BUILDAH_INSTALL, type BuildahSandbox } from '../../helpers/buildah.js';
import { registryAvailable, startRegistry, REGISTRY_INSTALL, type RunningRegistry } from '../../helpers/registry.js';
import { GITHUB_ISSUER, REQUEST_TOKEN, startSigstoreEmulator, WORKFLOW_IDENTITY, type SigstoreEmulator } from '../../unit/sign/sigstore-emulator.js';
import { cosign, cosignBinary, COSIGN_INSTALL } from './cosign.js';

const ready = registryAvailable() && buildahAvailable();
if (!ready) console.log(`skipping keyless build-and-sign: ${REGISTRY_INSTALL}; ${BUILDAH_INSTALL}`);
const cosignV2 = cosignBinary('v2');
const cosignV3 = cosignBinary('v3');
if (ready && !(cosignV2 && cosignV3)) console.log(`skipping the keyless cosign checks: ${COSIGN_INSTALL}`);

describe.skipIf(!ready)('keyless build-and-sign (OIDC, Fulcio and Rekor emulated on loopback)', () => {
  let registry: RunningRegistry;
  let sandbox: BuildahSandbox;
  let sigstore: SigstoreEmulator;
  const work = mkdtempSync(join(tmpdir(), 'shipline-keyless-'));

  beforeAll(async () => {
    [registry, sigstore] = await Promise.all([startRegistry(), startSigstoreEmulator()]);
    sandbox = buildahSandbox();
  });
  afterAll(async () => {
    await Promise.all([registry?.stop(), sigstore?.close()]);
    sandbox?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  function runner(inputs: Record<string, string>, env: Record<string, string> = {}): MemoryRunner {
    return new MemoryRunner(
      { ...actionDefaults('build-and-sign'), context: scratchContext(`keyless ${Date.now()} ${Math.random()}`), 'insecure-registry': 'true', ...inputs },
      {
        ...process.env,
        ...sandbox.env,
        RUNNER_TEMP: work,
        GITHUB_SHA: 'abcdef0123456789abcdef0123456789abcdef01',
        ACTIONS_ID_TOKEN_REQUEST_URL: sigstore.oidcUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
        SHIPLINE_FULCIO_URL: sigstore.fulcioUrl,
        SHIPLINE_REKOR_URL: sigstore.rekorUrl,
        ...env,
      },
    );
  }

  function verifyArgs(image: string, identity = WORKFLOW_IDENTITY): string[] {
    const root = join(work, 'trusted-root.json');
    writeFileSync(root, JSON.stringify(sigstore.trustedRoot()));
    return ['verify', '--certificate-identity', identity, '--certificate-oidc-issuer', GITHUB_ISSUER, '--trusted-root', root, '--allow-http-registry', image];
  }

  it('sign: auto picks keyless from the OIDC token, masks the token; cosign v3 verifies the workflow identity of both formats', async () => {
    const run = runner({ image: `${registry.host}/acme/keyless`, 'signature-format': 'both' });
    const code = await runAction(buildAndSign, run, { setExitCode: false });
    expect(run.lines.filter((l) => l.startsWith('::error'))).toEqual([]);
    expect(code).toBe(0);
    expect(run.log).toContain('sign: keyless (the job has an OIDC token)');
    // the OIDC token was registered as a secret before use
    expect(run.secrets.some((s) => s.split('.').length === 3)).toBe(true);
    const image = run.outputs.get('image') as string;
    const metadata = JSON.parse(run.outputs.get('metadata') as string) as { signatures: { format: string; identity: string; verified: boolean }[]; verify: string };
    expect(metadata.signatures.map((s) => [s.format, s.identity, s.verified])).toEqual([
      ['bundle', WORKFLOW_IDENTITY, true],
      ['legacy', WORKFLOW_IDENTITY, true],
    ]);
    expect(metadata.verify).toBe(`cosign verify --certificate-identity ${WORKFLOW_IDENTITY} --certificate-oidc-issuer ${GITHUB_ISSUER} --allow-http-registry ${image}`);

    if (cosignV3) {
      const v3 = cosign(cosignV3, verifyArgs(image));
      expect(v3.status, v3.stderr).toBe(0);
      // another identity is refused
      const wrong = cosign(cosignV3, verifyArgs(image, 'https://github.com/evil/fork/.github/workflows/x.yml@refs/heads/main'));
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toMatch(/none of the expected identities matched|no matching/i);
    }
  });

  it.skipIf(!cosignV2)('legacy keyless (certificate + Rekor bundle annotations): cosign v2 verifies the workflow identity', async () => {
    const run = runner({ image: `${registry.host}/acme/keyless-legacy`, sign: 'keyless', 'signature-format': 'legacy' });
    const code = await runAction(buildAndSign, run, { setExitCode: false });
    expect(run.lines.filter((l) => l.startsWith('::error'))).toEqual([]);
    expect(code).toBe(0);
    const v2 = cosign(cosignV2 as string, verifyArgs(run.outputs.get('image') as string));
    expect(v2.status, v2.stderr).toBe(0);
    expect(v2.stdout).toContain(run.outputs.get('digest'));
  });

  it('when Fulcio cannot be reached after the push: one error line, the digest still an output, the summary says not to deploy', async () => {
    const run = runner({ image: `${registry.host}/acme/keyless-down`, sign: 'keyless' }, { SHIPLINE_FULCIO_URL: 'http://127.0.0.1:9' });
    const code = await runAction(buildAndSign, run, { setExitCode: false });
    expect(code).toBe(1);
    const errors = run.lines.filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^::error::signing 127\.0\.0\.1:\d+\/acme\/keyless-down@sha256:[a-f0-9]{64}: /);
    expect(run.outputs.get('digest')).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(run.outputs.get('signature-digest')).toBeUndefined();
    expect(run.summary).toContain('signing failed');
    expect(run.summary).toContain('Do not deploy it.');
  });
});
