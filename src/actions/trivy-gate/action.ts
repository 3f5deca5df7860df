import type { ActionDefinition } from '../../core/index.js';
import { readTrivyGateInputs, type TrivyGateInputs } from './inputs.js';

export const trivyGate: ActionDefinition<TrivyGateInputs> = {
  name: 'trivy-gate',
  readInputs: (input, services) => readTrivyGateInputs(input, services),
  run: async (inputs, services) => {
    const { runTrivyGate } = await import('../../trivy/run.js');
    await runTrivyGate(inputs, services);
  },
};
