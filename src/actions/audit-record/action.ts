import type { ActionDefinition } from '../../core/index.js';
import { readAuditRecordInputs, type AuditRecordInputs } from './inputs.js';

export const auditRecord: ActionDefinition<AuditRecordInputs> = {
  name: 'audit-record',
  readInputs: (input, services) => readAuditRecordInputs(input, services),
  run: async (inputs, services) => {
    const { runAuditRecord } = await import('../../audit/run.js');
    await runAuditRecord(inputs, services);
  },
};
