import type {
  CoreV1Api,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodCondition,
} from '@kubernetes/client-node';
import {
  AAQ_SCHEDULING_GATE,
  aaqGatesNamespace,
  KubevirtCondition,
  Quantity,
  VirtualMachineInstanceObject,
} from '@vmportal/plugin-kubevirt-common';
import { describeError, errorStatus } from '../kubeClient';
import {
  findCondition,
  hasCondition,
  removeCondition,
  updateCondition,
} from './conditions';
import { isFinal, isUnprocessed } from './printableStatus';
import {
  canonicalJson,
  CREATED_BY_LABEL,
  now,
  orNotFound,
  readCustomObject,
  timeString,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
  VM_CONTROLLER_FINALIZER,
  VMI_FINALIZER,
} from './resources';
import type { SimulatorContext } from './SimulatorContext';
import { controllerOf } from './types';
import type { MigrationController } from './MigrationController';
import type { VirtHandler } from './VirtHandler';
import { isDeclarativeHotplugVolume, VolumeHotplug } from './VolumeHotplug';
import type { ReconcileResult } from './WorkQueue';

const CONTROLLER = { component: 'virt-controller' };
const UNPAUSED_GATE = 'kubevirt.io/virtual-machine-unpaused';

/** A failure KubeVirt reports on the VMI as `Synchronized=False`. */
interface SyncError {
  reason: string;
  message: string;
}

/** The hot-plug attachment pods of the VMI's launcher pod, and the one for its current volumes. */
interface Attachment {
  pods: V1Pod[];
  current?: V1Pod;
  error?: SyncError;
}

/**
 * Plays virt-controller's VirtualMachineInstance controller: renders the
 * virt-launcher pod with the oracle and creates it (reporting refusals, such
 * as an exceeded ResourceQuota, as KubeVirt does), moves the VMI through
 * Pending → Scheduling → Scheduled as the pod is scheduled and becomes ready,
 * deletes the pod when the VMI is deleted, and hands Scheduled/Running VMIs to
 * the simulated virt-handler.
 */
export class VirtualMachineInstanceReconciler {
  private readonly hotplug: VolumeHotplug;

  constructor(
    private readonly ctx: SimulatorContext,
    private readonly handler: VirtHandler,
    private readonly migrations: MigrationController,
  ) {
    this.hotplug = new VolumeHotplug(ctx);
  }

  async reconcile(
    namespace: string,
    name: string,
  ): Promise<ReconcileResult | void> {
    let vmi = await readCustomObject<VirtualMachineInstanceObject>(
      this.ctx.custom,
      VIRTUAL_MACHINE_INSTANCES,
      namespace,
      name,
    );
    if (!vmi) return undefined;
    if (!vmi.status?.phase && !vmi.metadata.deletionTimestamp) {
      // Created directly, not by our VM controller: do what virt-api's mutating webhook would have.
      await this.applyVirtApiDefaults(vmi);
      return undefined;
    }
    const pods = await this.ownedPods(vmi);
    let pod = currentPod(pods, vmi);

    // virt-handler owns a VMI from Scheduled on; it acts before the controller, as on a
    // real node the guest's state changes before virt-controller notices the pod's.
    const handled = await this.handler.sync(vmi, pod);
    vmi = handled.vmi;
    if (!vmi) return undefined;
    // The workload updater: a CPU or memory hot-plug needs a new launcher pod.
    if (vmi.status?.phase === 'Running')
      await this.migrations.requestHotplugMigration(vmi);

    let syncError: SyncError | undefined;
    if (vmi.metadata.deletionTimestamp) {
      await this.deletePods(vmi, pods);
    } else if (!isFinal(vmi) && !pod && isUnprocessed(vmi)) {
      const created = await this.createPod(vmi);
      if ('error' in created) syncError = created.error;
      else if (created.pod) pod = created.pod;
    }
    if (pod && !pod.metadata?.deletionTimestamp && !isFinal(vmi))
      await syncUnpausedGate(this.ctx.core, vmi, pod);

    const attachment = await this.syncHotplugVolumes(vmi, pod, pods);
    if (attachment.error) syncError = attachment.error;

    const written = await this.updateStatus(
      vmi,
      pod,
      pods,
      syncError,
      attachment,
    );
    if (written === 'conflict') return { requeueAfterMs: 0 };
    if (syncError) return { retryWithBackoff: true };
    return handled.requeueAfterMs !== undefined
      ? { requeueAfterMs: handled.requeueAfterMs }
      : undefined;
  }

