import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import type { KubevirtCredentialConfig } from './auth/KubevirtAuthStrategy';

/**
 * One credential of a cluster: which auth strategy serves it and its config.
 *
 * @public
 */
export interface KubevirtClusterCredentialConfig
  extends KubevirtCredentialConfig {
  /** The auth strategy's name, e.g. `serviceAccount`. */
  authProvider: string;
}

/**
 * A cluster the KubeVirt plugins talk to. Its address and its reader credential come
 * from the Kubernetes plugin's `kubernetes.clusterLocatorMethods` (type `config`), so a
 * portal that already shows Kubernetes workloads needs no second list of clusters; the
 * actor credential is the KubeVirt plugins' own (`kubevirt.clusters.<name>.actor`),
 * so no proxy ever carries it.
 *
 * @public
 */
export interface KubevirtClusterConfig {
  /** Unique name; entity annotations and API routes refer to it. */
  name: string;
  /** The apiserver's URL. */
  url: string;
  /** PEM of the CA that signed the apiserver's certificate, base64-encoded as in a kubeconfig. */
  caData?: string;
  /** Skip TLS verification (never in production). */
  skipTLSVerify: boolean;
  /** Title to show instead of the name. */
  title?: string;
  /** List, watch and get: the catalog, the VM page and request plans. */
  reader: KubevirtClusterCredentialConfig;
  /** Power subresources, run-strategy patches and server-side dry-runs; none when not configured. */
  actor?: KubevirtClusterCredentialConfig;
}

/**
 * Reads every cluster under `kubernetes.clusterLocatorMethods` of type `config`, with
 * its actor credential from `kubevirt.clusters`. Fails at start-up, naming the key and
 * the fix, when the config cannot be used.
 *
 * @public
 */
export function readClustersConfig(config: Config): KubevirtClusterConfig[] {
  const methods =
    config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
  const clusters: KubevirtClusterConfig[] = [];
  methods.forEach((method, methodIndex) => {
    if (method.getString('type') !== 'config') return;
    const methodKey = `kubernetes.clusterLocatorMethods[${methodIndex}]`;
    (method.getOptionalConfigArray('clusters') ?? []).forEach((cluster, i) => {
      const key = `${methodKey}.clusters[${i}]`;
      const name = cluster.getString('name');
      if (clusters.some(c => c.name === name)) {
        throw new InputError(
          `${key}.name '${name}' is used by another cluster; cluster names must be unique`,
        );
      }
      clusters.push({
        name,
        url: cluster.getString('url'),
        caData: cluster.getOptionalString('caData'),
        skipTLSVerify: cluster.getOptionalBoolean('skipTLSVerify') ?? false,
        title: cluster.getOptionalString('title'),
        reader: {
          cluster: name,
          key,
          config: cluster,
          authProvider: cluster.getString('authProvider'),
        },
      });
    });
  });

  const own = config.getOptionalConfig('kubevirt.clusters');
  for (const name of own?.keys() ?? []) {
    const key = `kubevirt.clusters.${name}`;
    const cluster = clusters.find(c => c.name === name);
    if (!cluster) {
      throw new InputError(
        `${key} names no cluster of kubernetes.clusterLocatorMethods (type config); ${
          clusters.length
            ? `use one of ${clusters.map(c => c.name).join(', ')}`
            : 'configure the cluster there first'
        }`,
      );
    }
    const actor = own!.getOptionalConfig(`${name}.actor`);
    if (actor) {
      cluster.actor = {
        cluster: name,
        key: `${key}.actor`,
        config: actor,
        authProvider:
          actor.getOptionalString('authProvider') ?? 'serviceAccount',
      };
    }
  }
  return clusters;
}
