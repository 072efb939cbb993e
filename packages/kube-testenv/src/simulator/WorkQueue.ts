/** What a reconcile asks of the queue when it returns. */
export interface ReconcileResult {
  /** Run this key again after this many milliseconds (a wait, not a failure). */
  requeueAfterMs?: number;
  /**
   * The reconcile could not finish and said why itself (a refused pod, say):
   * retry with the same backoff as a failure, without reporting an error.
   */
  retryWithBackoff?: boolean;
}

/** Handles one key; throwing means "retry with backoff". */
export type Reconcile = (key: string) => Promise<ReconcileResult | void>;

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** Keys handled at once (each key is never handled twice at the same time). Default 8. */
  concurrency?: number;
  /** First retry delay after a failure; doubles per consecutive failure. Default 200 ms. */
  baseBackoffMs?: number;
  /** Longest retry delay. Default 15 s. */
  maxBackoffMs?: number;
  /** Called with the key and the error when a reconcile throws. */
  onError?: (key: string, error: unknown, retryInMs: number) => void;
}

/**
 * A controller work queue like client-go's: a key added many times while
 * waiting is handled once, a key is never handled concurrently with itself
 * (added again while running, it runs once more afterwards), failures retry
 * with per-key exponential backoff, and reconciles may ask to run again later.
 */
export class WorkQueue {
  private readonly waiting = new Set<string>();
  private readonly order: string[] = [];
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<
    string,
    { timer: NodeJS.Timeout; due: number }
  >();
  private readonly failures = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private active = 0;
  private stopped = false;
  private readonly concurrency: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly reconcile: Reconcile,
    private readonly options: WorkQueueOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 8;
    this.baseBackoffMs = options.baseBackoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 15_000;
  }

  /** Queues `key` now (a pending delayed add of it is dropped). */
  add(key: string): void {
    if (this.stopped) return;
    const delayed = this.timers.get(key);
    if (delayed) {
      clearTimeout(delayed.timer);
      this.timers.delete(key);
    }
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (!this.waiting.has(key)) {
      this.waiting.add(key);
      this.order.push(key);
    }
    this.pump();
  }

  /** Queues `key` after `ms`, unless it is waiting already or due sooner. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    if (this.waiting.has(key)) return;
    const due = Date.now() + ms;
    const delayed = this.timers.get(key);
    if (delayed) {
      if (delayed.due <= due) return;
      clearTimeout(delayed.timer);
    }
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { timer, due });
  }

  /** Stops handing out keys; resolves when the reconciles in flight have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const delayed of this.timers.values()) clearTimeout(delayed.timer);
    this.timers.clear();
    this.waiting.clear();
    this.order.length = 0;
    if (this.active === 0) return;
    await new Promise<void>(resolve => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (
      !this.stopped &&
      this.active < this.concurrency &&
      this.order.length > 0
    ) {
      const key = this.order.shift()!;
      this.waiting.delete(key);
      this.running.add(key);
      this.active++;
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    let requeueAfterMs: number | undefined;
    const backoff = () => {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      return Math.min(
        this.baseBackoffMs * 2 ** (failures - 1),
        this.maxBackoffMs,
      );
    };
    try {
      const result = await this.reconcile(key);
      if (result?.retryWithBackoff) {
        requeueAfterMs = backoff();
      } else {
        this.failures.delete(key);
        requeueAfterMs = result?.requeueAfterMs;
      }
    } catch (error) {
      requeueAfterMs = backoff();
      // Failures while stopping (the oracle gone, say) are expected and not retried.
      if (!this.stopped) this.options.onError?.(key, error, requeueAfterMs);
    } finally {
      this.running.delete(key);
      this.active--;
    }
    if (this.dirty.delete(key)) this.add(key);
    else if (requeueAfterMs !== undefined) this.addAfter(key, requeueAfterMs);
    this.pump();
    if (this.active === 0 && this.stopped) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}
