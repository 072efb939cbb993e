import { createHash } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  AuthenticationError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type {
  VirtualMachine,
  VirtualMachineInstancetype,
} from '@vmportal/plugin-kubevirt-common';
import {
  KubeList,
  KubeListOptions,
  KubeNamespace,
  VirtualMachineInventoryReader,
  KubeWatchEnd,
  KubeWatchEvent,
  ResourceVersionExpiredError,
} from '@vmportal/plugin-kubevirt-node';
import { NamespaceFilter } from '../lib/namespaceFilter';
import { backoffMs, sleep } from '../lib/sleep';
import { VirtualMachineEntityTranslator } from './VirtualMachineEntityTranslator';

/** Why a cluster is listed. */
export type ListReason =
  | 'initial'
  | 'scheduled'
  | 'retry'
  | 'watch-expired'
  | 'watch-broken'
  | 'namespace-added';

/** The outcome of one list of a cluster. */
export interface ClusterListResult {
  cluster: string;
  reason: ListReason;
  virtualMachines: number;
  added: number;
  changed: number;
  removed: number;
  durationMs: number;
}

export interface ClusterVirtualMachineSyncOptions {
  inventory: VirtualMachineInventoryReader;
  filter: NamespaceFilter;
  labelSelector?: string;
  translator: VirtualMachineEntityTranslator;
  /** A child logger naming the provider. */
  logger: LoggerService;
  /** Entity refs that changed, were added or were removed. */
  onChange: (entityRefs: string[]) => void;
  /** After each successful list. */
  onListed: (result: ClusterListResult) => void;
  /** Cap of the retry backoff. Default: 30 s. */
  maxBackoffMs?: number;
  pageSize?: number;
}

/**
 * What is kept of a VM between its events. Not its entity: at 100k VMs the entities
 * and their JSON were most of the provider's memory. The entity is translated again
 * when it is emitted, and a fingerprint tells whether a new translation changed it.
 */
interface Known {
  ref: string;
  /** Hash of the entity's JSON as last translated. */
  fingerprint: string;
  /**
   * The part of the VM translation reads, as JSON: about half the memory of the
   * parsed object, and parsed again only to emit the entity or re-translate it.
   */
  vm: string;
}

/** One watch to run: all namespaces (no `namespace`) or one. */
interface VmStream {
  namespace?: string;
  resourceVersion: string;
}

interface WatchPlan {
  streams: VmStream[];
  /** Set when namespaces can be read: watch them for owner label changes. */
  namespaceResourceVersion?: string;
  mode: 'cluster' | 'namespaced';
}

/** How long a refusal (403, 404) of something that worked before counts as transient. */
const REFUSAL_GRACE_MS = 5 * 60_000;

/** The refusal of every read at once (see `forbidden`). */
const NOTHING_READABLE = 'nothing-readable';

/** The longest delay setTimeout takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A namespace appeared that a per-namespace watch set does not cover yet. */
class RelistNeeded extends Error {
  name = 'RelistNeeded';
}

/**
 * Keeps one cluster's VirtualMachines, as entities, in step with the apiserver: a
 * paginated list, then watches from the list's resourceVersion (with bookmarks); a
 * 410 or a broken watch lists again and reconciles (added, changed, removed). While
 * the cluster is unreachable it retries with exponential backoff and keeps its last
 * known entities. When listing VMs across all namespaces is forbidden it falls back to
 * per-namespace lists and watches, skipping forbidden namespaces with one warning each.
 */
export class ClusterVirtualMachineSync {
  readonly cluster: string;
  /** Listed successfully at least once. */
  everListed = false;

  private vms = new Map<string, Known>();
  private byRef = new Map<string, Known>();
  private namespaces = new Map<string, KubeNamespace>();
  /**
   * VMs seen in a namespace the namespace watch has not delivered yet, keyed by
   * namespace, held until its labels are known so that no entity shows a wrong owner.
   */
  private held = new Map<string, Map<string, VirtualMachine>>();
  private clusterInstancetypes = new Map<string, VirtualMachineInstancetype>();
  private plan: WatchPlan | undefined;
  private forbiddenNamespaces = new Set<string>();
  private readonly warned = new Set<string>();
  private outageStartedAt: number | undefined;
  private readonly allowedScopes = new Set<string>();
  private readonly refusedSince = new Map<string, number>();

