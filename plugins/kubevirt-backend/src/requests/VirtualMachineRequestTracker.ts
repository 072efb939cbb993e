import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  KUBEVIRT_ANNOTATIONS,
  TrackedVirtualMachineRequest,
  VIRTUAL_MACHINE_COMPONENT_TYPE,
  VIRTUAL_MACHINE_CHANGE_ID_ANNOTATION,
  VIRTUAL_MACHINE_REQUEST_ID_ANNOTATION,
  VirtualMachine,
  VirtualMachineInstanceObject,
  VirtualMachineRequestStage,
  VirtualMachineRequestVmState,
} from '@vmportal/plugin-kubevirt-common';
import type { KubevirtClustersService } from '@vmportal/plugin-kubevirt-node';
import { assertEmittedByProvider } from '../lib/entityProvenance';
import type { PullRequestState } from './PullRequestReader';
import type { RequestNotifier } from './RequestNotifier';
import { requestVmState } from './requestVmState';
import type {
  VirtualMachineRequestProgress,
  VirtualMachineRequestStore,
} from './VirtualMachineRequestStore';

/** The waiting reason of a change KubeVirt is still hot-plugging into the running VM. */
const LIVE_UPDATE_PENDING = 'LiveUpdatePending';
const LIVE_UPDATE_PENDING_MESSAGE =
  "KubeVirt is moving the VM to a launcher pod of the new size; it waits while the namespace's quota has no room for both pods or the VM cannot be migrated. Restarting the VM takes the change at once";

/** Whether a request at `stage` can move no further. */
function isFinishedStage(stage: VirtualMachineRequestStage): boolean {
  return (
    stage === 'declined' || stage === 'in-catalog' || stage === 'in-effect'
  );
}

/**
 * Whether the running VMI has what its VM asks for: no CPU or memory hot-plug is
 * under way (KubeVirt leaves `observedGeneration` behind after a live update, so it
 * cannot tell), and every hot-pluggable volume of the VM is attached and ready.
 */
function changeInEffect(
  vm: VirtualMachine,
  vmi: VirtualMachineInstanceObject,
): boolean {
  if (vm.status?.printableStatus === 'Migrating') return false;
  const hotplugging = (vmi.status?.conditions ?? []).some(
    c =>
      (c.type === 'HotVCPUChange' || c.type === 'HotMemoryChange') &&
      c.status === 'True',
  );
  if (hotplugging) return false;
  const volumes = (vm.spec.template?.spec?.volumes ?? []) as Array<{
    name: string;
    dataVolume?: { hotpluggable?: boolean };
    persistentVolumeClaim?: { hotpluggable?: boolean };
  }>;
  const statuses = (vmi.status?.volumeStatus ?? []) as Array<{
    name: string;
    phase?: string;
  }>;
  return volumes
    .filter(
      v => v.dataVolume?.hotpluggable || v.persistentVolumeClaim?.hotpluggable,
    )
    .every(v =>
      statuses.some(st => st.name === v.name && st.phase === 'Ready'),
    );
}

/** At most this many requests are read per run; the rest wait for the next. */
const BATCH_SIZE = 200;
/** Requests read at the same time. */
const CONCURRENCY = 8;

/**
 * What the tracker needs.
 *
 * @internal
 */
export interface VirtualMachineRequestTrackerOptions {
  store: VirtualMachineRequestStore;
  pullRequests: { read(url: string): Promise<PullRequestState> };
  clusters: KubevirtClustersService;
  catalog: CatalogService;
  auth: AuthService;
  notifier: RequestNotifier;
  logger: LoggerService;
  /** Requests older than this are read only every `slowFrequencyMs`. */
  slowDownAfterMs: number;
  slowFrequencyMs: number;
  /**
   * An open pull request that nobody is looking at is read every tenth of the time
   * it has waited, at most this far apart (GitHub's API is rate-limited); a view of
   * the request reads it at once (`refresh`).
   */
  openPullRequestMaxIntervalMs: number;
  /** How recent a read must be for `refresh` to skip reading again. */
  refreshAfterMs: number;
}

/**
 * What one run did.
 *
 * @internal
 */
export interface TrackerRunSummary {
  /** Requests whose sources were read. */
  read: number;
  /** Requests that reached a new stage. */
  moved: number;
  /** Requests whose read failed (they keep their stage and record why). */
  failed: number;
}

/** What one read of a request's sources found. */
interface Observation {
  reached: VirtualMachineRequestStage[];
  vm?: VirtualMachineRequestVmState;
  entityRef?: string;
  error?: string;
}

/**
 * Moves unfinished VM requests along their stages, each read from its real source:
 * the pull request through the GitHub integration (`pr-open` → `merged` or
 * `declined`), the VirtualMachine in its cluster with the reader credential
 * (`applied`, `running`, or why not), and the catalog (`in-catalog`). One read of each
 * due request per run; a run reads ahead as far as the sources allow, recording every
 * stage passed. Finished requests (`declined`, `in-catalog`) are never read again;
 * old ones are read less often. A failed read keeps the stage, records the error and
 * does not stop the others.
 *
 * @internal
 */
