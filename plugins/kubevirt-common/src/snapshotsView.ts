/**
 * A snapshot of a VM as the page lists it.
 *
 * @public
 */
export interface ViewSnapshot {
  name: string;
  /** KubeVirt's phase: InProgress, Succeeded, Failed, Deleting, Unknown. */
  phase: string;
  readyToUse: boolean;
  /** When KubeVirt took it (absent until it has). */
  createdAt?: string;
  /** KubeVirt's indications: Online, GuestAgent, NoGuestAgent, Paused, PartialSnapshot. */
  indications: string[];
  /** The disks saved with it; the rest are `excludedDisks` (no VolumeSnapshotClass for their storage). */
  includedDisks: string[];
  excludedDisks: string[];
  /** The saved disks' size (their claims' requests), canonical quantity; absent with no disk. */
  size?: string;
  /** Why it failed or waits. */
  error?: string;
}

/**
 * A restore of a VM from one of its snapshots.
 *
 * @public
 */
export interface ViewRestore {
  name: string;
  snapshot: string;
  complete: boolean;
  /** When the restore completed. */
  restoredAt?: string;
  /** Why it waits or failed (KubeVirt's condition reason). */
  reason?: string;
  failed: boolean;
}

/**
 * A VM's snapshots and restores, newest first, and whether a restore may start now.
 *
 * @public
 */
export interface VirtualMachineSnapshots {
  snapshots: ViewSnapshot[];
  restores: ViewRestore[];
  /** Why no snapshot can be restored now (KubeVirt restores onto a stopped VM); absent when one can. */
  restoreBlockedReason?: string;
}
