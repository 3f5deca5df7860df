import { runAction } from '../../core/run.js';
import { rollout } from './action.js';

await runAction(rollout);
