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
  /** peer: seconds between its full syncs. */
  peerFrequencySeconds?: number;
}

/** Parent to worker. */
export type ParentMessage =
  | { type: 'start'; options: WorkerStartOptions }
  /** How many Components are final (stitched): visible to the catalog API. */
  | { type: 'count'; id: number }
  | { type: 'stop'; id: number };

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
  | { type: 'reply'; id: number; value?: number; error?: string }
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
