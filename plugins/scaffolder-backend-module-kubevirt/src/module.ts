import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createPlanVirtualMachineAction } from './actions/planVirtualMachine';
import { createRenderVirtualMachineAction } from './actions/renderVirtualMachine';
import { KubevirtClusterClients } from './lib/KubevirtClusterClients';
import { readKubevirtGitopsConfig } from './lib/KubevirtGitopsConfig';

/**
 * Adds the `kubevirt:vm:plan` and `kubevirt:vm:render` actions to the scaffolder.
 *
 * @public
 */
export const scaffolderModuleKubevirtActions = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'kubevirt-actions',
  register(env) {
    env.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ scaffolder, config, logger }) {
        const clusters = KubevirtClusterClients.fromConfig(config);
        const gitops = readKubevirtGitopsConfig(config);
        scaffolder.addActions(
          createPlanVirtualMachineAction({ clusters }),
          createRenderVirtualMachineAction({ clusters, gitops }),
        );
        logger.info(
          `kubevirt:vm:plan and kubevirt:vm:render for clusters: ${
            clusters.names().join(', ') || '(none configured)'
          }; GitOps repository ${gitops.repoUrl ?? '(not configured)'}`,
        );
      },
    });
  },
});
