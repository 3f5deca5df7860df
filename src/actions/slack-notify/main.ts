import { runAction } from '../../core/run.js';
import { slackNotify } from './action.js';

await runAction(slackNotify);
