import type { Config } from '@backstage/config';

/**
 * What a request to an apiserver is authenticated with.
 *
 * @public
 */
export type KubevirtCredential =
  | { type: 'bearer token'; token: string }
  | { type: 'x509 client certificate'; cert: string; key: string }
  | { type: 'anonymous' };

/**
 * One credential of one cluster as configured: the cluster's entry under
 * `kubernetes.clusterLocatorMethods` (the reader) or `kubevirt.clusters.<name>.actor`
 * (the actor).
 *
 * @public
 */
export interface KubevirtCredentialConfig {
  /** The cluster's name. */
  cluster: string;
  /** The config key of this credential, for error messages, e.g. `kubevirt.clusters.east.actor`. */
  key: string;
  /** The config of this credential (its `authProvider` and the strategy's own fields). */
  config: Config;
}

/**
 * How the KubeVirt plugins authenticate to a cluster for one `authProvider`, in the
 * shape of the Kubernetes plugin's `AuthenticationStrategy`: the portal asks for a
 * credential before every request (so a strategy can refresh one), and validates each
 * cluster's config at start-up.
 *
 * @public
 */
export interface KubevirtAuthStrategy {
  /** The credential to send now. */
  getCredential(
    credential: KubevirtCredentialConfig,
  ): Promise<KubevirtCredential>;
  /**
   * Problems with the config, each naming the key and the fix; the backend refuses to
   * start when there are any.
   */
  validate(credential: KubevirtCredentialConfig): Error[];
}