  /** The hot-plug volumes' attachment pods of a scheduled or running VMI (`handleHotplugVolumes`). */
  private async syncHotplugVolumes(
    vmi: VirtualMachineInstanceObject,
    pod: V1Pod | undefined,
    launchers: V1Pod[],
  ): Promise<Attachment> {
    const phase = vmi.status?.phase;
    if (!pod || (phase !== 'Running' && phase !== 'Scheduled'))
      return { pods: [] };
    if (!this.hotplug.involves(vmi, pod)) return { pods: [] };
    if (!vmi.metadata.deletionTimestamp)
      await this.hotplug.deleteOrphans(vmi, launchers);
    const pods = await this.hotplug.attachmentPods(pod);
    const podReady = pod.status?.conditions?.some(
      c => c.type === 'Ready' && c.status === 'True',
    );
    if (
      !podReady ||
      pod.metadata?.deletionTimestamp ||
      vmi.metadata.deletionTimestamp
    )
      return { pods };
    try {
      return { pods, current: await this.hotplug.sync(vmi, pod, pods) };
    } catch (error) {
      return {
        pods,
        error: { reason: 'FailedCreate', message: describeError(error) },
      };
    }
  }

  /**
   * virt-api's mutating webhook on VMI creation: KubeVirt's defaults (via the
   * oracle), its finalizer, and phase Pending. The real webhook runs inside the
   * create request; here it follows right after, before any pod exists.
   */
  private async applyVirtApiDefaults(vmi: VirtualMachineInstanceObject) {
    let defaulted: VirtualMachineInstanceObject;
    try {
      const answer = await this.ctx.oracle.render({
        vmi,
        kubevirt: await this.ctx.kubevirtConfiguration(),
      });
      defaulted = answer.vmi;
    } catch (error) {
      // The webhook would have refused the VMI; leave it, with the reason, unprocessed.
      this.ctx.log(
        `${vmi.metadata.namespace}/${
          vmi.metadata.name
        }: VMI not defaulted: ${describeError(error)}`,
      );
      defaulted = vmi;
    }
    const body: VirtualMachineInstanceObject = {
      ...vmi,
      metadata: {
        ...vmi.metadata,
        annotations: {
          ...defaulted.metadata.annotations,
          ...vmi.metadata.annotations,
        },
        finalizers: [
          ...(vmi.metadata.finalizers ?? []).filter(f => f !== VMI_FINALIZER),
          VMI_FINALIZER,
        ],
      },
      spec: defaulted.spec,
      status: {
        ...defaulted.status,
        phase: 'Pending',
        phaseTransitionTimestamps: [
          { phase: 'Pending', phaseTransitionTimestamp: now() },
        ],
      },
    };
    try {
      await this.ctx.custom.replaceNamespacedCustomObject({
        ...VIRTUAL_MACHINE_INSTANCES,
        namespace: vmi.metadata.namespace!,
        name: vmi.metadata.name!,
        body,
      });
    } catch (error) {
      if (errorStatus(error) !== 409 && errorStatus(error) !== 404) throw error;
    }
  }

  private async ownedPods(vmi: VirtualMachineInstanceObject): Promise<V1Pod[]> {
    const list = await this.ctx.core.listNamespacedPod({
      namespace: vmi.metadata.namespace!,
      labelSelector: `${CREATED_BY_LABEL}=${vmi.metadata.uid}`,
    });
    return list.items.filter(p =>
      p.metadata?.ownerReferences?.some(ref => ref.uid === vmi.metadata.uid),
    );
  }

