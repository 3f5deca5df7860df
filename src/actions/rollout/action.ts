import type { ActionDefinition } from '../../core/index.js';
import { readRolloutInputs, type RolloutInputs } from './inputs.js';

export const rollout: ActionDefinition<RolloutInputs> = {
  name: 'rollout',
  readInputs: (input, services) => readRolloutInputs(input, services),
  run: async (inputs, services) => {
    const { rolloutAction } = await import('../../kube/run.js');
    await rolloutAction(inputs, services);
  },
};
