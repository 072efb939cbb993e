import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type {
  VirtualMachineInstanceObject,
  VirtualMachineVolume,
} from '@vmportal/plugin-kubevirt-common';
import { describeError, errorStatus } from '../kubeClient';
import { orNotFound } from './resources';
import type { SimulatorContext } from './SimulatorContext';
import { controllerOf } from './types';

/** The `kubevirt.io` label of hot-plug attachment pods. */
export const HOTPLUG_DISK_LABEL = 'hotplug-disk';
/** The emptyDir every attachment pod mounts its disks under. */
const HOTPLUG_DISKS_VOLUME = 'hotplug-disks';
const CONTROLLER = { component: 'virt-controller' };

/** One entry of a VMI's `status.volumeStatus` (`kubevirt.io/v1` VolumeStatus). */
export interface VolumeStatus {
  name: string;
  target?: string;
  phase?: string;
  reason?: string;
  message?: string;
  hotplugVolume?: { attachPodName?: string; attachPodUID?: string };
  persistentVolumeClaimInfo?: Record<string, unknown>;
  [field: string]: unknown;
}

/** `IsDeclarativeHotplugVolume`: a claim or DataVolume volume marked `hotpluggable`. */
export function isDeclarativeHotplugVolume(
  volume: VirtualMachineVolume,
): boolean {
  const pvc = volume.persistentVolumeClaim as
    | { hotpluggable?: boolean }
    | undefined;
  return Boolean(pvc?.hotpluggable || volume.dataVolume?.hotpluggable);
}

/** `IsHotplugVolume`: a declarative hot-plug volume, or a hot-pluggable memory dump. */
export function isHotplugVolume(volume: VirtualMachineVolume): boolean {
  const dump = volume.memoryDump as { hotpluggable?: boolean } | undefined;
  return isDeclarativeHotplugVolume(volume) || Boolean(dump?.hotpluggable);
}

/** The claim a volume uses (`PVCNameFromVirtVolume`). */
export function claimNameOf(volume: VirtualMachineVolume): string | undefined {
  const dump = volume.memoryDump as { claimName?: string } | undefined;
  return (
    volume.persistentVolumeClaim?.claimName ??
    volume.dataVolume?.name ??
    dump?.claimName
  );
}

/**
 * virt-controller's side of volume hot-plug (`pkg/virt-controller/watch/vmi`,
 * `volume-hotplug.go` and `storage.go`): the VMI's hot-plug volumes that the
 * launcher pod does not mount, once their claims are ready, are mounted by an
 * `hp-volume-*` attachment pod on the launcher pod's node (owned by the launcher
 * pod, so it counts against quotas like any pod), and the VMI's `volumeStatus`
 * follows the attachment (`AttachedToNode` with the pod's name and, once it is
 * ready, its UID); virt-handler takes it on from there ({@link advanceHotplugPhase}).
 */
export class VolumeHotplug {
  constructor(private readonly ctx: SimulatorContext) {}

  /** Whether the VMI has (or had) volumes its launcher pod does not mount: only then are there attachment pods. */
  involves(vmi: VirtualMachineInstanceObject, launcher: V1Pod): boolean {
    return (
      hotplugVolumes(vmi, launcher).length > 0 ||
      ((vmi.status?.volumeStatus ?? []) as VolumeStatus[]).some(
        status => status.hotplugVolume,
      )
    );
  }

  /** The attachment pods of `launcher`. */
  async attachmentPods(launcher: V1Pod | undefined): Promise<V1Pod[]> {
    if (!launcher?.metadata?.uid) return [];
    const list = await this.ctx.core.listNamespacedPod({
      namespace: launcher.metadata.namespace!,
      labelSelector: `kubevirt.io=${HOTPLUG_DISK_LABEL}`,
    });
    return list.items.filter(
      pod => controllerOf(pod)?.uid === launcher.metadata!.uid,
    );
  }

  /**
   * `deleteOrphanedAttachmentPods`: the attachment pods of the VMI's launcher pods
   * that are down (a migration's source, a pod being deleted) go too.
   */
  async deleteOrphans(
    vmi: VirtualMachineInstanceObject,
    launchers: V1Pod[],
  ): Promise<void> {
    for (const launcher of launchers) {
      const down =
        launcher.metadata?.deletionTimestamp ||
        launcher.status?.phase === 'Succeeded' ||
        launcher.status?.phase === 'Failed';
      if (!down) continue;
      for (const pod of await this.attachmentPods(launcher))
        await this.deleteAttachmentPod(vmi, pod);
    }
  }

