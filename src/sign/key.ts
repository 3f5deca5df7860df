/**
 * Signing keys: a PEM PKCS#8 (or SEC1 `EC PRIVATE KEY`) ECDSA P-256 key, or a cosign encrypted key
 * (`ENCRYPTED SIGSTORE PRIVATE KEY` / `ENCRYPTED COSIGN PRIVATE KEY`: scrypt → NaCl secretbox over
 * a PKCS#8 DER key, as `cosign generate-key-pair` writes it) with its password.
 */
import { createHash, createPrivateKey, createPublicKey, scrypt as scryptCallback, type KeyObject, type ScryptOptions } from 'node:crypto';
import { secretboxOpen, SECRETBOX_KEY_BYTES } from './secretbox.js';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM: what `cosign verify --key` takes. */
  publicKeyPem: string;
  /** base64(sha256(SPKI DER)): the key hint in the bundle and the DSSE `keyid`. */
  hint: string;
  format: 'pkcs8' | 'sec1' | 'cosign-encrypted';
}

/** A key problem, attributed to the input that caused it. */
export class KeyError extends Error {
  override readonly name = 'KeyError';
  constructor(
    readonly input: 'signing-key' | 'signing-key-password',
    message: string,
  ) {
    super(message);
  }
}

const ENCRYPTED_TYPES = ['ENCRYPTED SIGSTORE PRIVATE KEY', 'ENCRYPTED COSIGN PRIVATE KEY'];
/** The scrypt parameters go-securesystemslib accepts (legacy, standard, OWASP); anything else is refused as cosign does. */
const SCRYPT_PARAMS = [
  { N: 32768, r: 8, p: 1 },
  { N: 65536, r: 8, p: 1 },
  { N: 131072, r: 8, p: 1 },
];

interface PemBlock {
  type: string;
  der: Buffer;
}

export function parsePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = (m[2] ?? '')
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '' && !line.includes(':'))
      .join('');
    blocks.push({ type: m[1] as string, der: Buffer.from(body, 'base64') });
  }
  return blocks;
}

function scrypt(password: Buffer, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCallback(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))));
}

interface EncryptedKey {
  kdf?: { name?: string; params?: { N?: number; r?: number; p?: number }; salt?: string };
  cipher?: { name?: string; nonce?: string };
  ciphertext?: string;
}

/** Decrypts a cosign encrypted private key to its PKCS#8 DER bytes. */
export async function decryptCosignKey(der: Buffer, password: string): Promise<Buffer> {
  let data: EncryptedKey;
  try {
    data = JSON.parse(der.toString('utf8')) as EncryptedKey;
  } catch {
    throw new KeyError('signing-key', 'the encrypted key is not a cosign key (its PEM body is not JSON)');
  }
  if (data.kdf?.name !== 'scrypt') throw new KeyError('signing-key', `unsupported key derivation '${data.kdf?.name ?? ''}' (expected scrypt)`);
  if (data.cipher?.name !== 'nacl/secretbox') throw new KeyError('signing-key', `unsupported cipher '${data.cipher?.name ?? ''}' (expected nacl/secretbox)`);
  const params = data.kdf.params ?? {};
  if (!SCRYPT_PARAMS.some((p) => p.N === params.N && p.r === params.r && p.p === params.p)) {
    throw new KeyError('signing-key', `unsupported scrypt parameters N=${params.N} r=${params.r} p=${params.p}`);
  }
  const salt = Buffer.from(data.kdf.salt ?? '', 'base64');
  const nonce = Buffer.from(data.cipher.nonce ?? '', 'base64');
  const box = Buffer.from(data.ciphertext ?? '', 'base64');
  const N = params.N as number;
  const r = params.r as number;
  const key = await scrypt(Buffer.from(password, 'utf8'), salt, SECRETBOX_KEY_BYTES, { N, r, p: params.p as number, maxmem: 256 * N * r });
  if (nonce.length !== 24) throw new KeyError('signing-key', 'the encrypted key has a malformed nonce');
  const plain = secretboxOpen(box, nonce, key);
  if (!plain) throw new KeyError('signing-key-password', 'does not decrypt signing-key (not its password)');
  return plain;
}

function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  return `${key.asymmetricKeyType ?? 'unknown'}${details?.namedCurve ? ` ${details.namedCurve}` : details?.modulusLength ? ` ${details.modulusLength}-bit` : ''}`;
}

function finish(privateKey: KeyObject, format: SigningKey['format']): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new KeyError('signing-key', `expected an ECDSA P-256 key, got ${describeKey(privateKey)}`);
  }
  const publicKey = createPublicKey(privateKey);
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    hint: createHash('sha256').update(spki).digest('base64'),
    format,
  };
}

/**
 * Loads the signing key. `password` is required for (and only used by) cosign encrypted keys; an
 * empty password is allowed, as `cosign generate-key-pair` allows it.
 */
export async function loadSigningKey(pem: string, password: string | undefined): Promise<SigningKey> {
  const blocks = parsePem(pem);
  if (blocks.length === 0) throw new KeyError('signing-key', 'is not a PEM key (no -----BEGIN …----- block)');
  const encrypted = blocks.find((b) => ENCRYPTED_TYPES.includes(b.type));
  if (encrypted) {
    if (password === undefined) throw new KeyError('signing-key-password', `is required: signing-key is a cosign encrypted key (${encrypted.type})`);
    const der = await decryptCosignKey(encrypted.der, password);
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch {
      throw new KeyError('signing-key', 'the decrypted cosign key is not a PKCS#8 private key');
    }
    return finish(key, 'cosign-encrypted');
  }
  const plain = blocks.find((b) => b.type === 'PRIVATE KEY' || b.type === 'EC PRIVATE KEY');
  if (!plain) {
    const types = blocks.map((b) => b.type).join(', ');
    const hint = blocks.some((b) => b.type === 'PUBLIC KEY') ? ' — that is the public key; give the private one' : blocks.some((b) => b.type === 'ENCRYPTED PRIVATE KEY') ? ' — PKCS#8 encrypted PEM is not supported; use a cosign key or an unencrypted PKCS#8 key' : '';
    throw new KeyError('signing-key', `expected a PRIVATE KEY, EC PRIVATE KEY or ENCRYPTED SIGSTORE PRIVATE KEY block, got ${types}${hint}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: plain.der, format: 'der', type: plain.type === 'PRIVATE KEY' ? 'pkcs8' : 'sec1' });
  } catch (error) {
    throw new KeyError('signing-key', `the ${plain.type} block does not parse (${(error as Error).message})`);
  }
  return finish(key, plain.type === 'PRIVATE KEY' ? 'pkcs8' : 'sec1');
}
