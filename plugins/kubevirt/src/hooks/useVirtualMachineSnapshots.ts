import { useCallback, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import type { VirtualMachineSnapshots } from '@vmportal/plugin-kubevirt-common';
import { kubevirtApiRef } from '../api/KubevirtApi';
import { LiveValue, usePolledValue } from './usePolledValue';

/** How often the list is read again while a snapshot or a restore is under way. */
export const SNAPSHOTS_REFRESH_INTERVAL_MS = 2_000;

/** Snapshot phases after which KubeVirt changes nothing by itself. */
const SETTLED_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

/** Whether nothing in the list is still under way. */
export function snapshotsSettled(list: VirtualMachineSnapshots): boolean {
  return (
    list.snapshots.every(s => s.readyToUse || SETTLED_PHASES.has(s.phase)) &&
    list.restores.every(r => r.complete || r.failed)
  );
}

/** A VM's snapshots, kept fresh, and what its owners can do with them. */
export interface VirtualMachineSnapshotsState
  extends LiveValue<VirtualMachineSnapshots> {
  /** True from a click until the backend answered it. */
  busy: boolean;
  /** Why the last take, restore or delete failed, in the backend's words. */
  actionError?: Error;
  take(): Promise<void>;
  restore(snapshot: string): Promise<void>;
  remove(snapshot: string): Promise<void>;
}

/**
 * The snapshots and restores of the entity's VM: read again every two seconds while
 * one is under way, and whenever the VM's status changes (a restore is possible only
 * once it has stopped) or an action was accepted.
 */
export function useVirtualMachineSnapshots(
  entityRef: string,
  vmStatus: string,
): VirtualMachineSnapshotsState {
  const api = useApi(kubevirtApiRef);
  const [accepted, setAccepted] = useState(0);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<Error>();
  const live = usePolledValue(
    JSON.stringify([entityRef, vmStatus, accepted]),
    () => api.listSnapshots(entityRef),
    snapshotsSettled,
    SNAPSHOTS_REFRESH_INTERVAL_MS,
  );

  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await action();
      setAccepted(n => n + 1);
    } catch (error) {
      setActionError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      setBusy(false);
    }
  }, []);

  return {
    ...live,
    busy,
    actionError,
    take: () => run(() => api.takeSnapshot(entityRef)),
    restore: snapshot => run(() => api.restoreSnapshot(entityRef, snapshot)),
    remove: snapshot => run(() => api.deleteSnapshot(entityRef, snapshot)),
  };
}
