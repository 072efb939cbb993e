import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { KubevirtAuthStrategy } from '../auth/KubevirtAuthStrategy';
import { ServiceAccountStrategy } from '../auth/ServiceAccountStrategy';
import { RequestPlanningReader } from '../cluster/RequestPlanningReader';
import { VirtualMachineActor } from '../cluster/VirtualMachineActor';
import { VirtualMachineInventoryReader } from '../cluster/VirtualMachineInventoryReader';
import { VirtualMachinePageCache } from '../cluster/VirtualMachinePageCache';
import { VirtualMachinePageReader } from '../cluster/VirtualMachinePageReader';
import {
  KubevirtClusterConfig,
  KubevirtClusterCredentialConfig,
  readClustersConfig,
} from '../readClustersConfig';
import { KubeApiTransport } from '../transport/KubeApiTransport';

/**
 * A configured cluster, without anything secret.
 *
 * @public
 */
export interface KubevirtClusterSummary {
  name: string;
  title?: string;
}

/**
 * One cluster as the KubeVirt plugins reach it: readers named for what they read (all
 * with the reader credential, the one the Kubernetes plugin also uses) and the actor
 * (its own credential) for what changes a VM.
 *
 * @public
 */
export interface KubevirtCluster extends KubevirtClusterSummary {
  /** The catalog's reads: VirtualMachines and Namespaces, lists and watches. */
  readonly inventory: VirtualMachineInventoryReader;
  /** The VM page's reads. */
  readonly page: VirtualMachinePageReader;
  /**
   * The VM page's reads answered from watches shared by every view (see
   * {@link VirtualMachinePageCache}); for showing, never for a write's read-modify-write.
   */
  readonly pageCache: VirtualMachinePageCache;
  /** A request plan's reads. */
  readonly planning: RequestPlanningReader;
  /**
   * Power, run strategy and server-side dry-run, with the actor credential;
   * `ServiceUnavailableError` naming the config key when the cluster has none.
   */
  actor(): VirtualMachineActor;
}

/**
 * Every cluster the KubeVirt plugins reach, shared by the catalog module, the
 * scaffolder module and the kubevirt backend plugin: config read once, one connection
 * pool per cluster and credential.
 *
 * @public
 */
export interface KubevirtClustersService {
  /** Names and titles of every cluster, in config order. */
  list(): KubevirtClusterSummary[];
  /** The cluster `name`; `NotFoundError` naming the configured clusters when there is none. */
  get(name: string): KubevirtCluster;
}

/**
 * The default {@link KubevirtClustersService}, read from
 * `kubernetes.clusterLocatorMethods` and `kubevirt.clusters`.
 *
 * @public
 */
export class DefaultKubevirtClustersService implements KubevirtClustersService {
  /**
   * Reads the clusters, checks every credential's config with its auth strategy
   * (`serviceAccount` built in, others registered), and builds one transport per
   * cluster and credential. Fails, naming the key and the fix, on unusable config.
   */
  static fromConfig(
    config: Config,
    options: {
      logger: LoggerService;
      authStrategies?: Record<string, KubevirtAuthStrategy>;
    },
  ): DefaultKubevirtClustersService {
    const strategies: Record<string, KubevirtAuthStrategy> = {
      serviceAccount: new ServiceAccountStrategy(),
      ...options.authStrategies,
    };
    const clusters = readClustersConfig(config).map(cluster =>
      buildCluster(cluster, strategies),
    );
    options.logger.info(
      `KubeVirt clusters: ${
        clusters
          .map(c => `${c.name} (${c.hasActor ? 'read and act' : 'read only'})`)
          .join(', ') || 'none configured'
      }`,
    );
    return new DefaultKubevirtClustersService(
      new Map(clusters.map(c => [c.name, c.cluster])),
    );
  }

  private constructor(
    private readonly clusters: Map<string, KubevirtCluster>,
  ) {}

  list(): KubevirtClusterSummary[] {
    return [...this.clusters.values()].map(({ name, title }) => ({
      name,
      ...(title && { title }),
    }));
  }

  /** Stops the page caches' watches (backend shutdown). */
  stop(): void {
    for (const cluster of this.clusters.values()) cluster.pageCache.stop();
  }

  get(name: string): KubevirtCluster {
    const cluster = this.clusters.get(name);
    if (cluster) return cluster;
    const names = [...this.clusters.keys()];
    throw new NotFoundError(
      names.length
        ? `cluster '${name}' is not configured; the configured clusters are ${names.join(
            ', ',
          )}`
        : `cluster '${name}' is not configured, and no cluster is: add clusters under kubernetes.clusterLocatorMethods (type config)`,
    );
  }
}

function transportFor(
  cluster: KubevirtClusterConfig,
  credential: KubevirtClusterCredentialConfig,
  strategies: Record<string, KubevirtAuthStrategy>,
): KubeApiTransport {
  const strategy = strategies[credential.authProvider];
  if (!strategy) {
    throw new InputError(
      `${credential.key}.authProvider is '${
        credential.authProvider
      }' on cluster '${cluster.name}'; the KubeVirt plugins know ${Object.keys(
        strategies,
      ).join(
        ', ',
      )}: use one of them, or register a strategy for it (kubevirtAuthStrategyServiceRef)`,
    );
  }
  const problems = strategy.validate(credential);
  if (problems.length > 0) {
    throw new InputError(problems.map(p => p.message).join('; '));
  }
  return KubeApiTransport.create({
    cluster: cluster.name,
    url: cluster.url,
    caData: cluster.caData,
    skipTLSVerify: cluster.skipTLSVerify,
    credential: () => strategy.getCredential(credential),
  });
}

function buildCluster(
  config: KubevirtClusterConfig,
  strategies: Record<string, KubevirtAuthStrategy>,
): { name: string; hasActor: boolean; cluster: KubevirtCluster } {
  const reader = transportFor(config, config.reader, strategies);
  const actor = config.actor
    ? new VirtualMachineActor(transportFor(config, config.actor, strategies))
    : undefined;
  const cluster: KubevirtCluster = {
    name: config.name,
    ...(config.title && { title: config.title }),
    inventory: new VirtualMachineInventoryReader(reader),
    page: new VirtualMachinePageReader(reader),
    pageCache: new VirtualMachinePageCache(reader),
    planning: new RequestPlanningReader(reader),
    actor() {
      if (!actor) {
        throw new ServiceUnavailableError(
          `Cluster '${config.name}' has no actor credential, so the portal only reads it; a platform admin sets kubevirt.clusters.${config.name}.actor.serviceAccountToken (see docs/security.md)`,
        );
      }
      return actor;
    },
  };
  return { name: config.name, hasActor: Boolean(actor), cluster };
}