  /**
   * `handleHotplugVolumes`: creates the attachment pod for the ready hot-plug volumes
   * and deletes the ones for an older set; returns the current attachment pod.
   */
  async sync(
    vmi: VirtualMachineInstanceObject,
    launcher: V1Pod,
    attachmentPods: V1Pod[],
  ): Promise<V1Pod | undefined> {
    const volumes = hotplugVolumes(vmi, launcher);
    if (volumes.length === 0 && attachmentPods.length === 0) return undefined;
    const ready: VirtualMachineVolume[] = [];
    for (const volume of volumes) {
      if (await this.readyToAttach(vmi.metadata.namespace!, volume))
        ready.push(volume);
    }
    let current = attachmentPods.find(
      pod => !pod.metadata?.deletionTimestamp && mountsExactly(pod, ready),
    );
    const old = attachmentPods.filter(pod => pod !== current);
    const pending = old.some(
      pod =>
        !pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Running',
    );
    if (!current && !pending && ready.length > 0) {
      current = await this.createAttachmentPod(vmi, launcher, ready);
    }
    // The old pods go once the new one runs (or nothing is to be attached any more).
    const currentRunning = current?.status?.phase === 'Running';
    if (currentRunning || ready.length === 0) {
      for (const pod of old) await this.deleteAttachmentPod(vmi, pod);
    }
    return current;
  }

  private async deleteAttachmentPod(
    vmi: VirtualMachineInstanceObject,
    pod: V1Pod,
  ): Promise<void> {
    if (pod.metadata?.deletionTimestamp) return;
    await orNotFound(
      this.ctx.core.deleteNamespacedPod({
        namespace: pod.metadata!.namespace!,
        name: pod.metadata!.name!,
        body: { gracePeriodSeconds: 0 },
      }),
    );
    await this.event(
      vmi,
      'Normal',
      'SuccessfulDelete',
      `Deleted attachment pod ${pod.metadata!.name}`,
    );
  }

  /**
   * `updateVolumeStatus`: the VMI's volume statuses with the hot-plug ones' phase
   * and attachment pod brought up to date, and those of volumes taken out kept while
   * an attachment pod still mounts them.
   */
  async volumeStatus(
    vmi: VirtualMachineInstanceObject,
    launcher: V1Pod | undefined,
    current: V1Pod | undefined,
    attachmentPods: V1Pod[],
  ): Promise<VolumeStatus[]> {
    const namespace = vmi.metadata.namespace!;
    const previous = new Map(
      ((vmi.status?.volumeStatus ?? []) as VolumeStatus[]).map(s => [
        s.name,
        s,
      ]),
    );
    const hotplug = new Set(
      hotplugVolumes(vmi, launcher).map(volume => volume.name),
    );
    const statuses: VolumeStatus[] = [];
    for (const volume of vmi.spec.volumes ?? []) {
      const status: VolumeStatus = structuredClone(
        previous.get(volume.name) ?? { name: volume.name, target: '' },
      );
      previous.delete(volume.name);
      if (hotplug.has(volume.name)) {
        const hotplugVolume = (status.hotplugVolume ??= {});
        if (!current) {
          if (status.phase !== 'Ready') {
            hotplugVolume.attachPodUID = '';
            Object.assign(
              status,
              await this.claimPhase(namespace, claimNameOf(volume)),
            );
          }
        } else {
          hotplugVolume.attachPodName = current.metadata!.name;
          const containers = current.status?.containerStatuses ?? [];
          hotplugVolume.attachPodUID =
            containers.length === 1 && containers[0].ready
              ? current.metadata!.uid
              : '';
          if (!status.phase || ['Bound', 'Pending'].includes(status.phase)) {
            status.phase = 'AttachedToNode';
            status.reason = 'SuccessfulCreate';
            status.message = `Created hotplug attachment pod ${
              current.metadata!.name
            }, for volume ${volume.name}`;
            await this.event(vmi, 'Normal', status.reason, status.message);
          }
        }
        const claim = claimNameOf(volume);
        const pvc = claim
          ? this.ctx.caches.pvc(namespace, claim) ??
            (await orNotFound(
              this.ctx.core.readNamespacedPersistentVolumeClaim({
                namespace,
                name: claim,
              }),
            ))
          : undefined;
        if (pvc) status.persistentVolumeClaimInfo = claimInfo(pvc);
      }
      statuses.push(status);
    }
    for (const [name, status] of previous) {
      const pod = attachmentPods.find(p =>
        (p.spec?.volumes ?? []).some(v => v.name === name),
      );
      if (!pod || !status.hotplugVolume) continue;
      status.hotplugVolume.attachPodName = pod.metadata!.name;
      status.hotplugVolume.attachPodUID = pod.metadata!.uid;
      if (status.phase !== 'Ready' && status.phase !== 'MountedToPod')
        status.phase = 'Detaching';
      statuses.push(status);
    }
    return statuses;
  }

