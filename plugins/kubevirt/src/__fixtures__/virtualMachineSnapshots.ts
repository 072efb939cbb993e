import type {
  ViewRestore,
  ViewSnapshot,
  VirtualMachineSnapshots,
} from '@vmportal/plugin-kubevirt-common';

/**
 * A snapshot of web-frontend-1 as the backend's snapshots route lists it: taken while
 * it ran, its root disk saved (30 GiB), its scratch disk left out because no
 * VolumeSnapshotClass serves that storage.
 */
export function viewSnapshot(
  overrides: Partial<ViewSnapshot> = {},
): ViewSnapshot {
  return {
    name: 'web-frontend-1-snap-1',
    phase: 'Succeeded',
    readyToUse: true,
    createdAt: '2025-01-01T12:00:00Z',
    indications: ['Online', 'GuestAgent'],
    includedDisks: ['rootdisk'],
    excludedDisks: ['scratch'],
    size: '30Gi',
    ...overrides,
  };
}

/** A restore of web-frontend-1 from {@link viewSnapshot}, completed. */
export function viewRestore(overrides: Partial<ViewRestore> = {}): ViewRestore {
  return {
    name: 'web-frontend-1-restore-1',
    snapshot: 'web-frontend-1-snap-1',
    complete: true,
    failed: false,
    restoredAt: '2025-01-01T13:00:00Z',
    ...overrides,
  };
}

/** The reason the backend gives for no restore while the VM runs. */
export const RESTORE_BLOCKED_WHILE_RUNNING =
  'The VM is Running: KubeVirt restores a snapshot only onto a stopped VM. Stop it first, then restore.';

/** What the backend's snapshots route answers for web-frontend-1 in `printableStatus`. */
export function virtualMachineSnapshots(
  printableStatus = 'Stopped',
  overrides: Partial<VirtualMachineSnapshots> = {},
): VirtualMachineSnapshots {
  return {
    snapshots: [viewSnapshot()],
    restores: [],
    ...(printableStatus !== 'Stopped' && {
      restoreBlockedReason: RESTORE_BLOCKED_WHILE_RUNNING.replace(
        'Running',
        printableStatus,
      ),
    }),
    ...overrides,
  };
}
