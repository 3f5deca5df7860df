import type { ActionDefinition } from '../../core/index.js';
import { readSlackNotifyInputs, type SlackNotifyInputs } from './inputs.js';

export const slackNotify: ActionDefinition<SlackNotifyInputs> = {
  name: 'slack-notify',
  readInputs: (input, services) => readSlackNotifyInputs(input, services),
  run: async (inputs, services) => {
    const { runSlackNotify } = await import('../../slack/run.js');
    await runSlackNotify(inputs, services);
  },
};