  private async deletePods(vmi: VirtualMachineInstanceObject, pods: V1Pod[]) {
    for (const pod of pods) {
      if (pod.metadata?.deletionTimestamp) continue;
      try {
        await this.ctx.core.deleteNamespacedPod({
          namespace: pod.metadata!.namespace!,
          name: pod.metadata!.name!,
        });
      } catch (error) {
        if (errorStatus(error) === 404) continue;
        await this.event(
          vmi,
          'Warning',
          'FailedDelete',
          `Failed to delete virtual machine pod ${pod.metadata!.name}`,
        );
        throw error;
      }
      this.ctx.log(
        `${vmi.metadata.namespace}/${
          vmi.metadata.name
        }: deleting launcher pod ${pod.metadata!.name}`,
      );
      await this.event(
        vmi,
        'Normal',
        'SuccessfulDelete',
        `Deleted virtual machine pod ${pod.metadata!.name}`,
      );
    }
  }

  /** Renders and creates the launcher pod once the VMI's DataVolumes are ready. */
  private async createPod(
    vmi: VirtualMachineInstanceObject,
  ): Promise<{ pod?: V1Pod } | { error: SyncError }> {
    const namespace = vmi.metadata.namespace!;
    const pvcs: V1PersistentVolumeClaim[] = [];
    for (const volume of vmi.spec.volumes ?? []) {
      // areDataVolumesReady: every claim the VMI's volumes name must exist first;
      // hot-plug volumes are attached once the VMI runs (VolumeHotplug).
      if (isDeclarativeHotplugVolume(volume)) continue;
      const claimName =
        volume.dataVolume?.name ?? volume.persistentVolumeClaim?.claimName;
      if (
        claimName &&
        !(await orNotFound(
          this.ctx.core.readNamespacedPersistentVolumeClaim({
            namespace,
            name: claimName,
          }),
        ))
      ) {
        const message = `PVC ${namespace}/${claimName} does not exist, waiting for it to appear`;
        await this.event(vmi, 'Normal', 'FailedPvcNotFound', message);
        return { error: { reason: 'FailedPvcNotFound', message } };
      }
      if (volume.dataVolume) {
        const dv = this.ctx.caches.dataVolume(
          namespace,
          volume.dataVolume.name,
        );
        const claim = await orNotFound(
          this.ctx.core.readNamespacedPersistentVolumeClaim({
            namespace,
            name: volume.dataVolume.name,
          }),
        );
        // Wait for the import (or, without a DataVolume, for a bound claim).
        if (
          dv
            ? dv.status?.phase !== 'Succeeded'
            : claim?.status?.phase !== 'Bound'
        )
          return {};
        if (claim) pvcs.push(claim);
      }
      if (volume.persistentVolumeClaim) {
        const claim = await orNotFound(
          this.ctx.core.readNamespacedPersistentVolumeClaim({
            namespace,
            name: volume.persistentVolumeClaim.claimName,
          }),
        );
        if (claim) pvcs.push(claim);
      }
    }

    let rendered: V1Pod;
    try {
      rendered = await renderLauncherPod(this.ctx, vmi, pvcs);
    } catch (error) {
      const message = `failed to render launch manifest: ${describeError(
        error,
      )}`;
      if (/does not exist|not found/i.test(describeError(error))) {
        await this.event(vmi, 'Warning', 'FailedPvcNotFound', message);
        return { error: { reason: 'FailedPvcNotFound', message } };
      }
      return { error: { reason: 'FailedCreate', message } };
    }

    try {
      const pod = await this.ctx.core.createNamespacedPod({
        namespace,
        body: rendered,
      });
      this.ctx.log(
        `${namespace}/${vmi.metadata.name}: created launcher pod ${
          pod.metadata!.name
        }`,
      );
      await this.event(
        vmi,
        'Normal',
        'SuccessfulCreate',
        `Created virtual machine pod ${pod.metadata!.name}`,
      );
      return { pod };
    } catch (error) {
      const message = describeError(error);
      await this.event(
        vmi,
        'Warning',
        'FailedCreate',
        `Error creating pod: ${message}`,
      );
      return {
        error: {
          reason: 'FailedCreate',
          message: `failed to create virtual machine pod: ${message}`,
        },
      };
    }
  }

