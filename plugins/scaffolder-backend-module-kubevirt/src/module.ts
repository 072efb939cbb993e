import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { kubevirtClustersServiceRef } from '@vmportal/plugin-kubevirt-node';
import { createChangeVirtualMachineAction } from './actions/changeVirtualMachine';
import { createPlanVirtualMachineAction } from './actions/planVirtualMachine';
import { createRecordVirtualMachineRequestAction } from './actions/recordVirtualMachineRequest';
import { createRenderVirtualMachineAction } from './actions/renderVirtualMachine';
import { readKubevirtGitopsConfig } from './lib/KubevirtGitopsConfig';
import { VirtualMachineRequestAdmission } from './lib/VirtualMachineRequestAdmission';

/**
 * Adds the `kubevirt:vm:plan`, `kubevirt:vm:render` and `kubevirt:vm:record-request`
 * actions to the scaffolder.
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
        clusters: kubevirtClustersServiceRef,
        catalog: catalogServiceRef,
        userInfo: coreServices.userInfo,
        permissions: coreServices.permissions,
        auditor: coreServices.auditor,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        urlReader: coreServices.urlReader,
      },
      async init({
        scaffolder,
        config,
        logger,
        clusters,
        catalog,
        userInfo,
        permissions,
        auditor,
        auth,
        discovery,
        urlReader,
      }) {
        const gitops = readKubevirtGitopsConfig(config);
        const admission = VirtualMachineRequestAdmission.fromConfig(config, {
          catalog,
          userInfo,
          permissions,
        });
        scaffolder.addActions(
          createPlanVirtualMachineAction({ clusters, admission, auditor }),
          createRenderVirtualMachineAction({
            clusters,
            admission,
            gitops,
            auditor,
          }),
          createChangeVirtualMachineAction({
            clusters,
            admission,
            auditor,
            gitops,
            auth,
            discovery,
            urlReader,
            catalog,
          }),
          createRecordVirtualMachineRequestAction({
            auth,
            discovery,
            appBaseUrl: config.getOptionalString('app.baseUrl') ?? '',
          }),
        );
        logger.info(
          `kubevirt:vm:plan, kubevirt:vm:render, kubevirt:vm:change and kubevirt:vm:record-request for clusters: ${
            clusters
              .list()
              .map(c => c.name)
              .join(', ') || '(none configured)'
          }; GitOps repository ${gitops.repoUrl ?? '(not configured)'}`,
        );
      },
    });
  },
});
