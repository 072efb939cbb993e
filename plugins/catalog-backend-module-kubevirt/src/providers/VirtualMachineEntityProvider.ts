import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import type {
  KubevirtCluster,
  KubevirtClustersService,
} from '@vmportal/plugin-kubevirt-node';
import { NamespaceFilter } from '../lib/namespaceFilter';
import { ClusterVirtualMachineSync } from './ClusterVirtualMachineSync';
import { EntityMutationQueue } from './EntityMutationQueue';
import type { KubevirtEntityProviderObserverService } from './observer';
import {
  readVirtualMachineEntityProviderConfigs,
  VirtualMachineEntityProviderConfig,
} from './VirtualMachineEntityProviderConfig';
import { VirtualMachineEntityTranslator } from './VirtualMachineEntityTranslator';

/**
 * What {@link VirtualMachineEntityProvider.fromConfig} needs besides config.
 *
 * @public
 */
export interface VirtualMachineEntityProviderDeps {
  /** The clusters to read (`kubevirtClustersServiceRef`). */
  clusters: KubevirtClustersService;
  logger: LoggerService;
  scheduler: SchedulerService;
  /**
   * Hooks for benchmarks and metrics. Internal: the module sets it from
   * `kubevirtEntityProviderObserverServiceRef` (the `/alpha` export).
   *
   * @internal
   */
  observer?: KubevirtEntityProviderObserverService;
  /** How long changes are gathered before a delta mutation. Default: 200 ms. */
  batchDelayMs?: number;
  /** Cap of the retry backoff for unreachable clusters. Default: 30 s. */
  maxBackoffMs?: number;
}

/**
 * Provides one `virtual-machine` Component per KubeVirt VirtualMachine on the
 * configured clusters: a paginated list and a full mutation at start-up, then watches
 * per cluster that emit delta mutations within a fraction of a second, and a
 * scheduled full sync as a safety net.
 *
 * @public
 */
export class VirtualMachineEntityProvider implements EntityProvider {
  /** One provider per key under `catalog.providers.kubevirt`. */
  static fromConfig(
    config: Config,
    deps: VirtualMachineEntityProviderDeps,
  ): VirtualMachineEntityProvider[] {
    const clusters = deps.clusters.list().map(c => deps.clusters.get(c.name));
    return readVirtualMachineEntityProviderConfigs(config).map(
      providerConfig => {
        const selected = selectClusters(providerConfig, clusters);
        const provider = new VirtualMachineEntityProvider(
          providerConfig,
          selected,
          deps,
        );
        if (selected.length === 0) {
          provider.logger.warn(
            `No clusters to read: kubernetes.clusterLocatorMethods has no clusters of type config. Add the clusters there; until then this provider provides no entities`,
          );
        }
        return provider;
      },
    );
  }

  private readonly logger: LoggerService;
  private readonly syncs: ClusterVirtualMachineSync[];
  private queue: EntityMutationQueue | undefined;
  private initialSync: Promise<void> | undefined;
  private initialSyncDone = false;
  private fullMutationDone = false;
  private stopped = false;

  private constructor(
    private readonly config: VirtualMachineEntityProviderConfig,
    clusters: KubevirtCluster[],
    private readonly deps: VirtualMachineEntityProviderDeps,
  ) {
    this.logger = deps.logger.child({ target: this.getProviderName() });
    const translator = new VirtualMachineEntityTranslator(config, this.logger);
    const filter = new NamespaceFilter(
      config.namespaces.include,
      config.namespaces.exclude,
    );
    this.syncs = clusters.map(
      cluster =>
        new ClusterVirtualMachineSync({
          inventory: cluster.inventory,
          filter,
          labelSelector: config.labelSelector,
          translator,
          logger: this.logger.child({ cluster: cluster.name }),
          maxBackoffMs: deps.maxBackoffMs,
          onChange: refs => this.onChange(cluster.name, refs),
          onListed: () => this.onClusterListed(),
        }),
    );
  }