  /** lifecycle.go's `updateStatus`; returns 'conflict' when someone wrote the VMI meanwhile. */
  private async updateStatus(
    vmi: VirtualMachineInstanceObject,
    pod: V1Pod | undefined,
    pods: V1Pod[],
    syncError: SyncError | undefined,
    attachment: Attachment,
  ): Promise<'written' | 'unchanged' | 'conflict'> {
    const copy: VirtualMachineInstanceObject = structuredClone(vmi);
    const status = (copy.status ??= {});
    let conditions: KubevirtCondition[] = status.conditions ?? [];
    const podExists = Boolean(pod);
    const podDown = Boolean(
      pod &&
        (pod.metadata?.deletionTimestamp ||
          pod.status?.phase === 'Succeeded' ||
          pod.status?.phase === 'Failed'),
    );

    if (pods.length > 0 || status.activePods) {
      status.activePods = Object.fromEntries(
        pods.map(p => [p.metadata!.uid!, p.spec?.nodeName ?? '']),
      );
    }
    conditions = syncReadyCondition(conditions, vmi, pod, podDown);
    if (pod) {
      const image = pod.spec?.containers.find(c => c.name === 'compute')?.image;
      if (image) status.launcherContainerImageVersion = image;
    }

    const phase = vmi.status?.phase;
    if (isUnprocessed(vmi)) {
      if (podExists) status.phase = 'Scheduling';
      else if (vmi.metadata.deletionTimestamp) status.phase = 'Failed';
      else {
        status.phase = 'Pending';
        if (syncError?.reason === 'FailedPvcNotFound') {
          conditions = [
            ...removeCondition(conditions, 'PodScheduled'),
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: syncError.message,
            },
          ];
        }
      }
    } else if (phase === 'Scheduling') {
      if (pod) {
        if (pod.status?.qosClass) status.qosClass = pod.status.qosClass;
        else delete status.qosClass;
        conditions = copyPodScheduled(conditions, pod);
        const ready = pod.status?.conditions?.some(
          c => c.type === 'Ready' && c.status === 'True',
        );
        if (ready && !vmi.metadata.deletionTimestamp && !podDown) {
          status.phase = 'Scheduled';
          status.nodeName = pod.spec!.nodeName;
          copy.metadata.labels = {
            ...copy.metadata.labels,
            'kubevirt.io/nodeName': pod.spec!.nodeName!,
          };
          status.migrationTransport = 'Unix';
        } else if (podDown) {
          status.phase = 'Failed';
        }
      } else {
        status.phase = 'Failed';
      }
    } else if (isFinal(vmi)) {
      if (pods.length === 0) {
        copy.metadata.finalizers = (copy.metadata.finalizers ?? []).filter(
          f => f !== VMI_FINALIZER && f !== 'foregroundDeleteVirtualMachine',
        );
        delete status.launcherContainerImageVersion;
      }
      if (copy.metadata.finalizers?.length && !(await this.hasOwnerVm(vmi))) {
        copy.metadata.finalizers = copy.metadata.finalizers.filter(
          f => f !== VM_CONTROLLER_FINALIZER,
        );
      }
    } else if (phase === 'Running' || phase === 'Scheduled') {
      if (!podExists) status.phase = 'Failed';
      else {
        status.volumeStatus = await this.hotplug.volumeStatus(
          vmi,
          pod,
          attachment.current,
          attachment.pods,
        );
        if (status.volumeStatus.length === 0) delete status.volumeStatus;
      }
      if (podExists && phase === 'Running') {
        // The VMI's spec got more CPUs or memory than its domain has (LiveUpdate).
        if (
          requireCpuHotplug(copy) &&
          !findCondition(conditions, 'HotVCPUChange')
        )
          conditions = [
            ...conditions,
            { type: 'HotVCPUChange', status: 'True' },
          ];
        if (
          requireMemoryHotplug(copy) &&
          !findCondition(conditions, 'HotMemoryChange')
        ) {
          conditions = [
            ...conditions,
            { type: 'HotMemoryChange', status: 'True' },
          ];
          const ratio = (await this.ctx.kubevirtConfiguration())
            ?.additionalGuestMemoryOverheadRatio;
          if (ratio)
            copy.metadata.labels = {
              ...copy.metadata.labels,
              'kubevirt.io/memory-hotplug-overhead-ratio': ratio,
            };
        }
      }
    }

