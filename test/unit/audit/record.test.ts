import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { canonicalJson, recordSha256 } from '../../../src/audit/canonical.js';
import { deriveStatus, isGood, isVerified, ledgerFileName, parseImageRef, sameEnvironment, type AuditRecord } from '../../../src/audit/record.js';
import { parseRecord } from '../../../src/audit/schema.js';
import { DIGEST_A, makeRecord } from './fixtures.js';

type AddFormats = (ajv: Ajv2020) => Ajv2020;
const addFormatsValue = addFormatsModule as unknown as AddFormats | { default: AddFormats };
const addFormats: AddFormats = typeof addFormatsValue === 'function' ? addFormatsValue : addFormatsValue.default;

const schemaFile = new URL('../../../schema/audit-record.v1.json', import.meta.url);
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validateJsonSchema = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);

describe('parseImageRef', () => {
  it.each([
    [`ghcr.io/acme/api@${DIGEST_A}`, { name: 'ghcr.io/acme/api', tag: null, digest: DIGEST_A }],
    [`ghcr.io/acme/api:1.2.3@${DIGEST_A}`, { name: 'ghcr.io/acme/api', tag: '1.2.3', digest: DIGEST_A }],
    [`localhost:5000/team/api:sha-0123abc@${DIGEST_A}`, { name: 'localhost:5000/team/api', tag: 'sha-0123abc', digest: DIGEST_A }],
    [`nginx@${DIGEST_A}`, { name: 'nginx', tag: null, digest: DIGEST_A }],
  ])('parses %s', (text, expected) => {
    expect(parseImageRef(text)).toMatchObject({ reference: text, ...expected });
  });

  it.each([
    ['ghcr.io/acme/api:1.2.3', /has no digest/],
    ['ghcr.io/acme/api@sha256:abc', /is not a digest/],
    [`ghcr.io/acme/api@sha256:${'A'.repeat(64)}`, /is not a digest/],
    [`Bad Name@${DIGEST_A}`, /is not an image repository/],
    [`@${DIGEST_A}`, /is not an image repository/],
  ])('rejects %s', (text, message) => {
    expect(parseImageRef(text)).toMatch(message);
  });
});

describe('verification and status', () => {
  it.each([
    [{ result: 'succeeded' }, null, true, 'success'],
    [null, { result: 'pass' }, true, 'success'],
    [{ result: 'succeeded' }, { result: 'pass' }, true, 'success'],
    [{ result: 'succeeded' }, { result: 'fail' }, false, 'failure'],
    [{ result: 'rolled-back' }, { result: 'pass' }, false, 'rolled-back'],
    [{ result: 'failed' }, null, false, 'failure'],
    [null, null, false, undefined],
    [{ revision: 3 }, {}, false, undefined],
  ])('rollout %j + smoke %j → verified %s, status %s', (rollout, smoke, verified, status) => {
    expect(isVerified({ rollout, smoke })).toBe(verified);
    expect(deriveStatus(rollout, smoke)).toBe(status);
  });

  it.each([
    ['a verified success', makeRecord(), true],
    ['a failure', makeRecord({ status: 'failure' }), false],
    ['a rolled-back one', makeRecord({ status: 'rolled-back', rollout: { result: 'rolled-back' } }), false],
    ['a success whose smoke test failed', makeRecord({ smoke: { result: 'fail' } }), false],
    ['an unverified success', makeRecord({ rollout: null, smoke: null }), false],
    ['a success without an image', makeRecord({ digest: null }), false],
  ])('isGood: %s → %s', (_what, record, good) => {
    expect(isGood(record)).toBe(good);
  });

  it.each([
    ['production', 'production.jsonl'],
    ['Production', 'production.jsonl'],
    ['prod eu/west', 'prod-eu-west.jsonl'],
    ['.hidden', 'hidden.jsonl'],
    ['..', 'environment.jsonl'],
  ])('ledger file of %s is %s', (environment, file) => {
    expect(ledgerFileName(environment)).toBe(file);
  });

  it('compares environments the way GitHub does (case-insensitively)', () => {
    expect(sameEnvironment('Production', 'production ')).toBe(true);
    expect(sameEnvironment('staging', 'production')).toBe(false);
  });
});

describe('canonical JSON (RFC 8785)', () => {
  it('matches the RFC 8785 §3.2.2 example byte for byte', () => {
    const input = JSON.parse('{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}');
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('sorts keys by UTF-16 code units, so the hash does not depend on key order', () => {
    const record = makeRecord();
    const reversed = Object.fromEntries(Object.entries(record).reverse());
    expect(canonicalJson(reversed)).toBe(canonicalJson(record));
    expect(recordSha256(reversed)).toBe(recordSha256(record));
    expect(recordSha256(record)).toBe(createHash('sha256').update(canonicalJson(record)).digest('hex'));
    expect(canonicalJson({ b: 1, a: 2, '€': 3, A: 4 })).toBe('{"A":4,"a":2,"b":1,"€":3}');
  });

  it('changes the hash when any field changes', () => {
    const record = makeRecord();
    expect(recordSha256({ ...record, deployer: 'mallory' })).not.toBe(recordSha256(record));
  });
});

describe('record schema (published JSON Schema and the runtime reader agree)', () => {
  it('accepts a complete record, and one with every optional fact unknown', () => {
    const minimal: AuditRecord = {
      ...makeRecord({ digest: null }),
      repository: null,
      commit: null,
      ref: null,
      deployer: null,
      triggeringActor: null,
      approvals: null,
      run: { id: null, attempt: 1, number: null, workflow: null, job: null, event: null, url: null },
      startedAt: null,
      scan: null,
      rollout: null,
      smoke: null,
    };
    for (const record of [makeRecord(), minimal, { ...makeRecord(), addedLater: 'ignored by v1 readers' }]) {
      expect(validateJsonSchema(record), JSON.stringify(validateJsonSchema.errors)).toBe(true);
      expect(parseRecord(record)).toMatchObject({ id: record.id });
    }
  });

  const mutations: [string, (r: Record<string, unknown>) => void][] = [
    ['a missing field', (r) => delete r['approvals']],
    ['another schema', (r) => (r['schema'] = 'shipline.audit-record.v2')],
    ['an unknown status', (r) => (r['status'] = 'succeeded')],
    ['a short commit', (r) => (r['commit'] = '0123abc')],
    ['a digest that is not one', (r) => ((r['image'] as Record<string, unknown>)['digest'] = 'latest')],
    ['a previousSha256 that is not a sha256', (r) => (r['previousSha256'] = 'abc')],
    ['a finishedAt that is not a date-time', (r) => (r['finishedAt'] = 'yesterday')],
    ['an approval state GitHub does not have', (r) => ((r['approvals'] as Record<string, unknown>[])[0] = { user: 'x', state: 'ok', comment: '', environments: [] })],
    ['a run attempt of 0', (r) => ((r['run'] as Record<string, unknown>)['attempt'] = 0)],
    ['a result that is a string', (r) => (r['smoke'] = 'pass')],
    ['an empty environment', (r) => (r['environment'] = '')],
  ];
  it.each(mutations)('both reject %s', (_what, mutate) => {
    const record = structuredClone(makeRecord()) as unknown as Record<string, unknown>;
    mutate(record);
    expect(validateJsonSchema(record)).toBe(false);
    expect(typeof parseRecord(record)).toBe('string');
  });

  it('lists every field of a record as required', () => {
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as { required: string[]; properties: Record<string, unknown> };
    expect([...schema.required].sort()).toEqual(Object.keys(makeRecord()).sort());
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(makeRecord()).sort());
  });
});
