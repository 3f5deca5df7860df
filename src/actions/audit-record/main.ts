import { runAction } from '../../core/run.js';
import { auditRecord } from './action.js';

await runAction(auditRecord);