    if (phase !== 'Running' && phase !== 'Scheduled') {
      const sync = findCondition(conditions, 'Synchronized');
      if (syncError) {
        if (!(sync?.status === 'False' && sync.reason === syncError.reason)) {
          conditions = [
            ...removeCondition(conditions, 'Synchronized'),
            {
              type: 'Synchronized',
              status: 'False',
              reason: syncError.reason,
              message: syncError.message,
              lastProbeTime: null,
              lastTransitionTime: now(),
            },
          ];
          this.ctx.log(
            `${vmi.metadata.namespace}/${vmi.metadata.name}: ${syncError.message}`,
          );
        }
      } else if (sync) {
        conditions = removeCondition(conditions, 'Synchronized');
      }
    }
    status.conditions = conditions;
    if (status.conditions.length === 0) delete status.conditions;
    if (status.phase !== phase) {
      status.phaseTransitionTimestamps = [
        ...(status.phaseTransitionTimestamps ?? []),
        { phase: status.phase!, phaseTransitionTimestamp: now() },
      ];
    }

    const changed =
      canonicalJson(copy.status) !== canonicalJson(vmi.status) ||
      canonicalJson(copy.metadata.finalizers) !==
        canonicalJson(vmi.metadata.finalizers) ||
      canonicalJson(copy.metadata.labels) !==
        canonicalJson(vmi.metadata.labels);
    if (!changed) return 'unchanged';
    try {
      await this.ctx.custom.replaceNamespacedCustomObject({
        ...VIRTUAL_MACHINE_INSTANCES,
        namespace: vmi.metadata.namespace!,
        name: vmi.metadata.name!,
        body: copy,
      });
    } catch (error) {
      if (errorStatus(error) === 409) return 'conflict';
      if (errorStatus(error) === 404) return 'unchanged';
      throw error;
    }
    if (status.phase !== phase) {
      this.ctx.log(
        `${vmi.metadata.namespace}/${vmi.metadata.name}: VMI ${
          phase || '(new)'
        } -> ${status.phase}`,
      );
    }
    return 'written';
  }

  private async hasOwnerVm(
    vmi: VirtualMachineInstanceObject,
  ): Promise<boolean> {
    const ref = controllerOf(vmi);
    if (ref?.kind !== 'VirtualMachine') return false;
    const vm = await readCustomObject<{ metadata?: { uid?: string } }>(
      this.ctx.custom,
      VIRTUAL_MACHINES,
      vmi.metadata.namespace!,
      ref.name,
    );
    return vm?.metadata?.uid === ref.uid;
  }

  private event(
    vmi: VirtualMachineInstanceObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) {
    return this.ctx.events.record(
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        metadata: vmi.metadata,
      },
      type,
      reason,
      message,
      CONTROLLER,
    );
  }
}

