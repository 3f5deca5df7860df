import type { ActionDefinition } from '../../core/index.js';
import { readSmokeInputs, type SmokeInputs } from './inputs.js';

export const smokeTest: ActionDefinition<SmokeInputs> = {
  name: 'smoke-test',
  readInputs: (input) => readSmokeInputs(input),
  run: async (inputs, services) => {
    const { runSmokeTest } = await import('../../smoke/run.js');
    await runSmokeTest(inputs, services);
  },
};
