/**
 * NaCl `crypto_secretbox` (XSalsa20-Poly1305), the cipher of cosign's encrypted private keys
 * (`nacl/secretbox` in go-securesystemslib's `encrypted` package). Node's OpenSSL has neither
 * Salsa20 nor a standalone Poly1305, so both are implemented here from their specifications
 * (Bernstein: "The Salsa20 family of stream ciphers", "Extending the Salsa20 nonce", RFC 8439 §2.5
 * for Poly1305). Only small inputs pass through it (a key of ~150 bytes): clarity over speed.
 */
import { timingSafeEqual } from 'node:crypto';

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] as const;

const rotl = (v: number, c: number): number => ((v << c) | (v >>> (32 - c))) >>> 0;

function doubleRounds(x: Uint32Array): void {
  const q = (a: number, b: number, c: number, d: number): void => {
    x[b] = (x[b] as number) ^ rotl(((x[a] as number) + (x[d] as number)) >>> 0, 7);
    x[c] = (x[c] as number) ^ rotl(((x[b] as number) + (x[a] as number)) >>> 0, 9);
    x[d] = (x[d] as number) ^ rotl(((x[c] as number) + (x[b] as number)) >>> 0, 13);
    x[a] = (x[a] as number) ^ rotl(((x[d] as number) + (x[c] as number)) >>> 0, 18);
  };
  for (let i = 0; i < 10; i++) {
    // column round
    q(0, 4, 8, 12);
    q(5, 9, 13, 1);
    q(10, 14, 2, 6);
    q(15, 3, 7, 11);
    // row round
    q(0, 1, 2, 3);
    q(5, 6, 7, 4);
    q(10, 11, 8, 9);
    q(15, 12, 13, 14);
  }
}

function initialState(key: Uint8Array, input16: Uint8Array): Uint32Array {
  const k = new DataView(key.buffer, key.byteOffset, 32);
  const n = new DataView(input16.buffer, input16.byteOffset, 16);
  const s = new Uint32Array(16);
  s[0] = SIGMA[0];
  s[5] = SIGMA[1];
  s[10] = SIGMA[2];
  s[15] = SIGMA[3];
  for (let i = 0; i < 4; i++) {
    s[1 + i] = k.getUint32(i * 4, true);
    s[11 + i] = k.getUint32(16 + i * 4, true);
    s[6 + i] = n.getUint32(i * 4, true);
  }
  return s;
}

/** HSalsa20: derives XSalsa20's subkey from the key and the first 16 bytes of the nonce. */
export function hsalsa20(key: Uint8Array, nonce16: Uint8Array): Buffer {
  const x = initialState(key, nonce16);
  doubleRounds(x);
  const out = Buffer.alloc(32);
  [0, 5, 10, 15, 6, 7, 8, 9].forEach((word, i) => out.writeUInt32LE(x[word] as number, i * 4));
  return out;
}

/** `length` bytes of the Salsa20 keystream for an 8-byte nonce, from block 0. */
export function salsa20Stream(key: Uint8Array, nonce8: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  const input = Buffer.alloc(16);
  Buffer.from(nonce8).copy(input, 0);
  for (let block = 0, offset = 0; offset < length; block++, offset += 64) {
    input.writeUInt32LE(block >>> 0, 8);
    input.writeUInt32LE(Math.floor(block / 2 ** 32), 12);
    const s = initialState(key, input);
    const x = Uint32Array.from(s);
    doubleRounds(x);
    const bytes = Buffer.alloc(64);
    for (let i = 0; i < 16; i++) bytes.writeUInt32LE(((x[i] as number) + (s[i] as number)) >>> 0, i * 4);
    bytes.copy(out, offset, 0, Math.min(64, length - offset));
  }
  return out;
}

const P1305 = (1n << 130n) - 5n;

function leToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number);
  return n;
}

/** Poly1305 one-time authenticator (RFC 8439 §2.5). */
export function poly1305(key: Uint8Array, message: Uint8Array): Buffer {
  const r = leToBigInt(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = leToBigInt(key.subarray(16, 32));
  let acc = 0n;
  for (let i = 0; i < message.length; i += 16) {
    const chunk = message.subarray(i, Math.min(i + 16, message.length));
    acc = ((acc + leToBigInt(chunk) + (1n << BigInt(8 * chunk.length))) * r) % P1305;
  }
  let tag = (acc + s) & ((1n << 128n) - 1n);
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) {
    out[i] = Number(tag & 0xffn);
    tag >>= 8n;
  }
  return out;
}

function xsalsa20Stream(key: Uint8Array, nonce: Uint8Array, length: number): Buffer {
  return salsa20Stream(hsalsa20(key, nonce.subarray(0, 16)), nonce.subarray(16, 24), length);
}

export const SECRETBOX_KEY_BYTES = 32;
export const SECRETBOX_NONCE_BYTES = 24;
export const SECRETBOX_TAG_BYTES = 16;

function check(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== SECRETBOX_KEY_BYTES) throw new Error(`secretbox: the key must be ${SECRETBOX_KEY_BYTES} bytes`);
  if (nonce.length !== SECRETBOX_NONCE_BYTES) throw new Error(`secretbox: the nonce must be ${SECRETBOX_NONCE_BYTES} bytes`);
}

/** `secretbox.Seal`: the 16-byte tag followed by the ciphertext. */
export function secretboxSeal(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Buffer {
  check(key, nonce);
  const stream = xsalsa20Stream(key, nonce, 32 + message.length);
  const cipher = Buffer.alloc(message.length);
  for (let i = 0; i < message.length; i++) cipher[i] = (message[i] as number) ^ (stream[32 + i] as number);
  return Buffer.concat([poly1305(stream.subarray(0, 32), cipher), cipher]);
}

/** `secretbox.Open`: the plaintext, or undefined when the tag does not authenticate the box. */
export function secretboxOpen(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Buffer | undefined {
  check(key, nonce);
  if (box.length < SECRETBOX_TAG_BYTES) return undefined;
  const tag = box.subarray(0, SECRETBOX_TAG_BYTES);
  const cipher = box.subarray(SECRETBOX_TAG_BYTES);
  const stream = xsalsa20Stream(key, nonce, 32 + cipher.length);
  if (!timingSafeEqual(poly1305(stream.subarray(0, 32), cipher), tag)) return undefined;
  const plain = Buffer.alloc(cipher.length);
  for (let i = 0; i < cipher.length; i++) plain[i] = (cipher[i] as number) ^ (stream[32 + i] as number);
  return plain;
}