export class VirtualMachineRequestTracker {
  private readonly logger: LoggerService;

  constructor(private readonly options: VirtualMachineRequestTrackerOptions) {
    this.logger = options.logger.child({
      target: 'VirtualMachineRequestTracker',
    });
  }

  /** Reads every due request once. */
  async runOnce(now: Date = new Date()): Promise<TrackerRunSummary> {
    const started = Date.now();
    const due = await this.options.store.due(now, BATCH_SIZE);
    const summary: TrackerRunSummary = {
      read: due.length,
      moved: 0,
      failed: 0,
    };
    for (let i = 0; i < due.length; i += CONCURRENCY) {
      await Promise.all(
        due.slice(i, i + CONCURRENCY).map(async request => {
          const outcome = await this.follow(request, now);
          if (outcome.moved) summary.moved += 1;
          if (outcome.failed) summary.failed += 1;
        }),
      );
    }
    const message = `Followed ${summary.read} VM request(s): ${
      summary.moved
    } moved, ${summary.failed} failed to read, in ${Date.now() - started} ms`;
    if (summary.moved > 0 || summary.failed > 0) {
      this.logger.info(message, { ...summary });
    } else {
      this.logger.debug(message, { ...summary });
    }
    return summary;
  }

  private async follow(
    request: TrackedVirtualMachineRequest,
    now: Date,
  ): Promise<{ moved: boolean; failed: boolean }> {
    const seen = await this.observe(request);
    const at = now.toISOString();
    const stage = seen.reached[seen.reached.length - 1] ?? request.stage;
    const finished = isFinishedStage(stage);
    const old =
      now.getTime() - Date.parse(request.requestedAt) >
      this.options.slowDownAfterMs;
    let nextCheckAt = at;
    if (old) {
      nextCheckAt = new Date(
        now.getTime() + this.options.slowFrequencyMs,
      ).toISOString();
    } else if (stage === 'pr-open') {
      const openedAt = Date.parse(
        request.history.find(h => h.stage === 'pr-open')?.at ??
          request.requestedAt,
      );
      const wait = Math.min(
        Math.max(0, now.getTime() - openedAt) / 10,
        this.options.openPullRequestMaxIntervalMs,
      );
      nextCheckAt = new Date(now.getTime() + wait).toISOString();
    }
    const progress: VirtualMachineRequestProgress = {
      stage,
      history: [
        ...request.history,
        ...seen.reached.map(reached => ({ stage: reached, at })),
      ],
      vm: seen.vm ?? request.vm,
      entityRef: seen.entityRef ?? request.entityRef,
      checkedAt: at,
      lastError: seen.error,
      finished,
      nextCheckAt,
    };
    const saved = await this.options.store.saveProgress(request, progress);
    if (!saved) {
      // Read and saved by another follower meanwhile: it tells of any change.
      return { moved: false, failed: false };
    }
    if (seen.error) {
      this.logger.debug(
        `VM request ${request.id} stays ${stage}: ${seen.error}`,
        { requestId: request.id, stage },
      );
    }
    const moved = seen.reached.length > 0;
    if (moved) {
      const { nextCheckAt: _next, finished: _finished, ...shown } = progress;
      await this.options.notifier.stageReached({ ...request, ...shown });
    }
    return { moved, failed: Boolean(seen.error) };
  }

  /**
   * Reads a request someone is looking at now, unless it is finished or was read in
   * the last `refreshAfterMs`; resolves with the request as it stands after.
   */
  async refresh(
    request: TrackedVirtualMachineRequest,
    now: Date = new Date(),
  ): Promise<TrackedVirtualMachineRequest> {
    const finished = isFinishedStage(request.stage);
    const checked = request.checkedAt ? Date.parse(request.checkedAt) : 0;
    if (finished || now.getTime() - checked < this.options.refreshAfterMs) {
      return request;
    }
    await this.follow(request, now);
    return (await this.options.store.get(request.id)) ?? request;
  }

  /** Reads the request's sources, from its stage on, as far as they have got. */
  private async observe(
    request: TrackedVirtualMachineRequest,
  ): Promise<Observation> {
    const seen: Observation = { reached: [] };
    const current = () =>
      seen.reached[seen.reached.length - 1] ?? request.stage;
    try {
      if (current() === 'pr-open') {
        const state = await this.options.pullRequests.read(
          request.pullRequest.url,
        );
        if (state === 'closed') seen.reached.push('declined');
        if (state === 'merged') seen.reached.push('merged');
      }
      if (request.change) {
        await this.observeChange(request, seen, current);
        return seen;
      }
      if (current() === 'merged' || current() === 'applied') {
        const vm = await this.readVm(request);
        if (vm) {
          seen.vm = vm.state;
          if (current() === 'merged') seen.reached.push('applied');
          if (vm.running) seen.reached.push('running');
        }
      }
      if (current() === 'running') {
        const uid = seen.vm?.uid ?? request.vm?.uid;
        const entityRef = uid ? await this.findEntity(request, uid) : undefined;
        if (entityRef) {
          seen.entityRef = entityRef;
          seen.reached.push('in-catalog');
        }
      }
    } catch (error) {
      seen.error = error instanceof Error ? error.message : String(error);
    }
    return seen;
  }

