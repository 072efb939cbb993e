import type { QuotaShortfall } from './vmView';

/**
 * A node as a live migration's target: whether the target launcher pod fits there
 * now, and why not.
 *
 * @public
 */
export interface MigrationTargetNode {
  name: string;
  fits: boolean;
  /** Allocatable minus what the node's running pods request, in canonical quantities. */
  cpuFree: string;
  memoryFree: string;
  /** Why the pod would not be scheduled there, in words; absent when it fits. */
  reason?: string;
}

/**
 * A live migration under way or just ended, from its VirtualMachineInstanceMigration.
 *
 * @public
 */
export interface MigrationStatus {
  /** The VirtualMachineInstanceMigration's name. */
  name: string;
  phase: string;
  sourceNode?: string;
  targetNode?: string;
  /** Why it waits or failed (a condition's or the migration state's message). */
  reason?: string;
  startedAt?: string;
  endedAt?: string;
}

/**
 * Whether a running VM can be live-migrated now, checked before the click: KubeVirt
 * must be able to migrate it, the namespace's ResourceQuotas must admit the target
 * launcher pod while the source pod still runs (both count until the migration ends),
 * and another node must have room for it.
 *
 * @public
 */
export interface VirtualMachineMigrationPlan {
  /** True when a migration started now would be admitted and scheduled. */
  fits: boolean;
  /** Why not, each naming what stands in the way and the fix. */
  problems: string[];
  /** What the target launcher pod requests (cpu, memory), as the running one does. */
  targetPod?: { cpu: string; memory: string };
  /** The quotas the target pod would not fit in, by resource. */
  quotaShortfalls: QuotaShortfall[];
  /** The nodes KubeVirt could move the VM to, best first. */
  nodes: MigrationTargetNode[];
  /** The VM's node now. */
  currentNode?: string;
  /** The latest migration of the VM, if any. */
  latest?: MigrationStatus;
}
