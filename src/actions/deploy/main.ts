import { runAction } from '../../core/run.js';
import { deploy } from './action.js';

await runAction(deploy);
