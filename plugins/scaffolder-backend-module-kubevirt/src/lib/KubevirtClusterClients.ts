import { Config } from '@backstage/config';
import { VirtualMachineRequestError } from '@vmportal/plugin-kubevirt-common';
import {
  KubevirtClient,
  readClustersConfig,
} from '@vmportal/plugin-kubevirt-node';

/**
 * One {@link @vmportal/plugin-kubevirt-node#KubevirtClient} per cluster configured under
 * `kubernetes.clusterLocatorMethods`, built once when the scaffolder starts.
 *
 * @public
 */
export class KubevirtClusterClients {
  /** Clients for every configured cluster. */
  static fromConfig(config: Config): KubevirtClusterClients {
    return new KubevirtClusterClients(
      new Map(
        readClustersConfig(config).map(cluster => [
          cluster.name,
          KubevirtClient.fromConfig(cluster),
        ]),
      ),
    );
  }

  private constructor(private readonly clients: Map<string, KubevirtClient>) {}

  /** The configured cluster names, in config order. */
  names(): string[] {
    return [...this.clients.keys()];
  }

  /**
   * The client of `cluster`; a {@link @vmportal/plugin-kubevirt-common#VirtualMachineRequestError}
   * on field `cluster` that names the configured clusters when there is no such cluster.
   */
  client(cluster: string): KubevirtClient {
    const client = this.clients.get(cluster);
    if (client) return client;
    const names = this.names();
    throw new VirtualMachineRequestError([
      {
        field: 'cluster',
        message:
          names.length === 0
            ? `'${cluster}' is not a configured cluster, and none is configured; add clusters under kubernetes.clusterLocatorMethods`
            : `'${cluster}' is not a configured cluster; choose one of ${names.join(
                ', ',
              )}`,
      },
    ]);
  }
}
