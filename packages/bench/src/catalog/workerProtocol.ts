import type { Entity } from '@backstage/catalog-model';
import type { JsonObject } from '@backstage/types';
import type { ClusterInfo } from '@vmportal/kube-testenv';
import type { KubevirtEntityProviderSyncEvent } from '@vmportal/plugin-catalog-backend-module-kubevirt/alpha';

/**
 * Which backend a worker runs: `ours` (catalog with the KubeVirt provider), `static`
 * (the floor: one full mutation of entities read from a file), `peer` (TeraSky's
 * Kubernetes ingestor with the Kubernetes backend it reads clusters through) or `page`
 * (ours plus the kubevirt backend plugin that serves the VM page).
 */
export type WorkerMode = 'ours' | 'static' | 'peer' | 'page';

/** How a worker starts its backend. */
export interface WorkerStartOptions {
  mode: WorkerMode;
  /** `backend.database` */
  database: JsonObject;
  clusters: ClusterInfo[];
  /** static: a JSON file holding the entities to apply. */
  entitiesFile?: string;
  /** `catalog.processingInterval` in seconds; undefined: the catalog's default. */
  processingIntervalSeconds?: number;
  /** `catalog.stitchingStrategy.pollingInterval` in ms; undefined: the catalog's default. */
  stitchingPollingMs?: number;
  /** peer: seconds between its full syncs. */
  peerFrequencySeconds?: number;
  /**
   * ours and static: Group entities with these names (namespace `default`), from a
   * static provider beside the others, so that owner changes re-stitch real groups.
   */
  groups?: string[];
}

/** What the catalog API shows of the Components now, and what its queues hold. */
export interface CatalogState {
  /** Every final Component: name, `spec.owner`, run strategy label. */
  components: Array<[name: string, owner: string, runStrategy: string]>;
  /** `refresh_state` rows due for processing (`next_update_at` passed). */
  processingDue: number;
  /** `stitch_queue` rows, and those due (`next_stitch_at` passed). */
  stitchQueued: number;
  stitchDue: number;
  /** Entities processed since the backend started (a processor counts them). */
  processed: number;
  /** Final Group entities. */
  groups: number;
}

/** Parent to worker. */
export type ParentMessage =
  | { type: 'start'; options: WorkerStartOptions }
  /** How many Components are final (stitched): visible to the catalog API. */
  | { type: 'count'; id: number }
  | { type: 'stop'; id: number }
  /** The final Components and the catalog's queues (see {@link CatalogState}). */
  | { type: 'state'; id: number }
  /** The Components as the provider emitted them (`refresh_state.unprocessed_entity`). */
  | { type: 'unprocessed'; id: number }
  /** static only: one delta mutation of the static provider; replies its duration. */
  | { type: 'delta'; id: number; added: Entity[]; removed: string[] };

/** Worker to parent. Times are `Date.now()` on this machine. */
export type WorkerMessage =
  | {
      type: 'started';
      port: number;
      /** Just before the backend started: time-to-ingest counts from here. */
      startCalledAt: number;
      startedAt: number;
    }
  | { type: 'failed'; error: string }
  | {
      type: 'reply';
      id: number;
      value?: number;
      state?: CatalogState;
      entities?: Entity[];
      error?: string;
    }
  | { type: 'sync'; event: KubevirtEntityProviderSyncEvent; at: number }
  | {
      type: 'mutation';
      mutationType: 'full' | 'delta';
      addedCount: number;
      /** Refs of a delta (a full mutation's thousands are left out). */
      refs: string[];
      durationMs: number;
      appliedAt: number;
    }
  | { type: 'change'; cluster: string; refs: string[]; observedAt: number }
  | { type: 'staticApplied'; durationMs: number; appliedAt: number }
  | {
      type: 'log';
      level: string;
      message: string;
      meta: JsonObject;
      at: number;
    };
