import { useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { useSignal } from '@backstage/plugin-signals-react';
import type { TrackedVirtualMachineRequest } from '@vmportal/plugin-kubevirt-common';
import {
  kubevirtApiRef,
  VirtualMachineRequestFilter,
} from '../api/KubevirtApi';
import { isRequestFinished } from '../lib/requestStage';
import { useDocumentVisible } from './useDocumentVisible';

/** The signal channel on which the backend says a request changed stage. */
export const REQUESTS_SIGNAL_CHANNEL = 'kubevirt:requests';
/** How often an unfinished request is read again while the page is visible. */
export const REQUEST_REFRESH_INTERVAL_MS = 5_000;

/** What the backend sends on {@link REQUESTS_SIGNAL_CHANNEL}. */
type RequestSignal = { id: string; stage: string };

/** A value read from the backend and kept fresh; `value` keeps the last good read. */
export interface LiveValue<T> {
  value?: T;
  /** The last read's error. */
  error?: Error;
  /** True until the first read ends. */
  loading: boolean;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Reads `load()` and reads it again on a matching signal, and every few seconds
 * while the page is visible and `settled` says the value may still change (signals
 * may be missing or lost; polling alone must be enough). A new `key` starts over.
 */
function useLiveValue<T>(
  key: string,
  load: () => Promise<T>,
  settled: (value: T) => boolean,
  signalMatches: (signal: RequestSignal) => boolean,
): LiveValue<T> {
  const visible = useDocumentVisible();
  const { lastSignal } = useSignal<RequestSignal>(REQUESTS_SIGNAL_CHANNEL);
  const [state, setState] = useState<LiveValue<T>>({ loading: true });
  // Bumped to read again at once, outside the schedule.
  const [signals, setSignals] = useState(0);
  const latest = useRef({ load, settled, signalMatches });
  latest.current = { load, settled, signalMatches };

  useEffect(() => {
    if (lastSignal && latest.current.signalMatches(lastSignal)) {
      setSignals(n => n + 1);
    }
  }, [lastSignal]);

  useEffect(() => {
    if (!visible) {
      return undefined;
    }
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refresh = async () => {
      let poll = true;
      try {
        const value = await latest.current.load();
        poll = !latest.current.settled(value);
        if (!cancelled) {
          setState({ value, loading: false });
        }
      } catch (error) {
        if (!cancelled) {
          setState(previous => ({
            value: previous.value,
            error: toError(error),
            loading: false,
          }));
        }
      }
      if (!cancelled && poll) {
        timer = setTimeout(refresh, REQUEST_REFRESH_INTERVAL_MS);
      }
    };
    refresh();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [key, visible, signals]);

  return state;
}

/**
 * One VM request, live. `value` is undefined once loaded when there is no such
 * request or the user may not see it.
 */
export function useTrackedRequest(
  id: string,
): LiveValue<TrackedVirtualMachineRequest | undefined> {
  const api = useApi(kubevirtApiRef);
  return useLiveValue(
    id,
    () => api.getRequest(id),
    request => !request || isRequestFinished(request),
    signal => signal.id === id,
  );
}

/** The VM requests the user may see (optionally one team's or one person's), live. */
export function useTrackedRequests(
  filter: VirtualMachineRequestFilter = {},
): LiveValue<TrackedVirtualMachineRequest[]> {
  const api = useApi(kubevirtApiRef);
  const { owner, requestedBy } = filter;
  return useLiveValue(
    JSON.stringify([owner, requestedBy]),
    () => api.listRequests(filter),
    requests => requests.every(isRequestFinished),
    // A signal for a request not listed yet may be a new one that belongs here.
    () => true,
  );
}
