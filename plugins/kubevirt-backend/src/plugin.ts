import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { kubevirtPermissions } from '@vmportal/plugin-kubevirt-common';
import { kubevirtClustersServiceRef } from '@vmportal/plugin-kubevirt-node';
import { QuotaService } from './service/QuotaService';
import { readKubevirtPermissionsConfig } from './service/readKubevirtPermissionsConfig';
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
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        catalog: catalogServiceRef,
        clusters: kubevirtClustersServiceRef,
      },
      async init({
        config,
        logger,
        httpRouter,
        httpAuth,
        auth,
        permissions,
        permissionsRegistry,
        auditor,
        catalog,
        clusters,
      }) {
        const { servicePrincipalsAllowedToAct } =
          readKubevirtPermissionsConfig(config);
        permissionsRegistry.addPermissions(kubevirtPermissions);
        httpRouter.use(
          createRouter({
            httpAuth,
            permissions,
            clusters,
            virtualMachines: VirtualMachineService.create({
              clusters,
              catalog,
              auth,
              permissions,
              auditor,
              logger,
              servicePrincipalsAllowedToAct,
            }),
            quotas: QuotaService.create({ clusters, catalog, logger }),
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        logger.info(
          `Serving the VM page for ${clusters.list().length} cluster(s); ${
            servicePrincipalsAllowedToAct.size
          } service principal(s) may act on VMs`,
        );
      },
    });
  },
});
