import { VirtualMachineRequestError } from '@vmportal/plugin-kubevirt-common';
import type {
  KubevirtCluster,
  KubevirtClustersService,
} from '@vmportal/plugin-kubevirt-node';

/**
 * The cluster a request names; a `VirtualMachineRequestError` on field `cluster` that
 * names the configured clusters when there is no such cluster.
 */
export function requestCluster(
  clusters: KubevirtClustersService,
  name: string,
): KubevirtCluster {
  const names = clusters.list().map(cluster => cluster.name);
  if (names.includes(name)) return clusters.get(name);
  throw new VirtualMachineRequestError([
    {
      field: 'cluster',
      message:
        names.length === 0
          ? `'${name}' is not a configured cluster, and none is configured; add clusters under kubernetes.clusterLocatorMethods`
          : `'${name}' is not a configured cluster; choose one of ${names.join(
              ', ',
            )}`,
    },
  ]);
}
