import { runAction } from '../../core/run.js';
import { trivyGate } from './action.js';

await runAction(trivyGate);