/** `syncPausedConditionToPod`: a launcher pod's readiness gate follows the VMI's Paused condition. */
export async function syncUnpausedGate(
  core: CoreV1Api,
  vmi: VirtualMachineInstanceObject,
  pod: V1Pod,
): Promise<void> {
  const paused = hasCondition(vmi.status?.conditions, 'Paused', 'True');
  const gate = pod.status?.conditions?.find(c => c.type === UNPAUSED_GATE);
  const wanted: V1PodCondition = paused
    ? {
        type: UNPAUSED_GATE,
        status: 'False',
        reason: 'Paused',
        message: 'the virtual machine is paused',
      }
    : {
        type: UNPAUSED_GATE,
        status: 'True',
        reason: 'NotPaused',
        message: 'the virtual machine is not paused',
      };
  if (paused ? gate?.status !== 'True' : gate?.status === 'True') return;
  const timestamp = new Date();
  const conditions = [
    ...(pod.status?.conditions ?? []).filter(c => c.type !== UNPAUSED_GATE),
    { ...wanted, lastProbeTime: timestamp, lastTransitionTime: timestamp },
  ];
  try {
    await core.replaceNamespacedPodStatus({
      namespace: pod.metadata!.namespace!,
      name: pod.metadata!.name!,
      body: { ...pod, status: { ...pod.status, conditions } },
    });
  } catch (error) {
    if (errorStatus(error) !== 409 && errorStatus(error) !== 404) throw error;
  }
}

/**
 * The pod a VMI runs in (`controller.CurrentVMIPod`): its newest launcher pod on the
 * VMI's node, or its newest if it has no node yet (a migration target elsewhere is not it).
 */
export function currentPod(
  pods: V1Pod[],
  vmi: VirtualMachineInstanceObject,
): V1Pod | undefined {
  const node = vmi.status?.nodeName;
  const time = (pod: V1Pod) =>
    new Date(timeString(pod.metadata?.creationTimestamp) ?? 0).getTime();
  return [...pods]
    .filter(pod => !node || pod.spec?.nodeName === node)
    .sort((a, b) => time(b) - time(a))[0];
}

/**
 * Renders the VMI's virt-launcher pod as virt-controller does (KubeVirt's own code,
 * via the oracle, with the namespace's quotas and labels and the claims' modes),
 * ready to create; gated when Application Aware Quota gates the namespace.
 */
export async function renderLauncherPod(
  ctx: SimulatorContext,
  vmi: VirtualMachineInstanceObject,
  pvcs: V1PersistentVolumeClaim[],
): Promise<V1Pod> {
  const namespace = vmi.metadata.namespace!;
  const [namespaceObject, kubevirt] = await Promise.all([
    ctx.core.readNamespace({ name: namespace }),
    ctx.kubevirtConfiguration(),
  ]);
  const answer = await ctx.oracle.render({
    vmi,
    kubevirt,
    namespaceQuotas: [...ctx.caches.resourceQuotas(namespace)],
    namespaceLabels: namespaceObject.metadata?.labels,
    pvcs,
  });
  const rendered = launcherPod(answer.pod, vmi);
  // Application Aware Quota's webhook gates every new pod of the namespaces its CR selects.
  const aaq = ctx.caches.aaq();
  if (
    aaq &&
    aaqGatesNamespace(
      aaq.spec?.namespaceSelector,
      namespaceObject.metadata?.labels,
    )
  ) {
    rendered.spec!.schedulingGates = [
      ...(rendered.spec!.schedulingGates ?? []),
      { name: AAQ_SCHEDULING_GATE },
    ];
  }
  return rendered;
}