  /**
   * A day-2 change from `merged` on: `applied` once the cluster's VM carries the
   * change (its `vmportal.io/change-id`, or for an adoption its request id), or for a
   * decommission once the VM is gone; `in-effect` once KubeVirt has made it (no
   * restart required, hot-plugs attached, live updates done), or for a decommission
   * once the VM's entity has left the catalog.
   */
  private async observeChange(
    request: TrackedVirtualMachineRequest,
    seen: Observation,
    current: () => VirtualMachineRequestStage,
  ): Promise<void> {
    const { cluster, namespace, name } = request;
    if (current() !== 'merged' && current() !== 'applied') return;
    const reader = this.options.clusters.get(cluster).page;
    const vm = await reader.getVirtualMachine(namespace, name).catch(error => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (request.change === 'decommission') {
      if (vm && !vm.metadata.deletionTimestamp) return;
      if (current() === 'merged') seen.reached.push('applied');
      const { items } = await this.options.catalog.getEntities(
        {
          filter: {
            kind: 'Component',
            [`metadata.annotations.${KUBEVIRT_ANNOTATIONS.cluster}`]: cluster,
            [`metadata.annotations.${KUBEVIRT_ANNOTATIONS.namespace}`]:
              namespace,
            [`metadata.annotations.${KUBEVIRT_ANNOTATIONS.name}`]: name,
          },
        },
        { credentials: await this.options.auth.getOwnServiceCredentials() },
      );
      if (items.length === 0) seen.reached.push('in-effect');
      return;
    }
    if (!vm) return;
    const annotations = vm.metadata.annotations ?? {};
    const mark =
      request.change === 'adopt'
        ? annotations[VIRTUAL_MACHINE_REQUEST_ID_ANNOTATION]
        : annotations[VIRTUAL_MACHINE_CHANGE_ID_ANNOTATION];
    if (mark !== request.id) return;
    const { state } = requestVmState(vm);
    const restart = vm.status?.conditions?.find(
      c => c.type === 'RestartRequired' && c.status === 'True',
    );
    seen.vm = restart
      ? {
          ...state,
          failingCondition: {
            type: restart.type,
            ...(restart.reason && { reason: restart.reason }),
            ...(restart.message && { message: restart.message }),
          },
        }
      : state;
    if (current() === 'merged') seen.reached.push('applied');
    if (restart) return;
    const vmi = await reader.getVirtualMachineInstance(namespace, name);
    if (vmi && !changeInEffect(vm, vmi)) {
      // A CPU or memory change KubeVirt makes by migrating the VM: it waits for as
      // long as the target pod does not fit the quota or the VM cannot migrate.
      const hotplug = vmi.status?.conditions?.find(
        c =>
          (c.type === 'HotVCPUChange' || c.type === 'HotMemoryChange') &&
          c.status === 'True',
      );
      if (hotplug) {
        seen.vm = {
          ...state,
          failingCondition: {
            type: hotplug.type,
            reason: LIVE_UPDATE_PENDING,
            message: LIVE_UPDATE_PENDING_MESSAGE,
          },
        };
      }
      return;
    }
    seen.reached.push('in-effect');
  }

  /** The requested VM's state, or undefined while it does not exist. */
  private async readVm(request: TrackedVirtualMachineRequest) {
    const { cluster, namespace, name } = request;
    let vm;
    try {
      vm = await this.options.clusters
        .get(cluster)
        .page.getVirtualMachine(namespace, name);
    } catch (error) {
      if (
        error instanceof NotFoundError &&
        this.options.clusters.list().some(c => c.name === cluster)
      ) {
        return undefined;
      }
      throw error;
    }
    const requestId =
      vm.metadata.annotations?.[VIRTUAL_MACHINE_REQUEST_ID_ANNOTATION];
    if (requestId && requestId !== request.id) {
      throw new Error(
        `VirtualMachine ${namespace}/${name} in cluster ${cluster} was made by request ${requestId}, not by this one`,
      );
    }
    return requestVmState(vm);
  }

  /** The ref of the KubeVirt provider's Component for the VM of `uid`, if there is one. */
  private async findEntity(
    request: TrackedVirtualMachineRequest,
    uid: string,
  ): Promise<string | undefined> {
    const { items } = await this.options.catalog.getEntities(
      {
        filter: {
          kind: 'Component',
          'spec.type': VIRTUAL_MACHINE_COMPONENT_TYPE,
          [`metadata.annotations.${KUBEVIRT_ANNOTATIONS.uid}`]: uid,
        },
      },
      { credentials: await this.options.auth.getOwnServiceCredentials() },
    );
    const entity = items.find(candidate => {
      try {
        assertEmittedByProvider(candidate, request);
        return true;
      } catch {
        return false;
      }
    });
    return entity ? stringifyEntityRef(entity) : undefined;
  }
}
