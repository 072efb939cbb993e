import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import type { ClusterInfo } from '@vmportal/kube-testenv';
import { VirtualMachineEntityProvider } from '@vmportal/plugin-catalog-backend-module-kubevirt';
import { DefaultKubevirtClustersService } from '@vmportal/plugin-kubevirt-node';
import {
  CapturingLogger,
  clusterConfig,
  ManualScheduler,
} from './catalogTestUtils';

/**
 * The entities our provider emits for the VMs on `clusters`, exactly: the provider
 * itself runs (list, translate) against a connection that keeps its first full
 * mutation instead of applying it. The floor's static provider applies these.
 */
export async function captureProviderEntities(
  clusters: ClusterInfo[],
  timeoutMs: number,
): Promise<Entity[]> {
  const config = new ConfigReader({
    kubernetes: clusterConfig(clusters),
    catalog: { providers: { kubevirt: { bench: {} } } },
  });
  const logger = new CapturingLogger();
  const [provider] = VirtualMachineEntityProvider.fromConfig(config, {
    clusters: DefaultKubevirtClustersService.fromConfig(config, { logger }),
    logger,
    scheduler: new ManualScheduler(),
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<Entity[]>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `the provider emitted no full mutation in ${timeoutMs / 1000} s`,
            ),
          ),
        timeoutMs,
      );
      provider
        .connect({
          async applyMutation(mutation) {
            if (mutation.type === 'full') {
              resolve(mutation.entities.map(e => e.entity));
            }
          },
          async refresh() {},
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await provider.stop();
  }
}
