import { runAction } from '../../core/run.js';
import { buildAndSign } from './action.js';

await runAction(buildAndSign);
