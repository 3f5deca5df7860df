import type { ActionDefinition } from '../../core/index.js';
import { readBuildAndSignInputs, type BuildAndSignInputs } from './inputs.js';

export const buildAndSign: ActionDefinition<BuildAndSignInputs> = {
  name: 'build-and-sign',
  readInputs: (input, services) => readBuildAndSignInputs(input, services),
  run: async (inputs, services) => {
    const { runBuildAndSign } = await import('../../build/run.js');
    await runBuildAndSign(inputs, services);
  },
};