  /** `getVolumePhaseMessageReason`: a not yet attached volume's phase from its claim. */
  private async claimPhase(
    namespace: string,
    claimName: string | undefined,
  ): Promise<Pick<VolumeStatus, 'phase' | 'reason' | 'message'>> {
    const pvc = claimName
      ? await orNotFound(
          this.ctx.core.readNamespacedPersistentVolumeClaim({
            namespace,
            name: claimName,
          }),
        )
      : undefined;
    if (!pvc)
      return {
        phase: 'Pending',
        reason: 'FailedPvcNotFound',
        message: `PVC ${claimName} not found`,
      };
    if (pvc.status?.phase === 'Bound')
      return {
        phase: 'Bound',
        reason: 'PVCNotReady',
        message: 'PVC is in phase Bound',
      };
    if (pvc.status?.phase === 'Lost')
      return {
        phase: 'Pending',
        reason: 'PVCNotReady',
        message: 'PVC is in phase Lost',
      };
    return {
      phase: 'Pending',
      reason: 'PVCNotReady',
      message: 'PVC is in phase ClaimPending',
    };
  }

  /** `VolumeReadyToAttachToNode`: the claim exists and its DataVolume, if any, has succeeded. */
  private async readyToAttach(
    namespace: string,
    volume: VirtualMachineVolume,
  ): Promise<boolean> {
    const name = claimNameOf(volume);
    if (!name) return false;
    const pvc =
      this.ctx.caches.pvc(namespace, name) ??
      (await orNotFound(
        this.ctx.core.readNamespacedPersistentVolumeClaim({ namespace, name }),
      ));
    if (!pvc) return false;
    const dvName = controllerOf(pvc)?.kind === 'DataVolume' ? name : undefined;
    const dv = dvName
      ? this.ctx.caches.dataVolume(namespace, dvName)
      : undefined;
    if (dv)
      return (
        dv.status?.phase === 'Succeeded' ||
        dv.status?.phase === 'PendingPopulation'
      );
    return true;
  }

