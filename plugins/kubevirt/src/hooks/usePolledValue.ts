import { useEffect, useRef, useState } from 'react';
import { useDocumentVisible } from './useDocumentVisible';

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
 * Reads `load()`, reads it again every `intervalMs` while the page is visible and
 * `settled` says the value may still change, and at once whenever `key` changes (a
 * caller changes it to read again outside the schedule). The last good value stays
 * on screen through a failed read.
 */
export function usePolledValue<T>(
  key: string,
  load: () => Promise<T>,
  settled: (value: T) => boolean,
  intervalMs: number,
): LiveValue<T> {
  const visible = useDocumentVisible();
  const [state, setState] = useState<LiveValue<T>>({ loading: true });
  // The latest callbacks, without making every render start a new read.
  const latest = useRef({ load, settled });
  latest.current = { load, settled };

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
        timer = setTimeout(refresh, intervalMs);
      }
    };
    refresh();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [key, visible, intervalMs]);

  return state;
}
