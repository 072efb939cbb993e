import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { kubevirtClustersServiceRef } from '@vmportal/plugin-kubevirt-node';
import { kubevirtEntityProviderObserverServiceRef } from './providers/observer';
import { VirtualMachineEntityProvider } from './providers/VirtualMachineEntityProvider';

/**
 * Registers the KubeVirt entity providers configured under
 * `catalog.providers.kubevirt`.
 *
 * @public
 */
export const catalogModuleKubevirtEntityProvider = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'kubevirt-entity-provider',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        observer: kubevirtEntityProviderObserverServiceRef,
        clusters: kubevirtClustersServiceRef,
      },
      async init({
        catalog,
        config,
        logger,
        scheduler,
        lifecycle,
        observer,
        clusters,
      }) {
        const providers = VirtualMachineEntityProvider.fromConfig(config, {
          clusters,
          logger,
          scheduler,
          observer,
        });
        for (const provider of providers) {
          catalog.addEntityProvider(provider);
          lifecycle.addShutdownHook(() => provider.stop());
        }
      },
    });
  },
});
