import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import type {
  PowerAction,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import { kubevirtApiRef } from '../api/KubevirtApi';
import { targetStatus } from '../lib/vmStatus';
import { useDocumentVisible } from './useDocumentVisible';

/** How often the view refreshes while nothing is under way. */
export const REFRESH_INTERVAL_MS = 5_000;
/** How often it refreshes while a power action is under way. */
export const ACTION_REFRESH_INTERVAL_MS = 1_000;
/** How long a power action may take to reach its state before the page says so. */
export const ACTION_TIMEOUT_MS = 120_000;

/** A power action the backend accepted, until the VM reaches its state. */
export interface PendingAction {
  action: PowerAction;
  /** The printableStatus the action leads to. */
  target: string;
  /** Date.now() when the user confirmed it. */
  since: number;
  /** The VMI's start time before the action, to tell a restarted VM from the old run. */
  startedAt?: string;
  /** Whether the VM has been seen other than Running since (for restart). */
  leftRunning: boolean;
}

/** Everything a VM view needs: the live view, and power actions with their progress. */
export interface VirtualMachineState {
  view?: VirtualMachineView;
  /** The last refresh's error; `view` keeps the last good value. */
  error?: Error;
  loading: boolean;
  pending?: PendingAction;
  /** Why the last power action failed or did not finish. */
  actionError?: Error;
  runAction(action: PowerAction, force: boolean): Promise<void>;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Loads the VM a catalog entity stands for and keeps it fresh: every 5 s, every
 * second while a power action is under way, and not at all while the page is hidden.
 */
export function useVirtualMachine(entityRef: string): VirtualMachineState {
  const api = useApi(kubevirtApiRef);
  const visible = useDocumentVisible();
  const [result, setResult] = useState<{
    view?: VirtualMachineView;
    error?: Error;
    loading: boolean;
  }>({ loading: true });
  const [pending, setPendingState] = useState<PendingAction>();
  const pendingRef = useRef<PendingAction>();
  const [actionError, setActionError] = useState<Error>();
  // Counts finished refreshes, so that a refresh that changed nothing still
  // lets a pending action time out.
  const [refreshes, setRefreshes] = useState(0);
  // Bumped to refresh at once, outside the schedule.
  const [restarts, setRestarts] = useState(0);

  const setPending = useCallback((next: PendingAction | undefined) => {
    pendingRef.current = next;
    setPendingState(next);
  }, []);

  useEffect(() => {
    if (!visible) {
      return undefined;
    }
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refresh = async () => {
      try {
        const view = await api.getVirtualMachine(entityRef);
        if (!cancelled) {
          setResult({ view, loading: false });
        }
      } catch (error) {
        if (!cancelled) {
          setResult(previous => ({
            view: previous.view,
            error: toError(error),
            loading: false,
          }));
        }
      }
      if (!cancelled) {
        setRefreshes(n => n + 1);
        timer = setTimeout(
          refresh,
          pendingRef.current ? ACTION_REFRESH_INTERVAL_MS : REFRESH_INTERVAL_MS,
        );
      }
    };
    refresh();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [api, entityRef, visible, restarts]);

  const view = result.view;
  useEffect(() => {
    const current = pendingRef.current;
    if (!current) {
      return;
    }
    if (view) {
      if (
        view.printableStatus !== 'Running' ||
        view.startedAt !== current.startedAt
      ) {
        current.leftRunning = true;
      }
      const reached =
        view.printableStatus === current.target &&
        (current.action !== 'restart' || current.leftRunning);
      if (reached) {
        setPending(undefined);
        return;
      }
    }
    if (Date.now() - current.since >= ACTION_TIMEOUT_MS) {
      setPending(undefined);
      setActionError(
        new Error(
          `The virtual machine did not reach ${current.target} within ${
            ACTION_TIMEOUT_MS / 60_000
          } minutes${
            view ? `; it is ${view.printableStatus}` : ''
          }. KubeVirt may still be working on it: see the conditions and events.`,
        ),
      );
    }
  }, [view, refreshes, setPending]);

  const runAction = useCallback(
    async (action: PowerAction, force: boolean) => {
      setActionError(undefined);
      const startedAt = view?.startedAt;
      setPending({
        action,
        target: targetStatus(action),
        since: Date.now(),
        startedAt,
        leftRunning: false,
      });
      try {
        await api.powerAction(
          entityRef,
          force ? { action, force } : { action },
        );
        setRestarts(n => n + 1);
      } catch (error) {
        setPending(undefined);
        setActionError(toError(error));
      }
    },
    [api, entityRef, view?.startedAt, setPending],
  );

  return {
    view,
    error: result.error,
    loading: result.loading,
    pending,
    actionError,
    runAction,
  };
}
