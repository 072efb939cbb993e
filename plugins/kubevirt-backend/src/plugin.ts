import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { kubevirtPermissions } from '@vmportal/plugin-kubevirt-common';
import { KubevirtClusters } from './service/KubevirtClusters';
import { QuotaService } from './service/QuotaService';
import { createRouter } from './service/router';
import { VirtualMachineService } from './service/VirtualMachineService';

/**
 * The KubeVirt backend plugin: the VM page's live view, power actions and quota
 * summaries, served under `/api/kubevirt`.
 *
 * @public
 */
export const kubevirtPlugin = createBackendPlugin({
  pluginId: 'kubevirt',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        catalog: catalogServiceRef,
      },
      async init({
        config,
        logger,
        httpRouter,
        httpAuth,
        permissions,
        permissionsRegistry,
        auditor,
        catalog,
      }) {
        const clusters = KubevirtClusters.fromConfig(config);
        permissionsRegistry.addPermissions(kubevirtPermissions);
        httpRouter.use(
          createRouter({
            httpAuth,
            clusters,
            virtualMachines: VirtualMachineService.create({
              clusters,
              catalog,
              permissions,
              auditor,
              logger,
            }),
            quotas: QuotaService.create({ clusters, catalog, logger }),
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        logger.info(
          `Serving the VM page for ${clusters.list().length} cluster(s)`,
        );
      },
    });
  },
});