  /** `RenderHotplugAttachmentPodTemplate`, created as virt-controller creates it. */
  private async createAttachmentPod(
    vmi: VirtualMachineInstanceObject,
    launcher: V1Pod,
    volumes: VirtualMachineVolume[],
  ): Promise<V1Pod | undefined> {
    const compute = launcher.spec?.containers.find(c => c.name === 'compute');
    const body: V1Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: 'hp-volume-',
        namespace: launcher.metadata!.namespace,
        labels: { 'kubevirt.io': HOTPLUG_DISK_LABEL },
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            name: launcher.metadata!.name!,
            uid: launcher.metadata!.uid!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        containers: [
          {
            name: HOTPLUG_DISK_LABEL,
            image: compute?.image ?? 'quay.io/kubevirt/virt-launcher:v1.9.0',
            command: [
              '/bin/sh',
              '-c',
              '/usr/bin/container-disk --copy-path /path/hp',
            ],
            resources: {
              requests: { cpu: '10m', memory: '2M' },
              limits: { cpu: '100m', memory: '80M' },
            },
            securityContext: {
              allowPrivilegeEscalation: false,
              runAsNonRoot: true,
              runAsUser: 107,
              seccompProfile: { type: 'RuntimeDefault' },
              capabilities: { drop: ['ALL'] },
              seLinuxOptions: { type: 'virt_launcher.process', level: 's0' },
            },
            volumeMounts: [
              {
                name: HOTPLUG_DISKS_VOLUME,
                mountPath: '/path',
                mountPropagation: 'HostToContainer',
              },
              ...volumes.map(volume => ({
                name: volume.name,
                mountPath: `/${volume.name}`,
              })),
            ],
          },
        ],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    {
                      key: 'kubernetes.io/hostname',
                      operator: 'In',
                      values: [launcher.spec!.nodeName!],
                    },
                  ],
                },
              ],
            },
          },
        },
        tolerations: [
          'node.kubernetes.io/disk-pressure',
          'node.kubernetes.io/memory-pressure',
          'node.kubernetes.io/network-unavailable',
          'node.kubernetes.io/pid-pressure',
          'node.kubernetes.io/unschedulable',
        ].map(key => ({ key, operator: 'Exists', effect: 'NoSchedule' })),
        volumes: [
          { name: HOTPLUG_DISKS_VOLUME, emptyDir: {} },
          ...volumes.map(volume => ({
            name: volume.name,
            persistentVolumeClaim: { claimName: claimNameOf(volume)! },
          })),
        ],
        terminationGracePeriodSeconds: 0,
      },
    };
    try {
      const pod = await this.ctx.core.createNamespacedPod({
        namespace: launcher.metadata!.namespace!,
        body,
      });
      this.ctx.log(
        `${vmi.metadata.namespace}/${
          vmi.metadata.name
        }: created attachment pod ${pod.metadata!.name} for ${volumes
          .map(v => v.name)
          .join(', ')}`,
      );
      await this.event(
        vmi,
        'Normal',
        'SuccessfulCreate',
        `Created attachment pod ${pod.metadata!.name}`,
      );
      return pod;
    } catch (error) {
      if (errorStatus(error) === 409) return undefined;
      const message = describeError(error);
      await this.event(
        vmi,
        'Warning',
        'FailedCreate',
        `Error creating attachment pod: ${message}`,
      );
      throw new Error(`Error creating attachment pod ${message}`);
    }
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

/**
 * virt-handler's side (`updateHotplugVolumeStatus`): a volume whose attachment pod
 * is ready is mounted into the launcher pod (`MountedToPod`), then attached to
 * the domain (`Ready`, with its disk target). Returns the new status, or the
 * same object when nothing moves.
 */
export function advanceHotplugPhase(
  status: VolumeStatus,
  target: string,
): VolumeStatus {
  const attached = Boolean(status.hotplugVolume?.attachPodUID);
  if (
    attached &&
    ['Bound', 'Pending', 'AttachedToNode'].includes(status.phase ?? '')
  ) {
    return {
      ...status,
      phase: 'MountedToPod',
      reason: 'VolumeMountedToPod',
      message: `Volume ${status.name} has been mounted in virt-launcher pod`,
    };
  }
  if (status.phase === 'MountedToPod') {
    return {
      ...status,
      target,
      phase: 'Ready',
      reason: 'VolumeReady',
      message: `Successfully attach hotplugged volume ${status.name} to VM`,
    };
  }
  return status;
}

/** `GetHotplugVolumes`: the VMI's claim volumes that the launcher pod does not mount itself. */
function hotplugVolumes(
  vmi: VirtualMachineInstanceObject,
  launcher: V1Pod | undefined,
): VirtualMachineVolume[] {
  const mounted = new Set((launcher?.spec?.volumes ?? []).map(v => v.name));
  return (vmi.spec.volumes ?? []).filter(
    volume =>
      !mounted.has(volume.name) &&
      Boolean(
        volume.persistentVolumeClaim || volume.dataVolume || volume.memoryDump,
      ),
  );
}

/** `podVolumesMatchesReadyVolumes`: the attachment pod mounts exactly these volumes' claims. */
function mountsExactly(pod: V1Pod, volumes: VirtualMachineVolume[]): boolean {
  // Besides the claims, its emptyDir and the service account token the apiserver adds.
  const mounted = (pod.spec?.volumes ?? [])
    .filter(v => v.persistentVolumeClaim)
    .map(v => v.name);
  return (
    mounted.length === volumes.length &&
    volumes.every(volume => mounted.includes(volume.name))
  );
}

/** The VolumeStatus' `persistentVolumeClaimInfo`, as virt-controller fills it. */
export function claimInfo(
  pvc: V1PersistentVolumeClaim,
): Record<string, unknown> {
  return {
    claimName: pvc.metadata?.name,
    accessModes: pvc.spec?.accessModes,
    volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
    capacity: pvc.status?.capacity,
    requests: pvc.spec?.resources?.requests,
    filesystemOverhead: '0.06',
  };
}