  private stopped = false;
  private generation = new AbortController();
  private loop: Promise<void> | undefined;
  private resyncWaiters: Array<(ok: boolean) => void> = [];
  private firstAttemptResolve!: (ok: boolean) => void;
  /** Resolves with the outcome of the first list attempt. */
  readonly firstAttempt = new Promise<boolean>(resolve => {
    this.firstAttemptResolve = resolve;
  });

  constructor(private readonly options: ClusterVirtualMachineSyncOptions) {
    this.cluster = options.inventory.cluster;
  }

  /** Starts listing and watching in the background. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops every watch and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation.abort();
    for (const waiter of this.resyncWaiters.splice(0)) waiter(false);
    await this.loop;
  }

  /** Lists the cluster again now; resolves with whether that list succeeded. */
  resync(): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise(resolve => {
      this.resyncWaiters.push(resolve);
      this.generation.abort();
    });
  }

  get size(): number {
    return this.vms.size;
  }

  /** The entity with this ref, translated now; undefined when the VM is gone. */
  get(entityRef: string): Entity | undefined {
    const known = this.byRef.get(entityRef);
    return known && this.toEntity(parseVm(known));
  }

  /** Every VM's entity, translated now. */
  entities(): Entity[] {
    return Array.from(this.vms.values(), known =>
      this.toEntity(parseVm(known)),
    );
  }

  private get logger() {
    return this.options.logger;
  }

  private async run(): Promise<void> {
    let listFailures = 0;
    let watchFailures = 0;
    let reason: ListReason = 'initial';
    while (!this.stopped) {
      this.generation = new AbortController();
      const generation = this.generation.signal;
      const waiters = this.resyncWaiters.splice(0);
      if (waiters.length > 0 && reason !== 'initial') reason = 'scheduled';

      let plan: WatchPlan;
      try {
        plan = await this.list(reason);
      } catch (error) {
        if (this.stopped) break;
        listFailures += 1;
        for (const waiter of waiters) waiter(false);
        this.firstAttemptResolve(false);
        const retryMs = backoffMs(listFailures, this.options.maxBackoffMs);
        this.unreachable(
          `cannot list VirtualMachines: ${message(error)}`,
          retryMs,
        );
        await sleep(retryMs, generation);
        reason = 'retry';
        continue;
      }
      listFailures = 0;
      this.reachable();
      for (const waiter of waiters) waiter(true);
      this.firstAttemptResolve(true);

      const watchStartedAt = Date.now();
      try {
        await this.watch(plan, generation);
        reason = 'scheduled';
      } catch (error) {
        if (this.stopped) break;
        if (error instanceof ResourceVersionExpiredError) {
          reason = 'watch-expired';
          this.logger.info(
            `Watch on cluster '${this.cluster}' expired (410 Gone); listing again to reconcile`,
            { cluster: this.cluster },
          );
        } else if (error instanceof RelistNeeded) {
          reason = 'namespace-added';
          this.logger.debug(`${error.message}; listing again`, {
            cluster: this.cluster,
          });
        } else {
          reason = 'watch-broken';
          this.logger.warn(
            `Watch on cluster '${this.cluster}' broke: ${message(
              error,
            )}; listing again to reconcile`,
            { cluster: this.cluster, error: message(error) },
          );
        }
        // A watch that fails right after it started must not spin.
        if (Date.now() - watchStartedAt < 5000) {
          watchFailures += 1;
          await sleep(
            backoffMs(watchFailures, this.options.maxBackoffMs),
            generation,
          );
        } else {
          watchFailures = 0;
        }
      }
    }
  }

  /** Reports an outage once, when it starts; later attempts are debug. */
  private unreachable(problem: string, retryMs: number) {
    if (this.outageStartedAt === undefined) {
      this.outageStartedAt = Date.now();
      this.logger.warn(
        `Cluster '${this.cluster}' is unavailable (${problem}). Its ${
          this.vms.size
        } entities stay in the catalog; retrying with backoff (up to ${Math.round(
          (this.options.maxBackoffMs ?? 30_000) / 1000,
        )} s)`,
        { cluster: this.cluster, error: problem },
      );
    } else {
      this.logger.debug(
        `Cluster '${this.cluster}' still unavailable (${problem}); next try in ${retryMs} ms`,
        { cluster: this.cluster },
      );
    }
  }

  private reachable() {
    if (this.outageStartedAt === undefined) return;
    this.logger.info(
      `Cluster '${this.cluster}' is reachable again after ${Math.round(
        (Date.now() - this.outageStartedAt) / 1000,
      )} s`,
      { cluster: this.cluster },
    );
    this.outageStartedAt = undefined;
  }

  /** Lists namespaces, instancetypes and VMs; replaces the known entities; reports changes. */
  private async list(reason: ListReason): Promise<WatchPlan> {
    const startedAt = Date.now();
    const { inventory, filter, labelSelector } = this.options;

    let namespaces: Map<string, KubeNamespace> | undefined;
    let namespaceResourceVersion: string | undefined;
    try {
      const list = await this.listAll(o => inventory.listNamespaces(o));
      namespaces = new Map(list.items.map(ns => [ns.metadata.name, ns]));
      namespaceResourceVersion = list.resourceVersion;
      this.allowed('namespaces');
    } catch (error) {
      if (!(error instanceof NotAllowedError)) throw error;
      this.forbidden('namespaces', error);
      this.warnOnce(
        'namespaces',
        `Cannot list namespaces on cluster '${this.cluster}' (forbidden): namespace owner labels are not read, and without a cluster-wide VM list only the names in namespaces.include are read. Grant get/list/watch on namespaces to fix`,
      );
    }

    const instancetypes = new Map<string, VirtualMachineInstancetype>();
    try {
      const list = await this.listAll(o =>
        inventory.listClusterInstancetypes(o),
      );
      for (const it of list.items) instancetypes.set(it.metadata.name, it);
    } catch (error) {
      if (
        !(error instanceof NotAllowedError) &&
        !(error instanceof NotFoundError)
      ) {
        throw error;
      }
      this.logger.debug(
        `Cluster instancetypes not readable on '${this.cluster}': ${message(
          error,
        )}; VMs using them get no vCPU and memory labels`,
        { cluster: this.cluster },
      );
    }

    // Each page is translated as it arrives, in the state being listed, and dropped:
    // only the compact Known of every VM is held until the list completes.
    const next = new Map<string, Known>();
    const listedNamespaces = namespaces ?? new Map<string, KubeNamespace>();
    const take = (vm: VirtualMachine) => {
      if (!filter.matches(vm.metadata.namespace ?? 'default')) return;
      next.set(keyOf(vm), this.translate(vm, listedNamespaces, instancetypes));
    };
    const streams: VmStream[] = [];
    let mode: WatchPlan['mode'] = 'namespaced';
    if (!filter.includesOnlyLiterals) {
      try {
        const list = await this.listAll(
          o => inventory.listVirtualMachines({ ...o, labelSelector }),
          take,
        );
        streams.push({ resourceVersion: list.resourceVersion });
        mode = 'cluster';
        this.allowed('cluster-wide');
      } catch (error) {
        if (!(error instanceof NotAllowedError)) throw error;
        this.forbidden('cluster-wide', error);
        this.warnOnce(
          'cluster-wide',
          `Listing VirtualMachines in all namespaces of cluster '${this.cluster}' is forbidden; reading namespace by namespace instead (grant list/watch on virtualmachines cluster-wide to read them in one go)`,
        );
      }
    }
    const forbidden = new Set<string>();
    if (mode === 'namespaced') {
      const candidates = (
        filter.includesOnlyLiterals || !namespaces
          ? filter.literalIncludes
          : [...namespaces.keys()]
      ).filter(ns => filter.matches(ns));
      if (candidates.length === 0 && !namespaces) {
        // Nothing at all is readable. A restarted apiserver refuses everything until
        // its RBAC cache is warm, and a backend that has not read this cluster before
        // cannot tell that from a credential that may read nothing: retry for the
        // grace period, keeping the cluster's entities, before taking it as real.
        this.forbidden(
          NOTHING_READABLE,
          new NotAllowedError(
            `Nothing on cluster '${this.cluster}' is readable: VirtualMachines in all namespaces and the namespaces are forbidden`,
          ),
        );
        this.warnOnce(
          'no-namespaces',
          `Nothing to read on cluster '${this.cluster}': neither VirtualMachines in all namespaces nor the namespaces can be listed, and namespaces.include names no namespace. List the namespaces to read in namespaces.include`,
        );
      }
      await forEachLimited(candidates, 8, async namespace => {
        try {
          const list = await this.listAll(
            o =>
              inventory.listVirtualMachines({ ...o, namespace, labelSelector }),
            take,
          );
          streams.push({ namespace, resourceVersion: list.resourceVersion });
          this.allowed(`namespace:${namespace}`);
        } catch (error) {
          if (!(error instanceof NotAllowedError)) throw error;
          this.forbidden(`namespace:${namespace}`, error);
          forbidden.add(namespace);
          this.warnOnce(
            `namespace:${namespace}`,
            `Skipping namespace '${namespace}' on cluster '${this.cluster}': listing its VirtualMachines is forbidden. Grant list/watch on virtualmachines there, or exclude it in namespaces.exclude`,
            { namespace },
          );
        }
      });
    }

    if (namespaces) this.namespaces = namespaces;
    else this.namespaces.clear();
    this.clusterInstancetypes = instancetypes;
    this.forbiddenNamespaces = forbidden;

    let added = 0;
    let changed = 0;
    let removed = 0;
    const refs: string[] = [];
    for (const [key, known] of next) {
      const previous = this.vms.get(key);
      if (!previous) added += 1;
      else if (previous.fingerprint !== known.fingerprint) changed += 1;
      else continue;
      refs.push(known.ref);
    }
    for (const [key, previous] of this.vms) {
      if (!next.has(key)) {
        removed += 1;
        refs.push(previous.ref);
      }
    }
    this.vms = next;
    this.byRef = new Map([...next.values()].map(k => [k.ref, k]));
    this.held.clear();
    this.everListed = true;
    this.plan = { streams, namespaceResourceVersion, mode };

    const result: ClusterListResult = {
      cluster: this.cluster,
      reason,
      virtualMachines: next.size,
      added,
      changed,
      removed,
      durationMs: Date.now() - startedAt,
    };
    const summary = `Listed cluster '${this.cluster}' (${reason}, ${
      mode === 'cluster' ? 'all namespaces' : `${streams.length} namespaces`
    }): ${
      next.size
    } VirtualMachines, ${added} added, ${changed} changed, ${removed} removed in ${
      result.durationMs
    } ms`;
    // Initial and scheduled lists are summed up by the provider in one line.
    if (reason === 'initial' || reason === 'scheduled') {
      this.logger.debug(summary, { ...result });
    } else {
      this.logger.info(summary, { ...result });
    }
    if (refs.length > 0) this.options.onChange(refs);
    this.options.onListed(result);
    return this.plan;
  }

  /**
   * Reads every page. With `take`, each item is handed to it as its page arrives and
   * none is returned, so that no page outlives its translation.
   */
  private async listAll<T>(
    page: (options: KubeListOptions) => Promise<KubeList<T>>,
    take?: (item: T) => void,
  ): Promise<KubeList<T>> {
    const items: T[] = [];
    let next: string | undefined;
    let resourceVersion = '';
    do {
      const result = await page({
        limit: this.options.pageSize ?? 500,
        continue: next,
      });
      if (take) result.items.forEach(take);
      else items.push(...result.items);
      resourceVersion = result.resourceVersion;
      next = result.continue;
    } while (next);
    return { items, resourceVersion };
  }

  /** Runs every watch of the plan until one fails (thrown) or `signal` aborts. */
  private async watch(plan: WatchPlan, signal: AbortSignal): Promise<void> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal.addEventListener('abort', abort, { once: true });
    const watches = plan.streams.map(stream =>
      this.watchVirtualMachines(stream, controller.signal),
    );
    if (plan.namespaceResourceVersion) {
      watches.push(
        this.watchNamespaces(
          plan.namespaceResourceVersion,
          plan,
          controller.signal,
        ),
      );
    }
    try {
      if (watches.length === 0) {
        // Nothing readable to watch: wait for the next scheduled list.
        await sleep(MAX_TIMER_MS, controller.signal);
      } else {
        await Promise.race(watches);
      }
    } finally {
      signal.removeEventListener('abort', abort);
      controller.abort();
      await Promise.allSettled(watches);
    }
  }

  private watchVirtualMachines(
    stream: VmStream,
    signal: AbortSignal,
  ): Promise<void> {
    const where = stream.namespace ? ` namespace '${stream.namespace}'` : '';
    return this.keepWatching(
      `VirtualMachine watch on '${this.cluster}'${where}`,
      stream.resourceVersion,
      signal,
      (resourceVersion, onEvent) =>
        this.options.inventory.watchVirtualMachines({
          namespace: stream.namespace,
          resourceVersion,
          labelSelector: this.options.labelSelector,
          allowWatchBookmarks: true,
          signal,
          onEvent: event => {
            onEvent();
            this.onVirtualMachineEvent(event);
          },
        }),
    );
  }

  private watchNamespaces(
    initialVersion: string,
    plan: WatchPlan,
    signal: AbortSignal,
  ): Promise<void> {
    return this.keepWatching(
      `Namespace watch on '${this.cluster}'`,
      initialVersion,
      signal,
      (resourceVersion, onEvent) =>
        this.options.inventory.watchNamespaces({
          resourceVersion,
          allowWatchBookmarks: true,
          signal,
          onEvent: event => {
            onEvent();
            this.onNamespaceEvent(event, plan);
          },
        }),
    );
  }

  /**
   * Resumes a watch from the last resourceVersion it saw whenever it ends, and retries
   * it with backoff while the apiserver cannot be reached (as client-go's reflector
   * does): after an apiserver restart the resumed watch gets 410 and the cluster is
   * listed again. Any other error ends the loop (thrown).
   */
  private async keepWatching(
    what: string,
    initialVersion: string,
    signal: AbortSignal,
    watchFrom: (
      resourceVersion: string,
      onEvent: () => void,
    ) => Promise<KubeWatchEnd>,
  ): Promise<void> {
    let resourceVersion = initialVersion;
    const trouble: { failures: number; refusedSince?: number } = {
      failures: 0,
    };
    const onEvent = () => {
      trouble.refusedSince = undefined;
      if (trouble.failures > 0) {
        trouble.failures = 0;
        this.reachable();
      }
    };
    while (!signal.aborted) {
      const startedAt = Date.now();
      let end: KubeWatchEnd;
      try {
        end = await watchFrom(resourceVersion, onEvent);
      } catch (error) {
        if (signal.aborted) throw error;
        if (!(error instanceof ServiceUnavailableError)) {
          // A restarting apiserver answers 403/404 until its caches are warm; what
          // persists past the grace period is real and makes the caller list again.
          if (!isRefusal(error)) throw error;
          trouble.refusedSince ??= Date.now();
          if (Date.now() - trouble.refusedSince > REFUSAL_GRACE_MS) throw error;
        }
        trouble.failures += 1;
        const retryMs = backoffMs(trouble.failures, this.options.maxBackoffMs);
        this.unreachable(`${what} lost: ${message(error)}`, retryMs);
        await sleep(retryMs, signal);
        continue;
      }
      resourceVersion = end.resourceVersion;
      if (end.reason === 'aborted') return;
      this.logger.debug(
        `${what} ended (${end.reason}); resuming from ${resourceVersion}`,
        { cluster: this.cluster },
      );
      if (Date.now() - startedAt < 1000) await sleep(1000, signal);
    }
  }

  private onVirtualMachineEvent(event: KubeWatchEvent<VirtualMachine>) {
    if (event.type === 'BOOKMARK') return;
    const vm = event.object;
    const namespace = vm.metadata.namespace ?? 'default';
    if (!this.options.filter.matches(namespace)) return;
    const key = keyOf(vm);
    if (event.type === 'DELETED') {
      this.held.get(namespace)?.delete(key);
      const previous = this.vms.get(key);
      if (!previous) return;
      this.vms.delete(key);
      this.byRef.delete(previous.ref);
      this.options.onChange([previous.ref]);
      return;
    }
    // The VM and namespace watches are separate streams: a VM created right after its
    // namespace can arrive first. Its owner may come from the namespace's labels.
    if (
      this.plan?.namespaceResourceVersion &&
      !this.namespaces.has(namespace)
    ) {
      this.holdUntilNamespaceKnown(namespace, key, vm);
      return;
    }
    const ref = this.upsert(key, vm);
    if (ref) this.options.onChange([ref]);
  }

  /** Translates and stores `vm`; returns its entity ref when the entity changed. */
  private upsert(key: string, vm: VirtualMachine): string | undefined {
    const previous = this.vms.get(key);
    const known = this.translate(vm);
    if (previous?.fingerprint === known.fingerprint) return undefined;
    this.vms.set(key, known);
    this.byRef.set(known.ref, known);
    return known.ref;
  }

  /**
   * Keeps `vm` until the namespace's labels are known: from the namespace watch or,
   * whichever comes first, one GET of the namespace. When the GET fails the VMs are
   * released with what is known (the owner then falls back as for any VM).
   */
  private holdUntilNamespaceKnown(
    namespace: string,
    key: string,
    vm: VirtualMachine,
  ) {
    let held = this.held.get(namespace);
    if (held) {
      held.set(key, vm);
      return;
    }
    held = new Map([[key, vm]]);
    this.held.set(namespace, held);
    const signal = this.generation.signal;
    this.options.inventory.getNamespace(namespace).then(
      ns => {
        if (signal.aborted) return;
        if (!this.namespaces.has(namespace)) this.namespaces.set(namespace, ns);
        this.release(namespace);
      },
      error => {
        if (signal.aborted) return;
        this.logger.debug(
          `Could not read namespace '${namespace}' for its owner label: ${message(
            error,
          )}`,
          { cluster: this.cluster },
        );
        this.release(namespace);
      },
    );
  }

  /** Emits the VMs held for `namespace`. */
  private release(namespace: string) {
    const held = this.held.get(namespace);
    if (!held) return;
    this.held.delete(namespace);
    const refs: string[] = [];
    for (const [key, vm] of held) {
      const ref = this.upsert(key, vm);
      if (ref) refs.push(ref);
    }
    if (refs.length > 0) this.options.onChange(refs);
  }

  private onNamespaceEvent(
    event: KubeWatchEvent<KubeNamespace>,
    plan: WatchPlan,
  ) {
    if (event.type === 'BOOKMARK') return;
    const namespace = event.object.metadata.name;
    if (event.type === 'DELETED') {
      // Its VMs are deleted first and arrive as their own events.
      this.namespaces.delete(namespace);
      return;
    }
    this.namespaces.set(namespace, event.object);
    if (
      plan.mode === 'namespaced' &&
      this.options.filter.matches(namespace) &&
      !this.forbiddenNamespaces.has(namespace) &&
      !plan.streams.some(s => s.namespace === namespace)
    ) {
      throw new RelistNeeded(
        `Namespace '${namespace}' appeared on cluster '${this.cluster}'`,
      );
    }
    this.release(namespace);
    const refs: string[] = [];
    for (const [key, previous] of this.vms) {
      if (namespaceOfKey(key) !== namespace) continue;
      const ref = this.upsert(key, parseVm(previous));
      if (ref) refs.push(ref);
    }
    if (refs.length > 0) this.options.onChange(refs);
  }

  /** Translates `raw` in the current namespaces and instancetypes, or those given. */
  private translate(
    raw: VirtualMachine,
    namespaces: ReadonlyMap<string, KubeNamespace> = this.namespaces,
    instancetypes: ReadonlyMap<string, VirtualMachineInstancetype> = this
      .clusterInstancetypes,
  ): Known {
    const vm = translatedPart(raw);
    const entity = this.toEntity(vm, namespaces, instancetypes);
    return {
      ref: stringifyEntityRef(entity),
      fingerprint: createHash('sha256')
        .update(JSON.stringify(entity))
        .digest('base64'),
      vm: JSON.stringify(vm),
    };
  }

  /**
   * The entity of `vm`, by default in the current namespaces and instancetypes.
   * Whatever changes those translates the VMs it affects again (a namespace event, a
   * list), so an entity translated again to be emitted is the one fingerprinted.
   */
  private toEntity(
    vm: VirtualMachine,
    namespaces: ReadonlyMap<string, KubeNamespace> = this.namespaces,
    instancetypes: ReadonlyMap<string, VirtualMachineInstancetype> = this
      .clusterInstancetypes,
  ): Entity {
    return this.options.translator.toEntity(vm, {
      cluster: this.cluster,
      namespace: namespaces.get(vm.metadata.namespace ?? 'default'),
      clusterInstancetypes: instancetypes,
    });
  }

  private allowed(scope: string) {
    this.allowedScopes.add(scope);
    this.refusedSince.delete(scope);
    this.refusedSince.delete(NOTHING_READABLE);
  }

  /**
   * A list was forbidden. When the same list was allowed before, that is most likely
   * an apiserver whose RBAC cache is not warm yet (it just restarted): throw, so the
   * list is retried with backoff and no entity is dropped. Only a refusal that lasts
   * past the grace period is taken as a real RBAC change.
   */
  private forbidden(scope: string, error: Error) {
    if (!this.allowedScopes.has(scope) && scope !== NOTHING_READABLE) return;
    const since = this.refusedSince.get(scope) ?? Date.now();
    this.refusedSince.set(scope, since);
    if (Date.now() - since < REFUSAL_GRACE_MS) {
      throw new ServiceUnavailableError(
        `${error.message} (it was allowed before; retrying in case the apiserver just restarted)`,
      );
    }
    this.allowedScopes.delete(scope);
    this.refusedSince.delete(scope);
  }

  private warnOnce(key: string, text: string, meta: object = {}) {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(text, { cluster: this.cluster, ...meta });
  }
}

