import {
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';

/**
 * A mutation a KubeVirt entity provider applied to the catalog.
 *
 * @alpha
 */
export interface KubevirtEntityProviderMutationEvent {
  /** e.g. `kubevirt-provider:demo`. */
  providerName: string;
  type: 'full' | 'delta';
  /** Refs upserted (every entity of a full mutation). */
  added: string[];
  /** Refs removed by a delta. */
  removed: string[];
  /** How long the catalog took to accept the mutation. */
  durationMs: number;
  /** `Date.now()` when the catalog accepted it. */
  appliedAt: number;
}

/**
 * An initial or scheduled sync across every cluster of a provider.
 *
 * @alpha
 */
export interface KubevirtEntityProviderSyncEvent {
  providerName: string;
  reason: 'initial' | 'scheduled';
  clusters: number;
  /** Clusters listed successfully in this sync. */
  reachableClusters: number;
  virtualMachines: number;
  /** Whether the sync ended with a full mutation (else deltas only). */
  fullMutation: boolean;
  /** From the start of the sync to the catalog accepting its mutation. */
  durationMs: number;
}

/**
 * A VirtualMachine change a provider saw on a watch or a list.
 *
 * @alpha
 */
export interface KubevirtEntityProviderChangeEvent {
  providerName: string;
  cluster: string;
  entityRefs: string[];
  /** `Date.now()` when the provider saw the change. */
  observedAt: number;
}

/**
 * Hooks into the KubeVirt entity providers, for benchmarks and metrics: the time a
 * change was seen, and when and how the catalog took it. The default does nothing.
 *
 * @alpha
 */
export interface KubevirtEntityProviderObserverService {
  changeObserved?(event: KubevirtEntityProviderChangeEvent): void;
  mutationApplied?(event: KubevirtEntityProviderMutationEvent): void;
  syncCompleted?(event: KubevirtEntityProviderSyncEvent): void;
}

/**
 * Replace this service (with `createServiceFactory`) to observe the providers, e.g. to
 * measure time-to-ingest.
 *
 * @alpha
 */
export const kubevirtEntityProviderObserverServiceRef =
  createServiceRef<KubevirtEntityProviderObserverService>({
    id: 'kubevirt.entity-provider-observer',
    scope: 'plugin',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: {},
        factory: () => ({}),
      }),
  });
