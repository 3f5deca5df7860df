/**
 * Runtime validation of a stored record (a ledger line, a deployment payload): the same rules as the
 * published JSON Schema `schema/audit-record.v1.json` (a unit test keeps the two in step). Unknown
 * extra fields are allowed, so a reader of v1 accepts records from a later compatible writer.
 */
import { z } from 'zod';
import { RECORD_SCHEMA, RECORD_STATUSES, type AuditRecord } from './record.js';

const nullableString = z.string().nullable();
const sha256 = z.string().regex(/^[a-f0-9]{64}$/);
const result = z.record(z.string(), z.unknown()).nullable();

export const auditRecordSchema = z.looseObject({
  schema: z.literal(RECORD_SCHEMA),
  id: z.string().min(1),
  repository: nullableString,
  environment: z.string().min(1),
  status: z.enum(RECORD_STATUSES as unknown as [string, ...string[]]),
  verified: z.boolean(),
  commit: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/).nullable(),
  ref: nullableString,
  image: z
    .looseObject({
      reference: z.string().min(1),
      name: z.string().min(1),
      tag: nullableString,
      digest: z.string().regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/),
    })
    .nullable(),
  deployer: nullableString,
  triggeringActor: nullableString,
  approvals: z
    .array(
      z.looseObject({
        user: z.string(),
        state: z.enum(['approved', 'rejected', 'pending']),
        comment: z.string(),
        environments: z.array(z.string()),
      }),
    )
    .nullable(),
  run: z.looseObject({
    id: z.number().int().positive().nullable(),
    attempt: z.number().int().positive(),
    number: z.number().int().positive().nullable(),
    workflow: nullableString,
    job: nullableString,
    event: nullableString,
    url: nullableString,
  }),
  startedAt: z.iso.datetime({ offset: true }).nullable(),
  finishedAt: z.iso.datetime({ offset: true }),
  scan: result,
  signature: result,
  rollout: result,
  smoke: result,
  rollbackOf: nullableString,
  previousSha256: sha256.nullable(),
});

/** The record, or a message naming the first field that is wrong. */
export function parseRecord(value: unknown): AuditRecord | string {
  const parsed = auditRecordSchema.safeParse(value);
  if (parsed.success) return parsed.data as unknown as AuditRecord;
  const issue = parsed.error.issues[0];
  const path = issue?.path.length ? issue.path.map(String).join('.') : '(record)';
  return `${path}: ${issue?.message ?? 'invalid'}`;
}
