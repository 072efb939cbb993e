import type { Config } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import {
  KubevirtClient,
  readClustersConfig,
} from '@vmportal/plugin-kubevirt-node';

/**
 * A cluster the request form can offer, without anything secret.
 *
 * @internal
 */
export interface KubevirtClusterSummary {
  name: string;
  title?: string;
}

/**
 * The configured clusters (`kubernetes.clusterLocatorMethods`, type `config`), each
 * with its {@link @vmportal/plugin-kubevirt-node#KubevirtClient}, built once at
 * start-up.
 *
 * @internal
 */
export class KubevirtClusters {
  /** Reads the clusters and builds one client per cluster. */
  static fromConfig(config: Config): KubevirtClusters {
    const clusters = readClustersConfig(config);
    return new KubevirtClusters(
      clusters.map(c => ({ name: c.name, title: c.title })),
      new Map(clusters.map(c => [c.name, KubevirtClient.fromConfig(c)])),
    );
  }

  private constructor(
    private readonly summaries: KubevirtClusterSummary[],
    private readonly clients: Map<string, KubevirtClient>,
  ) {}

  /** Names and titles of every cluster, in config order. */
  list(): KubevirtClusterSummary[] {
    return this.summaries.map(s => ({ ...s }));
  }

  /** The client of cluster `name`; `NotFoundError` when no such cluster is configured. */
  client(name: string): KubevirtClient {
    const client = this.clients.get(name);
    if (!client) {
      throw new NotFoundError(
        `cluster '${name}' is not configured; add it under kubernetes.clusterLocatorMethods (type config)`,
      );
    }
    return client;
  }

  /** Every client, in config order. */
  all(): KubevirtClient[] {
    return [...this.clients.values()];
  }
}