function isRefusal(error: unknown): boolean {
  return (
    error instanceof NotAllowedError ||
    error instanceof NotFoundError ||
    error instanceof AuthenticationError
  );
}

function keyOf(vm: VirtualMachine): string {
  return `${vm.metadata.namespace ?? 'default'}/${vm.metadata.name}`;
}

/** The namespace part of a {@link keyOf} key (neither part can hold a slash). */
function namespaceOfKey(key: string): string {
  return key.slice(0, key.indexOf('/'));
}

function parseVm(known: Known): VirtualMachine {
  return JSON.parse(known.vm) as VirtualMachine;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function forEachLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let index = 0;
  const workers = Array.from(
    { length: Math.min(limit, items.length) },
    async () => {
      while (index < items.length) {
        const item = items[index++];
        await fn(item);
      }
    },
  );
  await Promise.all(workers);
}

/**
 * The part of a VirtualMachine translation reads, kept for every VM (see `Known`):
 * status and managedFields are most of a running VM's bytes.
 */
function translatedPart(raw: VirtualMachine): VirtualMachine {
  return {
    metadata: {
      name: raw.metadata.name,
      namespace: raw.metadata.namespace,
      uid: raw.metadata.uid,
      labels: raw.metadata.labels,
      annotations: raw.metadata.annotations,
    },
    spec: raw.spec,
  };
}
