import { performance } from 'node:perf_hooks';

/** What an open-loop load run measured. */
export interface OpenLoopResult {
  sent: number;
  ok: number;
  /** Milliseconds from sending to the full response, of the successful requests. */
  latencies: number[];
  /** The first few failures (status or error), for the report. */
  errors: string[];
  errorCount: number;
  durationMs: number;
}

/**
 * Sends `rate` requests per second for `seconds`, each at its scheduled time whether
 * or not earlier ones have answered (users do not wait for each other), and measures
 * each from the moment it is sent. `request` rejects on a failed request; each is
 * given up after `timeoutMs` (the signal aborts it).
 */
export async function openLoop(options: {
  rate: number;
  seconds: number;
  timeoutMs: number;
  request: (index: number, signal: AbortSignal) => Promise<void>;
}): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.round(options.rate * options.seconds));
  const result: OpenLoopResult = {
    sent: 0,
    ok: 0,
    latencies: [],
    errors: [],
    errorCount: 0,
    durationMs: 0,
  };
  const startedAt = Date.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const wait = startedAt + (i * 1000) / options.rate - Date.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
    result.sent += 1;
    const sentAt = performance.now();
    inFlight.push(
      options
        .request(i, AbortSignal.timeout(options.timeoutMs))
        .then(() => {
          result.ok += 1;
          result.latencies.push(performance.now() - sentAt);
        })
        .catch(error => {
          result.errorCount += 1;
          if (result.errors.length < 5) {
            result.errors.push(
              error instanceof Error ? error.message : String(error),
            );
          }
        }),
    );
  }
  await Promise.all(inFlight);
  result.durationMs = Date.now() - startedAt;
  return result;
}
