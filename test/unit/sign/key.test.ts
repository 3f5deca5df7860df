import { generateKeyPairSync, randomBytes, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyError, loadSigningKey, parsePem } from '../../../src/sign/key.js';
import { secretboxSeal } from '../../../src/sign/secretbox.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'build', 'cosign-keys');
const read = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

function pem(type: string, der: Buffer): string {
  return `-----BEGIN ${type}-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${type}-----\n`;
}

/** Encrypts a PKCS#8 key the way go-securesystemslib's `encrypted.Encrypt` does (cosign's format). */
function cosignEncrypt(pkcs8: Buffer, password: string, params = { N: 32768, r: 8, p: 1 }, type = 'ENCRYPTED SIGSTORE PRIVATE KEY'): string {
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const key = scryptSync(password, salt, 32, { ...params, maxmem: 256 * params.N * params.r });
  const json = {
    kdf: { name: 'scrypt', params, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: secretboxSeal(pkcs8, nonce, key).toString('base64'),
  };
  return pem(type, Buffer.from(JSON.stringify(json)));
}

const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p256Pkcs8 = p256.privateKey.export({ format: 'der', type: 'pkcs8' });

describe('loadSigningKey', () => {
  it('decrypts a key written by the real `cosign generate-key-pair` (v2.6.5) to the public key cosign wrote next to it', async () => {
    const key = await loadSigningKey(read('v2-s3cret.key'), 's3cret');
    expect(key.format).toBe('cosign-encrypted');
    expect(key.publicKeyPem.trim()).toBe(read('v2-s3cret.pub').trim());
  });

  it('names signing-key-password when the password is wrong', async () => {
    const error = await loadSigningKey(read('v2-s3cret.key'), 'not-it').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyError);
    expect((error as KeyError).input).toBe('signing-key-password');
    expect((error as KeyError).message).toMatch(/not its password/);
  });

  it.each([
    ['standard scrypt (N=2^16)', { N: 65536, r: 8, p: 1 }, 'ENCRYPTED SIGSTORE PRIVATE KEY'],
    ['legacy scrypt and the old PEM type', { N: 32768, r: 8, p: 1 }, 'ENCRYPTED COSIGN PRIVATE KEY'],
  ])('round-trips an encrypted key with %s', async (_name, params, type) => {
    const key = await loadSigningKey(cosignEncrypt(p256Pkcs8, 'pw', params, type), 'pw');
    expect(key.publicKeyPem).toBe(p256.publicKey.export({ format: 'pem', type: 'spki' }));
  });

  it('accepts an empty password, as cosign does', async () => {
    const key = await loadSigningKey(cosignEncrypt(p256Pkcs8, ''), '');
    expect(key.format).toBe('cosign-encrypted');
  });

  it('refuses scrypt parameters cosign refuses (a tampered key cannot make us burn memory)', async () => {
    const error = await loadSigningKey(cosignEncrypt(p256Pkcs8, 'pw', { N: 1024, r: 8, p: 1 }), 'pw').catch((e: unknown) => e);
    expect((error as KeyError).input).toBe('signing-key');
    expect((error as Error).message).toMatch(/unsupported scrypt parameters N=1024/);
  });

  it('asks for the password when an encrypted key comes without one', async () => {
    const error = await loadSigningKey(read('v2-s3cret.key'), undefined).catch((e: unknown) => e);
    expect((error as KeyError).input).toBe('signing-key-password');
  });

  it.each([
    ['PKCS#8 PEM', pem('PRIVATE KEY', p256Pkcs8), 'pkcs8'],
    ['SEC1 PEM', p256.privateKey.export({ format: 'pem', type: 'sec1' }).toString(), 'sec1'],
  ])('loads a plain %s', async (_name, text, format) => {
    const key = await loadSigningKey(text, undefined);
    expect(key.format).toBe(format);
    expect(key.hint).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it.each([
    ['an RSA key', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), /expected an ECDSA P-256 key, got rsa 2048-bit/],
    ['a P-384 key', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), /got ec secp384r1/],
    ['the public key', p256.publicKey.export({ format: 'pem', type: 'spki' }).toString(), /that is the public key/],
    ['no PEM at all', 'hello', /is not a PEM key/],
    ['a corrupt PKCS#8 block', pem('PRIVATE KEY', Buffer.from('nope')), /does not parse/],
  ])('rejects %s with a sentence about signing-key', async (_name, text, message) => {
    const error = await loadSigningKey(text, undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyError);
    expect((error as KeyError).input).toBe('signing-key');
    expect((error as Error).message).toMatch(message);
  });

  it('reads PEM blocks with headers and CRLF line ends', () => {
    const blocks = parsePem(`junk\r\n-----BEGIN PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED\r\nAAEC\r\n-----END PRIVATE KEY-----\r\n`);
    expect(blocks).toEqual([{ type: 'PRIVATE KEY', der: Buffer.from([0, 1, 2]) }]);
  });
});
