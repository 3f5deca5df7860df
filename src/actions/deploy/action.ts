import type { ActionDefinition } from '../../core/index.js';
import { readDeployInputs, type DeployInputs } from './inputs.js';

export const deploy: ActionDefinition<DeployInputs> = {
  name: 'deploy',
  readInputs: (input, services) => readDeployInputs(input, services),
  run: async (inputs, services) => {
    const { runDeploy } = await import('../../deploy/run.js');
    await runDeploy(inputs, services);
  },
};
