import {
  VIRTUAL_MACHINE_STATES_LIMIT,
  type VirtualMachineLiveState,
} from '@vmportal/plugin-kubevirt-common';
import type { KubevirtApi } from '../../api/KubevirtApi';

/** What a cell knows of one VM's live state. */
export type VirtualMachineLiveStateResult =
  | { loading: true; state?: undefined; error?: undefined }
  | { loading: false; state?: VirtualMachineLiveState; error?: Error };

const LOADING: VirtualMachineLiveStateResult = { loading: true };

/** How often the states on screen are read again. */
export const VIRTUAL_MACHINE_STATES_REFRESH_MS = 30_000;

interface Entry {
  result: VirtualMachineLiveStateResult;
  fetchedAt?: number;
  listeners: Set<() => void>;
}

/**
 * Collects the entity refs whose live state the cells on screen ask for and reads
 * them with one `getVirtualMachineStates` call per `VIRTUAL_MACHINE_STATES_LIMIT`
 * refs: the cells that mount in the same tick share a call. While any cell is
 * mounted, the states are read again every `refreshMs` (not in a hidden tab).
 */
export class VirtualMachineStateBatcher {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Set<string>();
  private flushTimer?: ReturnType<typeof setTimeout>;
  private refreshTimer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly api: Pick<KubevirtApi, 'getVirtualMachineStates'>,
    private readonly refreshMs = VIRTUAL_MACHINE_STATES_REFRESH_MS,
  ) {}

  /** Listens to one VM's state, and has it read if it is not known and fresh. */
  subscribe(entityRef: string, listener: () => void): () => void {
    let entry = this.entries.get(entityRef);
    if (!entry) {
      entry = { result: LOADING, listeners: new Set() };
      this.entries.set(entityRef, entry);
    }
    entry.listeners.add(listener);
    const stale =
      entry.fetchedAt === undefined
        ? entry.result === LOADING
        : Date.now() - entry.fetchedAt >= this.refreshMs;
    if (stale) {
      this.request([entityRef]);
    }
    this.refreshTimer ??= setInterval(() => this.refresh(), this.refreshMs);
    const current = entry;
    return () => {
      current.listeners.delete(listener);
    };
  }

  /** The state as known now; the same object until it changes. */
  getSnapshot(entityRef: string): VirtualMachineLiveStateResult {
    return this.entries.get(entityRef)?.result ?? LOADING;
  }

  private refresh() {
    // Forget the rows no longer on screen; read the others again.
    for (const [entityRef, entry] of this.entries) {
      if (entry.listeners.size === 0) {
        this.entries.delete(entityRef);
      }
    }
    if (this.entries.size === 0) {
      clearInterval(this.refreshTimer);
      this.refreshTimer = undefined;
      return;
    }
    if (
      typeof document !== 'undefined' &&
      document.visibilityState === 'hidden'
    ) {
      return;
    }
    this.request([...this.entries.keys()]);
  }

  private request(entityRefs: string[]) {
    for (const entityRef of entityRefs) {
      this.pending.add(entityRef);
    }
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, 0);
  }

  private flush() {
    const entityRefs = [...this.pending];
    this.pending.clear();
    for (let i = 0; i < entityRefs.length; i += VIRTUAL_MACHINE_STATES_LIMIT) {
      const chunk = entityRefs.slice(i, i + VIRTUAL_MACHINE_STATES_LIMIT);
      for (const entityRef of chunk) {
        const entry = this.entries.get(entityRef);
        if (entry) {
          // Not read again before this answer is in, however many cells ask.
          entry.fetchedAt = Date.now();
        }
      }
      this.api.getVirtualMachineStates(chunk).then(
        items => {
          const byRef = new Map(items.map(item => [item.entityRef, item]));
          chunk.forEach((entityRef, index) =>
            this.settle(entityRef, {
              loading: false,
              state: byRef.get(entityRef) ?? items[index],
            }),
          );
        },
        error => {
          const cause =
            error instanceof Error ? error : new Error(String(error));
          for (const entityRef of chunk) {
            this.settle(entityRef, { loading: false, error: cause });
          }
        },
      );
    }
  }

  private settle(entityRef: string, result: VirtualMachineLiveStateResult) {
    const entry = this.entries.get(entityRef);
    if (!entry) {
      return;
    }
    entry.result = result;
    entry.fetchedAt = Date.now();
    for (const listener of entry.listeners) {
      listener();
    }
  }
}

const batchers = new WeakMap<object, VirtualMachineStateBatcher>();

/** The one batcher of a `KubevirtApi` instance, shared by all its cells. */
export function virtualMachineStateBatcher(
  api: Pick<KubevirtApi, 'getVirtualMachineStates'>,
): VirtualMachineStateBatcher {
  let batcher = batchers.get(api);
  if (!batcher) {
    batcher = new VirtualMachineStateBatcher(api);
    batchers.set(api, batcher);
  }
  return batcher;
}
