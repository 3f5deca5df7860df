import { runAction } from '../../core/run.js';
import { smokeTest } from './action.js';

await runAction(smokeTest);
