import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/**
 * A cluster the KubeVirt plugins talk to, read from the Kubernetes plugin's
 * `kubernetes.clusterLocatorMethods` (type `config`), so a portal that already shows
 * Kubernetes workloads needs no second list of clusters.
 *
 * @public
 */
export interface KubevirtClusterConfig {
  /** Unique name; entity annotations and API routes refer to it. */
  name: string;
  /** The apiserver's URL. */
  url: string;
  /** Bearer token of the service account the portal acts as. */
  serviceAccountToken: string;
  /** PEM of the CA that signed the apiserver's certificate, base64-encoded as in a kubeconfig. */
  caData?: string;
  /** Skip TLS verification (never in production). */
  skipTLSVerify: boolean;
  /** Title to show instead of the name. */
  title?: string;
}

/**
 * Reads every cluster under `kubernetes.clusterLocatorMethods` of type `config`.
 * Fails at start-up, naming the key and the fix, when a cluster cannot be used.
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
      const authProvider = cluster.getString('authProvider');
      if (authProvider !== 'serviceAccount') {
        throw new InputError(
          `${key}.authProvider is '${authProvider}' on cluster '${name}'; the KubeVirt plugins act as a service account: set authProvider: serviceAccount and serviceAccountToken`,
        );
      }
      const serviceAccountToken = cluster.getOptionalString(
        'serviceAccountToken',
      );
      if (!serviceAccountToken) {
        throw new InputError(
          `${key}.serviceAccountToken is missing on cluster '${name}'; set it to the token of a service account with the RBAC in the kubevirt-node README`,
        );
      }
      if (clusters.some(c => c.name === name)) {
        throw new InputError(
          `${key}.name '${name}' is used by another cluster; cluster names must be unique`,
        );
      }
      clusters.push({
        name,
        url: cluster.getString('url'),
        serviceAccountToken,
        caData: cluster.getOptionalString('caData'),
        skipTLSVerify: cluster.getOptionalBoolean('skipTLSVerify') ?? false,
        title: cluster.getOptionalString('title'),
      });
    });
  });
  return clusters;
}
