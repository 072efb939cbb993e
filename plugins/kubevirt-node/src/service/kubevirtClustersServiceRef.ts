import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { kubevirtAuthStrategyServiceRef } from '../auth/kubevirtAuthStrategyServiceRef';
import {
  DefaultKubevirtClustersService,
  KubevirtClustersService,
} from './KubevirtClustersService';

/**
 * The clusters the KubeVirt plugins reach: one root-scoped instance per backend,
 * shared by the catalog module, the scaffolder module and the kubevirt backend plugin.
 *
 * @public
 */
export const kubevirtClustersServiceRef =
  createServiceRef<KubevirtClustersService>({
    id: 'kubevirt.clusters',
    scope: 'root',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: {
          config: coreServices.rootConfig,
          logger: coreServices.rootLogger,
          lifecycle: coreServices.rootLifecycle,
          authStrategies: kubevirtAuthStrategyServiceRef,
        },
        factory({ config, logger, lifecycle, authStrategies }) {
          const clusters = DefaultKubevirtClustersService.fromConfig(config, {
            logger: logger.child({ service: 'kubevirt.clusters' }),
            authStrategies: Object.fromEntries(
              authStrategies.map(r => [r.authProvider, r.strategy]),
            ),
          });
          lifecycle.addShutdownHook(() => clusters.stop());
          return clusters;
        },
      }),
  });
