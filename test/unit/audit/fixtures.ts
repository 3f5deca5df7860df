/** Records for tests: complete, valid v1 records with overridable fields. */
import { isVerified, RECORD_SCHEMA, type AuditRecord } from '../../../src/audit/record.js';

export const DIGEST_A = `sha256:${'a'.repeat(64)}`;
export const DIGEST_B = `sha256:${'b'.repeat(64)}`;
export const DIGEST_C = `sha256:${'c'.repeat(64)}`;
export const DIGEST_D = `sha256:${'d'.repeat(64)}`;

let counter = 0;

export function makeRecord(overrides: Partial<AuditRecord> & { digest?: string | null } = {}): AuditRecord {
  counter++;
  const { digest = DIGEST_A, ...rest } = overrides;
  const record: AuditRecord = {
    schema: RECORD_SCHEMA,
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    repository: 'acme/api',
    environment: 'production',
    status: 'success',
    verified: true,
    commit: '0123456789abcdef0123456789abcdef01234567',
    ref: 'refs/heads/main',
    image: digest === null ? null : { reference: `ghcr.io/acme/api@${digest}`, name: 'ghcr.io/acme/api', tag: null, digest },
    deployer: 'octocat',
    triggeringActor: 'octocat',
    approvals: [{ user: 'lead', state: 'approved', comment: 'ship it', environments: ['production'] }],
    run: { id: 4242 + counter, attempt: 1, number: counter, workflow: 'deploy', job: 'production', event: 'push', url: `https://github.com/acme/api/actions/runs/${4242 + counter}/attempts/1` },
    startedAt: '2026-01-01T10:00:00Z',
    finishedAt: `2026-01-01T10:${String(counter % 60).padStart(2, '0')}:00.000Z`,
    scan: { result: 'pass', blocking: 0 },
    signature: null,
    rollout: { result: 'succeeded', revision: counter },
    smoke: { result: 'pass', passed: 3, failed: 0 },
    rollbackOf: null,
    previousSha256: null,
    ...rest,
  };
  // Consistent unless a test asks otherwise, as the action writes it.
  return 'verified' in overrides ? record : { ...record, verified: isVerified(record) };
}