  getProviderName(): string {
    return `kubevirt-provider:${this.config.id}`;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    const name = this.getProviderName();
    this.queue = new EntityMutationQueue({
      connection,
      locationKey: name,
      logger: this.logger,
      batchDelayMs: this.deps.batchDelayMs ?? 200,
      source: {
        get: ref => this.entity(ref),
        all: () => this.entities(),
      },
      onApplied: mutation =>
        this.deps.observer?.mutationApplied?.({
          providerName: name,
          ...mutation,
          appliedAt: Date.now(),
        }),
    });
    await this.deps.scheduler.scheduleTask({
      id: `${name}:refresh`,
      ...this.config.schedule,
      fn: async () => {
        try {
          await this.refresh();
        } catch (error) {
          this.logger.error(
            `Scheduled sync failed: ${
              error instanceof Error ? error.message : String(error)
            }`,
          );
        }
      },
    });
    // Start-up does not wait for clusters: an unreachable one must not hold the catalog.
    this.initialSync = this.sync('initial').catch(error =>
      this.logger.error(
        `Initial sync failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
      ),
    );
  }

  /**
   * Lists every cluster again and emits a full mutation (the scheduled safety net).
   * Clusters that cannot be listed keep their last known entities.
   */
  async refresh(): Promise<void> {
    if (!this.initialSyncDone) {
      // The initial sync is this run; the schedule fires at start-up too.
      await this.initialSync;
      return;
    }
    await this.sync('scheduled');
  }

  /** Stops every watch and pending mutation. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue?.stop();
    await Promise.all(this.syncs.map(sync => sync.stop()));
  }

  private async sync(reason: 'initial' | 'scheduled'): Promise<void> {
    const queue = this.queue;
    if (!queue || this.stopped) return;
    const startedAt = Date.now();
    let listed: boolean[];
    if (reason === 'initial') {
      for (const sync of this.syncs) sync.start();
      listed = await Promise.all(this.syncs.map(sync => sync.firstAttempt));
    } else {
      listed = await Promise.all(this.syncs.map(sync => sync.resync()));
    }
    if (this.stopped) return;
    const neverListed = this.syncs.filter(sync => !sync.everListed);
    let fullMutation = false;
    if (neverListed.length === 0) {
      await queue.requestFull();
      this.fullMutationDone = true;
      fullMutation = true;
    } else {
      // A full mutation now would drop those clusters' entities from the catalog.
      this.logger.warn(
        `Full mutation postponed until cluster(s) ${neverListed
          .map(sync => `'${sync.cluster}'`)
          .join(
            ', ',
          )} can be listed; their entities stay in the catalog, the other clusters' changes flow as deltas`,
      );
    }
    this.initialSyncDone = true;
    queue.release();
    await queue.idle();
    const virtualMachines = this.syncs.reduce((n, sync) => n + sync.size, 0);
    const reachableClusters = listed.filter(Boolean).length;
    const durationMs = Date.now() - startedAt;
    this.logger.info(
      `${
        reason === 'initial' ? 'Initial' : 'Scheduled'
      } sync: ${virtualMachines} VirtualMachines from ${reachableClusters} of ${
        this.syncs.length
      } clusters in ${durationMs} ms (${
        fullMutation ? 'full mutation' : 'delta mutations'
      })`,
      {
        reason,
        clusters: this.syncs.length,
        reachableClusters,
        virtualMachines,
        fullMutation,
        durationMs,
      },
    );
    this.deps.observer?.syncCompleted?.({
      providerName: this.getProviderName(),
      reason,
      clusters: this.syncs.length,
      reachableClusters,
      virtualMachines,
      fullMutation,
      durationMs,
    });
  }

  private onChange(cluster: string, refs: string[]) {
    this.queue?.changed(refs);
    this.deps.observer?.changeObserved?.({
      providerName: this.getProviderName(),
      cluster,
      entityRefs: refs,
      observedAt: Date.now(),
    });
  }

  /** The first time every cluster has been listed after start-up, catch up on the full mutation. */
  private onClusterListed() {
    if (
      !this.initialSyncDone ||
      this.fullMutationDone ||
      this.stopped ||
      !this.syncs.every(sync => sync.everListed)
    ) {
      return;
    }
    this.fullMutationDone = true;
    this.queue
      ?.requestFull()
      .catch(error =>
        this.logger.debug(
          `Full mutation abandoned: ${
            error instanceof Error ? error.message : String(error)
          }`,
        ),
      );
  }

  private entity(ref: string): Entity | undefined {
    for (const sync of this.syncs) {
      const entity = sync.get(ref);
      if (entity) return entity;
    }
    return undefined;
  }

  private entities(): Entity[] {
    return this.syncs.flatMap(sync => sync.entities());
  }
}

function selectClusters(
  config: VirtualMachineEntityProviderConfig,
  clusters: KubevirtCluster[],
): KubevirtCluster[] {
  if (!config.clusters) return clusters;
  return config.clusters.map((name, i) => {
    const cluster = clusters.find(c => c.name === name);
    if (!cluster) {
      throw new InputError(
        `catalog.providers.kubevirt.${
          config.id
        }.clusters[${i}] '${name}' is not a cluster of kubernetes.clusterLocatorMethods (type config); known clusters: ${
          clusters.map(c => c.name).join(', ') || 'none'
        }`,
      );
    }
    return cluster;
  });
}
