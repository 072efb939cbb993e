import { ResourceVersionExpiredError } from '../errors';
import { KubeApiTransport } from '../transport/KubeApiTransport';

/** A Kubernetes object as a watched collection keeps it: by name. */
export interface NamedKubeObject {
  metadata: {
    name?: string;
    resourceVersion?: string;
    managedFields?: unknown;
  };
}

/**
 * Where a {@link WatchedCollection} stands: `syncing` until its first list is in,
 * `synced` while it follows the watch (answers are as fresh as the watch), `failed`
 * when the list or watch failed or held more than `maxItems` (it no longer answers
 * and waits for `retryAfterMs` before listing again), `stopped` for good.
 */
export type WatchedCollectionState =
  | 'syncing'
  | 'synced'
  | 'failed'
  | 'stopped';

/** Options of a {@link WatchedCollection}. */
export interface WatchedCollectionOptions<T> {
  transport: KubeApiTransport;
  /** For error messages, e.g. `pods in namespace 'team-web'`. */
  what: string;
  /** The collection's path (see `collectionPath`). */
  path: string;
  labelSelector?: string;
  /** Which objects to keep (default: all); a selector the apiserver cannot apply. */
  accept?: (item: T) => boolean;
  /** Beyond this many objects the collection gives up (state `failed`): it is a cache for pages, not a mirror. */
  maxItems: number;
  /** How long a failed collection waits before it lists again. */
  retryAfterMs: number;
}

const PAGE_SIZE = 500;

/**
 * One collection (a kind in a namespace, or cluster-wide), listed once and then kept
 * current by a watch: what many page views read, at the cost of one watch instead of
 * a read per view. A watch that ends is resumed from the last version it saw; one
 * whose version expired (410) is listed again. Objects are kept without their
 * `managedFields`, which no page shows.
 */
export class WatchedCollection<T extends NamedKubeObject> {
  private items = new Map<string, T>();
  private currentState: WatchedCollectionState = 'syncing';
  private readonly stopping = new AbortController();
  /** Resolves once the collection is first synced or has failed. */
  readonly settled: Promise<void>;
  private settle!: () => void;
  /** Why the collection last failed, for the caller's log. */
  problem: string | undefined;

  constructor(private readonly options: WatchedCollectionOptions<T>) {
    this.settled = new Promise(resolve => {
      this.settle = resolve;
    });
    void this.run();
  }

  get state(): WatchedCollectionState {
    return this.currentState;
  }

  /** The object `name`, or undefined; only meaningful while `state` is `synced`. */
  get(name: string): T | undefined {
    return this.items.get(name);
  }

  /** Every object; only meaningful while `state` is `synced`. */
  values(): IterableIterator<T> {
    return this.items.values();
  }

  /** Ends the watch and drops the objects. */
  stop(): void {
    this.currentState = 'stopped';
    this.stopping.abort();
    this.items = new Map();
    this.settle();
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      try {
        let resourceVersion = await this.list();
        this.currentState = 'synced';
        this.settle();
        for (;;) {
          const end = await this.options.transport.watch<T>(
            `watch ${this.options.what}`,
            this.options.path,
            {
              resourceVersion,
              labelSelector: this.options.labelSelector,
              allowWatchBookmarks: true,
              signal,
              onEvent: event => {
                if (event.type === 'BOOKMARK') return;
                const name = event.object.metadata.name ?? '';
                if (event.type === 'DELETED' || !this.accepts(event.object)) {
                  this.items.delete(name);
                } else {
                  this.items.set(name, trim(event.object));
                }
              },
            },
          );
          if (end.reason === 'aborted') return;
          resourceVersion = end.resourceVersion;
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ResourceVersionExpiredError) continue;
        this.fail(error instanceof Error ? error.message : String(error));
        await delay(this.options.retryAfterMs, signal);
      }
    }
  }

  /** Lists every page into a new map; the version to watch from. */
  private async list(): Promise<string> {
    const items = new Map<string, T>();
    let next: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.options.transport.listPage<T>(
        `list ${this.options.what}`,
        this.options.path,
        {
          labelSelector: this.options.labelSelector,
          limit: PAGE_SIZE,
          continue: next,
        },
      );
      for (const item of page.items) {
        if (this.accepts(item)) items.set(item.metadata.name ?? '', trim(item));
      }
      if (items.size > this.options.maxItems) {
        throw new Error(
          `${this.options.what}: more than ${this.options.maxItems} objects, not cached`,
        );
      }
      resourceVersion = page.resourceVersion;
      next = page.continue;
    } while (next);
    this.items = items;
    return resourceVersion;
  }

  private accepts(item: T): boolean {
    return this.options.accept?.(item) ?? true;
  }

  private fail(problem: string) {
    this.currentState = 'failed';
    this.problem = problem;
    this.items = new Map();
    this.settle();
  }
}

function trim<T extends NamedKubeObject>(item: T): T {
  if (item.metadata.managedFields) delete item.metadata.managedFields;
  return item;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
