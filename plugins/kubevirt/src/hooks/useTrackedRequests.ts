import { useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { useSignal } from '@backstage/plugin-signals-react';
import type { TrackedVirtualMachineRequest } from '@vmportal/plugin-kubevirt-common';
import {
  kubevirtApiRef,
  VirtualMachineRequestFilter,
} from '../api/KubevirtApi';
import { isRequestFinished } from '../lib/requestStage';
import { LiveValue, usePolledValue } from './usePolledValue';

/** The signal channel on which the backend says a request changed stage. */
export const REQUESTS_SIGNAL_CHANNEL = 'kubevirt:requests';
/** How often an unfinished request is read again while the page is visible. */
export const REQUEST_REFRESH_INTERVAL_MS = 5_000;

/** What the backend sends on {@link REQUESTS_SIGNAL_CHANNEL}. */
type RequestSignal = { id: string; stage: string };

/**
 * Reads `load()` as {@link usePolledValue} does, every few seconds until `settled`,
 * and again at once on a matching signal (signals may be missing or lost; polling
 * alone must be enough). A new `key` reads again at once.
 */
function useLiveValue<T>(
  key: string,
  load: () => Promise<T>,
  settled: (value: T) => boolean,
  signalMatches: (signal: RequestSignal) => boolean,
): LiveValue<T> {
  const { lastSignal } = useSignal<RequestSignal>(REQUESTS_SIGNAL_CHANNEL);
  // Bumped to read again at once, outside the schedule.
  const [signals, setSignals] = useState(0);
  const matches = useRef(signalMatches);
  matches.current = signalMatches;

  useEffect(() => {
    if (lastSignal && matches.current(lastSignal)) {
      setSignals(n => n + 1);
    }
  }, [lastSignal]);

  return usePolledValue(
    JSON.stringify([key, signals]),
    load,
    settled,
    REQUEST_REFRESH_INTERVAL_MS,
  );
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
