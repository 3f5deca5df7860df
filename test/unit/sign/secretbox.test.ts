import { describe, expect, it } from 'vitest';
import { hsalsa20, poly1305, secretboxOpen, secretboxSeal } from '../../../src/sign/secretbox.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// NaCl's own test vectors (Bernstein, "Cryptography in NaCl", §7–§9: tests/secretbox.c and
// tests/core1.c) and RFC 8439 §2.5.2 for Poly1305.
const KEY = hex('1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389');
const NONCE = hex('69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37');
const MESSAGE = hex(`be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705`);
const BOX = hex(`f3ffc7703f9400e52a7dfb4b3d3305d9 8e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74e355a5`);

describe('secretbox (XSalsa20-Poly1305)', () => {
  it('matches the Poly1305 vector of RFC 8439 §2.5.2', () => {
    const key = hex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b');
    expect(poly1305(key, Buffer.from('Cryptographic Forum Research Group')).toString('hex')).toBe('a8061dc1305136c6c22b8baf0c0127a9');
  });

  it("matches NaCl's HSalsa20 vector (core1: firstkey from the shared secret)", () => {
    const shared = hex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
    expect(hsalsa20(shared, Buffer.alloc(16)).toString('hex')).toBe(KEY.toString('hex'));
  });

  it("seals NaCl's secretbox test message to NaCl's published box", () => {
    expect(secretboxSeal(MESSAGE, NONCE, KEY).toString('hex')).toBe(BOX.toString('hex'));
  });

  it('opens that box, and refuses it once one bit of tag or ciphertext flips', () => {
    expect(secretboxOpen(BOX, NONCE, KEY)?.equals(MESSAGE)).toBe(true);
    for (const position of [0, 15, 16, BOX.length - 1]) {
      const tampered = Buffer.from(BOX);
      tampered[position] = (tampered[position] as number) ^ 1;
      expect(secretboxOpen(tampered, NONCE, KEY)).toBeUndefined();
    }
    const wrongKey = Buffer.from(KEY);
    wrongKey[0] = (wrongKey[0] as number) ^ 1;
    expect(secretboxOpen(BOX, NONCE, wrongKey)).toBeUndefined();
  });

  it('round-trips lengths around the 64-byte block boundary', () => {
    for (const length of [0, 1, 31, 32, 63, 64, 65, 200]) {
      const message = Buffer.alloc(length, 7);
      expect(secretboxOpen(secretboxSeal(message, NONCE, KEY), NONCE, KEY)?.equals(message)).toBe(true);
    }
  });
});
