/**
 * Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and the sha256 that names a record. The
 * same record always gives the same bytes, whatever the key order or white space it was built with.
 */
import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

type Serialize = (input: unknown) => string | undefined;
// The package is CommonJS (`module.exports = serialize`) while its types declare an ES default
// export: at run time the default import is the function itself, under TypeScript's NodeNext
// reading it is `.default`. Accept both.
const moduleValue = canonicalizeModule as unknown as Serialize | { default: Serialize };
const canonicalize: Serialize = typeof moduleValue === 'function' ? moduleValue : moduleValue.default;

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('cannot canonicalize an undefined value');
  return text;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The record's identity: sha256 of its canonical JSON, lowercase hex. */
export function recordSha256(record: unknown): string {
  return sha256Hex(canonicalJson(record));
}
