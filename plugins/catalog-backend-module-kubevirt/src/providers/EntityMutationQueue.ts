import { LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  DeferredEntity,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { sleep } from '../lib/sleep';

/** Where the queue reads the entities to emit, at the moment it emits them. */
export interface EntitySource {
  /** The current entity with this ref, or undefined when it is gone. */
  get(entityRef: string): Entity | undefined;
  /** Every current entity. */
  all(): Entity[];
}

/** One mutation the queue applied. */
export interface AppliedMutation {
  type: 'full' | 'delta';
  /** Refs upserted (every entity, for a full mutation). */
  added: string[];
  /** Refs removed (empty for a full mutation: the catalog works those out). */
  removed: string[];
  /** How long `applyMutation` took. */
  durationMs: number;
}

export interface EntityMutationQueueOptions {
  connection: EntityProviderConnection;
  source: EntitySource;
  locationKey: string;
  logger: LoggerService;
  /** How long to gather changes before a delta mutation. */
  batchDelayMs: number;
  onApplied?: (mutation: AppliedMutation) => void;
}

const RETRY_MAX_MS = 30_000;

/**
 * Serialises the provider's mutations: changed entity refs are gathered for
 * `batchDelayMs` and emitted as one delta (upserting what exists, removing what is
 * gone, read from the source when emitted so the latest state wins); a full mutation
 * replaces everything pending. A failed mutation is retried with backoff and its
 * changes kept, so none is lost while the database is away.
 */
export class EntityMutationQueue {
  private readonly pending = new Set<string>();
  private fullWaiters: Array<{
    resolve: () => void;
    reject: (error: Error) => void;
  }> = [];
  private fullRequested = false;
  private holding = true;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private readonly stopController = new AbortController();

  constructor(private readonly options: EntityMutationQueueOptions) {}

  /** These entities changed or disappeared; emit them with the next delta. */
  changed(entityRefs: Iterable<string>): void {
    for (const ref of entityRefs) this.pending.add(ref);
    if (this.pending.size > 0) this.schedule(this.options.batchDelayMs);
  }

  /**
   * Emits a full mutation of every current entity as soon as possible; resolves when
   * the catalog has taken it.
   */
  requestFull(): Promise<void> {
    this.fullRequested = true;
    const done = new Promise<void>((resolve, reject) =>
      this.fullWaiters.push({ resolve, reject }),
    );
    this.schedule(0);
    return done;
  }

  /** Lets deltas flow; until then they are held (the initial full mutation covers them). */
  release(): void {
    this.holding = false;
    if (this.pending.size > 0) this.schedule(0);
  }

  /** Resolves once nothing is pending or being applied. */
  async idle(): Promise<void> {
    while (this.pumping || this.timer) {
      await (this.pumping ?? sleep(this.options.batchDelayMs));
    }
  }

  stop(): void {
    this.stopController.abort();
    clearTimeout(this.timer);
    this.timer = undefined;
    const waiters = this.fullWaiters.splice(0);
    for (const waiter of waiters) {
      waiter.reject(new Error('the provider stopped'));
    }
  }

  private schedule(delayMs: number) {
    if (this.stopController.signal.aborted) return;
    if (this.timer) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.pumping) {
        this.pumping = this.pump().finally(() => {
          this.pumping = undefined;
        });
      }
    }, delayMs);
  }

  private hasWork(): boolean {
    return this.fullRequested || (!this.holding && this.pending.size > 0);
  }

  private async pump(): Promise<void> {
    let failures = 0;
    while (this.hasWork() && !this.stopController.signal.aborted) {
      try {
        if (this.fullRequested) await this.applyFull();
        else await this.applyDelta();
        failures = 0;
      } catch (error) {
        failures += 1;
        const retryMs = Math.min(RETRY_MAX_MS, 1000 * 2 ** (failures - 1));
        this.options.logger.warn(
          `The catalog refused a mutation: ${
            error instanceof Error ? error.message : String(error)
          }; retrying in ${Math.round(retryMs / 1000)} s with the changes kept`,
          { failures },
        );
        await sleep(retryMs, this.stopController.signal);
      }
    }
    // Changes that arrived while the last mutation was applied are emitted promptly.
    if (this.hasWork()) this.schedule(0);
  }

  private async applyFull() {
    const waiters = this.fullWaiters.splice(0);
    this.fullRequested = false;
    const dropped = [...this.pending];
    this.pending.clear();
    const entities = this.options.source.all();
    const started = Date.now();
    try {
      await this.options.connection.applyMutation({
        type: 'full',
        entities: entities.map(entity => this.deferred(entity)),
      });
    } catch (error) {
      // Keep what was asked for, so the retry still does it.
      this.fullRequested = true;
      this.fullWaiters.unshift(...waiters);
      for (const ref of dropped) this.pending.add(ref);
      throw error;
    }
    const durationMs = Date.now() - started;
    this.options.logger.debug(
      `Applied full mutation of ${entities.length} entities in ${durationMs} ms`,
      { entities: entities.length, durationMs },
    );
    this.options.onApplied?.({
      type: 'full',
      added: entities.map(refOf),
      removed: [],
      durationMs,
    });
    for (const waiter of waiters) waiter.resolve();
  }

  private async applyDelta() {
    const refs = [...this.pending];
    this.pending.clear();
    const added: DeferredEntity[] = [];
    const removed: Array<{ entityRef: string; locationKey: string }> = [];
    for (const ref of refs) {
      const entity = this.options.source.get(ref);
      if (entity) added.push(this.deferred(entity));
      else
        removed.push({ entityRef: ref, locationKey: this.options.locationKey });
    }
    const started = Date.now();
    try {
      await this.options.connection.applyMutation({
        type: 'delta',
        added,
        removed,
      });
    } catch (error) {
      for (const ref of refs) this.pending.add(ref);
      throw error;
    }
    const durationMs = Date.now() - started;
    this.options.logger.debug(
      `Applied delta mutation: ${added.length} upserted, ${removed.length} removed in ${durationMs} ms`,
      { upserted: added.length, removed: removed.length, durationMs },
    );
    this.options.onApplied?.({
      type: 'delta',
      added: added.map(d => refOf(d.entity)),
      removed: removed.map(r => r.entityRef),
      durationMs,
    });
  }

  private deferred(entity: Entity): DeferredEntity {
    return { entity, locationKey: this.options.locationKey };
  }
}

function refOf(entity: Entity): string {
  return stringifyEntityRef(entity);
}