/** The oracle's pod made ready to create: typed, namespaced, identity labels ensured. */
function launcherPod(
  rendered: V1Pod,
  vmi: VirtualMachineInstanceObject,
): V1Pod {
  const pod = structuredClone(rendered);
  delete pod.status;
  const metadata = (pod.metadata ??= {});
  delete metadata.creationTimestamp;
  metadata.namespace = vmi.metadata.namespace;
  metadata.labels = {
    ...metadata.labels,
    'kubevirt.io': 'virt-launcher',
    [CREATED_BY_LABEL]: vmi.metadata.uid!,
  };
  if (!metadata.ownerReferences?.some(ref => ref.uid === vmi.metadata.uid)) {
    metadata.ownerReferences = [
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        name: vmi.metadata.name!,
        uid: vmi.metadata.uid!,
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  }
  return { ...pod, apiVersion: 'v1', kind: 'Pod' };
}

/** `requireCPUHotplug`: the spec's vCPUs differ from the domain's (`status.currentCPUTopology`). */
function requireCpuHotplug(vmi: VirtualMachineInstanceObject): boolean {
  const topology = vmi.status?.currentCPUTopology as
    | { sockets?: number; cores?: number; threads?: number }
    | undefined;
  const cpu = vmi.spec.domain.cpu;
  if (!topology || !cpu?.maxSockets) return false;
  const vcpus = (c: { sockets?: number; cores?: number; threads?: number }) =>
    (c.sockets ?? 1) * (c.cores ?? 1) * (c.threads ?? 1);
  return vcpus(cpu) !== vcpus(topology);
}

/** `requireMemoryHotplug`: the spec's guest memory differs from what the guest was given. */
function requireMemoryHotplug(vmi: VirtualMachineInstanceObject): boolean {
  const memory = vmi.status?.memory as { guestRequested?: string } | undefined;
  const guest = vmi.spec.domain.memory?.guest;
  if (!memory || !guest || !vmi.spec.domain.memory?.maxGuest) return false;
  return (
    !memory.guestRequested ||
    !Quantity.parse(String(guest)).equals(
      Quantity.parse(String(memory.guestRequested)),
    )
  );
}

/** `syncReadyConditionFromPod`. */
function syncReadyCondition(
  conditions: KubevirtCondition[],
  vmi: VirtualMachineInstanceObject,
  pod: V1Pod | undefined,
  podDown: boolean,
): KubevirtCondition[] {
  const timestamp = now();
  const notReady = (reason: string, message: string): KubevirtCondition => ({
    type: 'Ready',
    status: 'False',
    reason,
    message,
    lastProbeTime: null,
    lastTransitionTime: timestamp,
  });
  if (!pod)
    return updateCondition(
      conditions,
      notReady('PodNotExists', 'virt-launcher pod has not yet been scheduled'),
    );
  if (podDown)
    return updateCondition(
      conditions,
      notReady('PodTerminating', 'virt-launcher pod is terminating'),
    );
  if (vmi.status?.phase !== 'Running') {
    return updateCondition(
      conditions,
      notReady('GuestNotRunning', 'Guest VM is not reported as running'),
    );
  }
  const podReady = pod.status?.conditions?.find(c => c.type === 'Ready');
  if (!podReady) {
    return updateCondition(
      conditions,
      notReady(
        'PodConditionMissing',
        'virt-launcher pod is missing the Ready condition',
      ),
    );
  }
  return updateCondition(conditions, {
    type: 'Ready',
    status: podReady.status as KubevirtCondition['status'],
    reason: podReady.reason,
    message: podReady.message,
    lastProbeTime: null,
    lastTransitionTime: timeString(podReady.lastTransitionTime) ?? timestamp,
  });
}

/** Copies the pod's `PodScheduled=False` to the VMI, or drops the VMI's once the pod is scheduled. */
function copyPodScheduled(
  conditions: KubevirtCondition[],
  pod: V1Pod,
): KubevirtCondition[] {
  const scheduled = pod.status?.conditions?.find(
    c => c.type === 'PodScheduled',
  );
  if (scheduled?.status === 'False') {
    if (findCondition(conditions, 'PodScheduled')) {
      return updateCondition(conditions, podCondition(scheduled));
    }
    return [...conditions, podCondition(scheduled)];
  }
  return removeCondition(conditions, 'PodScheduled');
}

function podCondition(condition: V1PodCondition): KubevirtCondition {
  return {
    type: condition.type,
    status: condition.status as KubevirtCondition['status'],
    reason: condition.reason,
    message: condition.message,
    lastProbeTime: timeString(condition.lastProbeTime) ?? null,
    lastTransitionTime: timeString(condition.lastTransitionTime) ?? null,
  };
}
