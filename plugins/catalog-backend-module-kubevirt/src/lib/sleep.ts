/** Waits `ms`, or less when `signal` aborts first (it never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const listening = new AbortController();
    const timer = setTimeout(() => {
      listening.abort();
      resolve();
    }, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true, signal: listening.signal },
    );
  });
}

/** Exponential backoff from 1 s, doubling per failure, capped, with 20 % jitter. */
export function backoffMs(failures: number, capMs = 30_000): number {
  const base = Math.min(capMs, 1000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
