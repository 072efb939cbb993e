import type {
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
  VolumeBackup,
} from '@vmportal/plugin-kubevirt-common';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type {
  DataVolumeObject,
  VirtualMachineInstanceObject,
  VirtualMachineVolume,
} from '@vmportal/plugin-kubevirt-common';
import { errorStatus } from '../kubeClient';
import { hasCondition } from './conditions';
import {
  canonicalJson,
  conflictOnPatchTestFailure,
  CustomResource,
  now,
  orNotFound,
  readCustomObject,
  timeString,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
} from './resources';
import type { SimulatorContext } from './SimulatorContext';
import {
  DEFAULT_SNAPSHOT_DEADLINE_MS,
  parseGoDuration,
  setSnapshotCondition,
  SNAPSHOT_API_VERSION,
  snapshotCondition,
} from './snapshotApi';
import type { StartRevisions } from './StartRevisions';
import type { VirtualMachine } from './types';
import { volumeSnapshotClassFor } from './volumeSnapshotClass';
import type { ReconcileResult } from './WorkQueue';

/** `snapshot.kubevirt.io/v1beta1` virtualmachinesnapshots. */
export const VIRTUAL_MACHINE_SNAPSHOTS: CustomResource = {
  group: 'snapshot.kubevirt.io',
  version: 'v1beta1',
  plural: 'virtualmachinesnapshots',
};

/** `snapshot.kubevirt.io/v1beta1` virtualmachinesnapshotcontents. */
export const VIRTUAL_MACHINE_SNAPSHOT_CONTENTS: CustomResource = {
  group: 'snapshot.kubevirt.io',
  version: 'v1beta1',
  plural: 'virtualmachinesnapshotcontents',
};

const SNAPSHOT_FINALIZER = 'snapshot.kubevirt.io/vmsnapshot-protection';
const CONTENT_FINALIZER = 'snapshot.kubevirt.io/vmsnapshotcontent-protection';
/** On the VM while a snapshot holds it ("locks the source"). */
const SOURCE_FINALIZER = 'snapshot.kubevirt.io/snapshot-source-protection';
const SOURCE_NAME_LABEL = 'snapshot.kubevirt.io/source-vm-name';
const SOURCE_NAMESPACE_LABEL = 'snapshot.kubevirt.io/source-vm-namespace';
const SNAPSHOT_CONTROLLER = { component: 'snapshot-controller' };
/** `snapshotRetryInterval`: how soon a snapshot that just locked its VM looks again. */
const RETRY_MS = 5000;

const LOCKED = 'Source locked and operation in progress';
const NOT_LOCKED = 'Source not locked';

/** KubeVirt v1.9's `snapshotIndicationMessages`. */
const INDICATION_MESSAGES: Record<string, string> = {
  Online:
    'Snapshot taken while the VM was running. Consistency depends on guest-agent quiescing.',
  GuestAgent:
    'Guest agent was active and attempted to quiesce the filesystem for application consistency.',
  NoGuestAgent:
    'Guest agent was not available. Snapshot is crash-consistent and may not be application-consistent.',
  Paused:
    'Snapshot taken while the VM was paused. Snapshot is crash-consistent and may not be application-consistent.',
  PartialSnapshot:
    'Not all snapshotable volumes were included in the snapshot. Check status.snapshotVolumes for excluded volumes and VM VolumeSnapshotStatus for details.',
};

/** The snapshotted VM as the snapshot controller sees it (`vmSnapshotSource`). */
interface Source {
  vm: VirtualMachine;
  vmi: VirtualMachineInstanceObject | undefined;
  locked: boolean;
  lockMessage: string;
}

/** A VM volume backed by a claim: the claim's name (`GetPVCsFromVolumes`). */
function claimOf(volume: VirtualMachineVolume): string | undefined {
  const memoryDump = volume.memoryDump as { claimName?: string } | undefined;
  return (
    volume.persistentVolumeClaim?.claimName ??
    volume.dataVolume?.name ??
    memoryDump?.claimName
  );
}

/** `isVolumeSnapshottable`: only claims can be snapshotted. */
const snapshottable = (volume: VirtualMachineVolume) =>
  Boolean(
    volume.persistentVolumeClaim || volume.dataVolume || volume.memoryDump,
  );

const isProgressing = (snapshot: VirtualMachineSnapshot) =>
  snapshot.status?.phase !== 'Failed' && snapshot.status?.phase !== 'Succeeded';

/** `timeUntilDeadline`: negative once the snapshot's failure deadline has passed; undefined without one. */
function timeUntilDeadline(
  snapshot: VirtualMachineSnapshot,
): number | undefined {
  const deadline =
    snapshot.spec.failureDeadline === undefined
      ? DEFAULT_SNAPSHOT_DEADLINE_MS
      : parseGoDuration(snapshot.spec.failureDeadline) ??
        DEFAULT_SNAPSHOT_DEADLINE_MS;
  if (deadline === 0) return undefined;
  const created = Date.parse(snapshot.metadata.creationTimestamp ?? '');
  return (Number.isNaN(created) ? Date.now() : created) + deadline - Date.now();
}

const deadlineExceeded = (snapshot: VirtualMachineSnapshot) =>
  snapshot.status?.phase === 'Failed' ||
  (isProgressing(snapshot) && (timeUntilDeadline(snapshot) ?? 1) < 0);

/** The content's name: the one in the status, else `vmsnapshot-content-<snapshot UID>`. */
export function contentNameOf(snapshot: VirtualMachineSnapshot): string {
  return (
    snapshot.status?.virtualMachineSnapshotContentName ??
    `vmsnapshot-content-${snapshot.metadata.uid}`
  );
}

/** The claim's metadata as KubeVirt copies it into a volume backup (`getSimplifiedMetaObject`). */
function claimMetadata(pvc: V1PersistentVolumeClaim) {
  const meta = pvc.metadata!;
  return {
    name: meta.name,
    namespace: meta.namespace,
    uid: meta.uid,
    resourceVersion: meta.resourceVersion,
    creationTimestamp: timeString(meta.creationTimestamp),
    labels: meta.labels,
    annotations: meta.annotations,
    ownerReferences: meta.ownerReferences,
    finalizers: meta.finalizers,
  };
}

/**
 * KubeVirt v1.9's VM snapshot controller (`pkg/storage/snapshot`): a
 * VirtualMachineSnapshot locks its VM (`status.snapshotInProgress` and a
 * finalizer, once the VM's claims are bound and populated), creates a
 * VirtualMachineSnapshotContent holding the VM's spec (for a running VM, the spec
 * it was started with) and a backup of each claim a VolumeSnapshotClass covers,
 * and turns Succeeded and ready once the content is; then it unlocks the VM. A
 * snapshot of a VM that does not exist waits InProgress until its failure
 * deadline, then fails. Deleting a snapshot deletes its content (deletion
 * policy `Delete`, the default). It also keeps each VM's
 * `status.volumeSnapshotStatuses`: which volumes a snapshot would include.
 */
export class VirtualMachineSnapshotController {
  /** VolumeSnapshotClass look-ups, kept briefly: every VM update asks again. */
  private readonly snapshotClasses = new Map<
    string,
    { at: number; value: Promise<string | undefined> }
  >();

  constructor(
    private readonly ctx: SimulatorContext,
    private readonly revisions: StartRevisions,
  ) {}

  /** `updateVMSnapshot`. */
  async reconcileSnapshot(
    namespace: string,
    name: string,
  ): Promise<ReconcileResult | void> {
    let snapshot = await readCustomObject<VirtualMachineSnapshot>(
      this.ctx.custom,
      VIRTUAL_MACHINE_SNAPSHOTS,
      namespace,
      name,
    );
    if (!snapshot) return undefined;
    let source = await this.source(snapshot);
    const content = await this.content(snapshot);
    const deleting = Boolean(snapshot.metadata.deletionTimestamp);
    const terminating = deleting || deadlineExceeded(snapshot);
    if (!terminating) snapshot = await this.addFinalizer(snapshot);

    let retryMs: number | undefined;
    let canRemoveFinalizer = true;
    if (snapshot.status && source) {
      if (isProgressing(snapshot) && !terminating) {
        if (!source.locked) {
          source = await this.lock(snapshot, source);
          retryMs = RETRY_MS;
        } else if (!content) {
          await this.createContent(snapshot, source);
        }
        canRemoveFinalizer = false;
      } else {
        const contentGoneIfNeeded =
          !content || !this.shouldDeleteContent(snapshot, content);
        if (!isProgressing(snapshot) || (terminating && contentGoneIfNeeded))
          source = await this.unlock(snapshot, source);
        canRemoveFinalizer = !source.locked;
      }
    }
    if (terminating && content && this.shouldDeleteContent(snapshot, content)) {
      await orNotFound(
        this.ctx.custom.deleteNamespacedCustomObject({
          ...VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
          namespace,
          name: content.metadata.name,
        }),
      );
    }
    snapshot = await this.updateStatus(snapshot, source);
    if (deleting && canRemoveFinalizer) {
      await this.patchFinalizers(
        VIRTUAL_MACHINE_SNAPSHOTS,
        snapshot,
        (snapshot.metadata.finalizers ?? []).filter(
          f => f !== SNAPSHOT_FINALIZER,
        ),
      );
      return undefined;
    }
    if (retryMs !== undefined) return { requeueAfterMs: retryMs };
    const untilDeadline = isProgressing(snapshot)
      ? timeUntilDeadline(snapshot)
      : undefined;
    return untilDeadline !== undefined && untilDeadline > 0
      ? { requeueAfterMs: untilDeadline + 100 }
      : undefined;
  }

  /** `updateVMSnapshotContent`: the content is ready once its volume snapshots are. */
  async reconcileContent(
    namespace: string,
    name: string,
  ): Promise<ReconcileResult | void> {
    let content = await readCustomObject<VirtualMachineSnapshotContent>(
      this.ctx.custom,
      VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
      namespace,
      name,
    );
    if (!content) return undefined;
    const snapshotName = content.spec.virtualMachineSnapshotName;
    const snapshot = snapshotName
      ? await readCustomObject<VirtualMachineSnapshot>(
          this.ctx.custom,
          VIRTUAL_MACHINE_SNAPSHOTS,
          namespace,
          snapshotName,
        )
      : undefined;
    if (
      !snapshot ||
      snapshot.metadata.deletionTimestamp ||
      deadlineExceeded(snapshot)
    ) {
      content = await this.patchFinalizers(
        VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
        content,
        (content.metadata.finalizers ?? []).filter(
          f => f !== CONTENT_FINALIZER,
        ),
      );
      if (!content || (snapshot && this.shouldDeleteContent(snapshot, content)))
        return undefined;
    }
    if (content.metadata.deletionTimestamp) return undefined;

    const created = Boolean(content.status?.creationTime);
    const statuses: NonNullable<
      NonNullable<
        VirtualMachineSnapshotContent['status']
      >['volumeSnapshotStatus']
    > = [];
    const missing: string[] = [];
    for (const backup of content.spec.volumeBackups ?? []) {
      if (!backup.volumeSnapshotName) continue;
      let volumeSnapshot = await this.volumeSnapshot(
        namespace,
        backup.volumeSnapshotName,
      );
      if (!volumeSnapshot) {
        if (created) {
          await this.event(
            content,
            'VirtualMachineSnapshotContent',
            'Warning',
            'VolumeSnapshotMissing',
            `VolumeSnapshot ${backup.volumeSnapshotName} no longer exists`,
          );
          missing.push(backup.volumeSnapshotName);
          continue;
        }
        volumeSnapshot = await this.createVolumeSnapshot(content, backup);
      }
      statuses.push({
        volumeSnapshotName: backup.volumeSnapshotName,
        creationTime: volumeSnapshot.status?.creationTime,
        readyToUse: volumeSnapshot.status?.readyToUse,
      });
    }
    const status = { ...content.status };
    const ready =
      missing.length === 0 && statuses.every(s => s.readyToUse === true);
    const allCreated =
      missing.length === 0 && statuses.every(s => Boolean(s.creationTime));
    if (allCreated && !status.creationTime) status.creationTime = now();
    if (missing.length) {
      const message = `VolumeSnapshots (${missing.join(',')}) missing`;
      if (status.error?.message !== message)
        status.error = { time: now(), message };
    } else delete status.error;
    status.readyToUse = ready;
    if (statuses.length) status.volumeSnapshotStatus = statuses;
    else delete status.volumeSnapshotStatus;
    if (canonicalJson(status) !== canonicalJson(content.status ?? {})) {
      await this.ctx.custom.replaceNamespacedCustomObjectStatus({
        ...VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
        namespace,
        name,
        body: { ...content, status },
      });
    }
    return ready ? undefined : { requeueAfterMs: 1000 };
  }

  /**
   * `updateVolumeSnapshotStatuses`: for each volume of the VM, whether a snapshot
   * would include it, and why not.
   */
  async reconcileVolumeSnapshotStatuses(
    namespace: string,
    vmName: string,
  ): Promise<void> {
    const vm = await readCustomObject<VirtualMachine>(
      this.ctx.custom,
      VIRTUAL_MACHINES,
      namespace,
      vmName,
    );
    if (!vm || vm.metadata.deletionTimestamp) return;
    const statuses: Array<{ name: string; enabled: boolean; reason?: string }> =
      [];
    for (const volume of vm.spec.template.spec.volumes ?? []) {
      statuses.push(await this.volumeSnapshotStatus(vm, volume));
    }
    const current = vm.status?.volumeSnapshotStatuses ?? [];
    if (canonicalJson(current) === canonicalJson(statuses)) return;
    const status = { ...vm.status };
    if (statuses.length) status.volumeSnapshotStatuses = statuses;
    else delete status.volumeSnapshotStatuses;
    await this.ctx.custom.replaceNamespacedCustomObjectStatus({
      ...VIRTUAL_MACHINES,
      namespace,
      name: vmName,
      body: { ...vm, status },
    });
  }

  private snapshotClassFor(storageClass: string): Promise<string | undefined> {
    const cached = this.snapshotClasses.get(storageClass);
    if (cached && Date.now() - cached.at < 5000) return cached.value;
    const value = volumeSnapshotClassFor(this.ctx, storageClass);
    // A failed look-up is not kept.
    value.catch(() => this.snapshotClasses.delete(storageClass));
    if (this.snapshotClasses.size > 100) this.snapshotClasses.clear();
    this.snapshotClasses.set(storageClass, { at: Date.now(), value });
    return value;
  }

  /** Deletion policy `Delete` (the default), or a content never ready, goes with its snapshot. */
  private shouldDeleteContent(
    snapshot: VirtualMachineSnapshot,
    content: VirtualMachineSnapshotContent,
  ): boolean {
    return (
      (snapshot.spec.deletionPolicy ?? 'Delete') === 'Delete' ||
      content.status?.readyToUse !== true
    );
  }

  private async volumeSnapshotStatus(
    vm: VirtualMachine,
    volume: VirtualMachineVolume,
  ): Promise<{ name: string; enabled: boolean; reason?: string }> {
    if (!snapshottable(volume))
      return {
        name: volume.name,
        enabled: false,
        reason: `Snapshot is not supported for this volumeSource type [${volume.name}]`,
      };
    let storageClass: string;
    let snapshotClass: string | undefined;
    try {
      storageClass = this.storageClassOf(vm, volume);
      snapshotClass = await this.snapshotClassFor(storageClass);
    } catch (error) {
      return {
        name: volume.name,
        enabled: false,
        reason: error instanceof Error ? error.message : String(error),
      };
    }
    if (!snapshotClass)
      return {
        name: volume.name,
        enabled: false,
        reason: `No VolumeSnapshotClass: Volume snapshots are not configured for this StorageClass [${storageClass}] [${volume.name}]`,
      };
    return { name: volume.name, enabled: true };
  }

  /** `getVolumeStorageClass`: the DataVolume's class, its VM template's, else its claim's. */
  private storageClassOf(
    vm: VirtualMachine,
    volume: VirtualMachineVolume,
  ): string {
    const namespace = vm.metadata.namespace!;
    const claimClass = (claimName: string) => {
      const pvc = this.ctx.caches.pvc(namespace, claimName);
      if (!pvc) throw new Error('PVC not found');
      return pvc.spec?.storageClassName ?? '';
    };
    if (volume.dataVolume) {
      const dvName = volume.dataVolume.name;
      const dv: DataVolumeObject | undefined = this.ctx.caches.dataVolume(
        namespace,
        dvName,
      );
      if (!dv) return claimClass(dvName);
      if (dv.spec.pvc?.storageClassName) return dv.spec.pvc.storageClassName;
      const template = vm.spec.dataVolumeTemplates?.find(
        t => t.metadata?.name === dvName,
      );
      if (template?.spec.pvc?.storageClassName)
        return template.spec.pvc.storageClassName;
      return claimClass(dvName);
    }
    return claimClass(claimOf(volume)!);
  }

  /** `getSnapshotSource` with `UpdateSourceState`. */
  private async source(
    snapshot: VirtualMachineSnapshot,
  ): Promise<Source | undefined> {
    if (snapshot.spec.source.kind !== 'VirtualMachine')
      throw new Error(`unknown source ${JSON.stringify(snapshot.spec.source)}`);
    const namespace = snapshot.metadata.namespace!;
    const vm = await readCustomObject<VirtualMachine>(
      this.ctx.custom,
      VIRTUAL_MACHINES,
      namespace,
      snapshot.spec.source.name,
    );
    if (!vm) return undefined;
    const vmi = await readCustomObject<VirtualMachineInstanceObject>(
      this.ctx.custom,
      VIRTUAL_MACHINE_INSTANCES,
      namespace,
      vm.metadata.name,
    );
    const locked =
      vm.status?.snapshotInProgress === snapshot.metadata.name &&
      (vm.metadata.finalizers ?? []).includes(SOURCE_FINALIZER);
    return { vm, vmi, locked, lockMessage: locked ? LOCKED : NOT_LOCKED };
  }

  private async content(
    snapshot: VirtualMachineSnapshot,
  ): Promise<VirtualMachineSnapshotContent | undefined> {
    return readCustomObject<VirtualMachineSnapshotContent>(
      this.ctx.custom,
      VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
      snapshot.metadata.namespace!,
      contentNameOf(snapshot),
    );
  }

  /**
   * `Lock`: waits (with why in the Progressing reason) while a claim of the VM is
   * missing, unbound or unpopulated, while a stopped VM's claims are still in use,
   * or while another snapshot holds the VM; then marks the VM as snapshotted.
   */
  private async lock(
    snapshot: VirtualMachineSnapshot,
    source: Source,
  ): Promise<Source> {
    const { vm } = source;
    const namespace = vm.metadata.namespace!;
    const claims = (vm.spec.template.spec.volumes ?? [])
      .map(claimOf)
      .filter((c): c is string => Boolean(c));
    const waiting = (why: string) => ({
      ...source,
      lockMessage: `${NOT_LOCKED} ${why}`,
    });
    for (const claim of claims) {
      const problem = await this.claimProblem(namespace, claim);
      if (problem)
        return waiting(`source ${namespace}/${vm.metadata.name} ${problem}`);
    }
    if (!source.vmi && claims.length) {
      const pods = await this.ctx.core.listNamespacedPod({ namespace });
      const users = pods.items.filter(
        pod =>
          pod.status?.phase !== 'Succeeded' &&
          pod.status?.phase !== 'Failed' &&
          (pod.spec?.volumes ?? []).some(v =>
            claims.includes(v.persistentVolumeClaim?.claimName ?? ''),
          ),
      );
      if (users.length)
        return waiting(
          `source is offline but ${users.length} pods using PVCs [${claims.join(
            ' ',
          )}]`,
        );
    }
    const holder = vm.status?.snapshotInProgress;
    if (typeof holder === 'string' && holder !== snapshot.metadata.name)
      return waiting(`snapshot "${holder}" in progress`);

    let locked = vm;
    if (holder === undefined || holder === null) {
      locked = (await this.ctx.custom.replaceNamespacedCustomObjectStatus({
        ...VIRTUAL_MACHINES,
        namespace,
        name: vm.metadata.name,
        body: {
          ...vm,
          status: { ...vm.status, snapshotInProgress: snapshot.metadata.name },
        },
      })) as VirtualMachine;
    }
    if (!(locked.metadata.finalizers ?? []).includes(SOURCE_FINALIZER)) {
      locked = (await this.patchFinalizers(VIRTUAL_MACHINES, locked, [
        ...(locked.metadata.finalizers ?? []),
        SOURCE_FINALIZER,
      ]))!;
    }
    this.ctx.log(
      `${namespace}/${vm.metadata.name}: locked for snapshot ${snapshot.metadata.name}`,
    );
    return { ...source, vm: locked, locked: true, lockMessage: LOCKED };
  }

  /** `Unlock`: the VM is free again once the snapshot has finished. */
  private async unlock(
    snapshot: VirtualMachineSnapshot,
    source: Source,
  ): Promise<Source> {
    let vm = source.vm;
    if (vm.status?.snapshotInProgress !== snapshot.metadata.name) return source;
    const namespace = vm.metadata.namespace!;
    if ((vm.metadata.finalizers ?? []).includes(SOURCE_FINALIZER)) {
      vm = (await this.patchFinalizers(
        VIRTUAL_MACHINES,
        vm,
        (vm.metadata.finalizers ?? []).filter(f => f !== SOURCE_FINALIZER),
      ))!;
    }
    const status = { ...vm.status };
    delete status.snapshotInProgress;
    vm = (await this.ctx.custom.replaceNamespacedCustomObjectStatus({
      ...VIRTUAL_MACHINES,
      namespace,
      name: vm.metadata.name,
      body: { ...vm, status },
    })) as VirtualMachine;
    return { ...source, vm, locked: false, lockMessage: NOT_LOCKED };
  }

  /** `verifyVolumes`: why a claim cannot be snapshotted yet, if it cannot. */
  private async claimProblem(
    namespace: string,
    claim: string,
  ): Promise<string | undefined> {
    const pvc = await orNotFound(
      this.ctx.core.readNamespacedPersistentVolumeClaim({
        namespace,
        name: claim,
      }),
    );
    if (!pvc) return `volume doesnt exist: ${claim}`;
    if (pvc.metadata?.deletionTimestamp)
      return `volume is being deleted: ${claim}`;
    if (pvc.status?.phase !== 'Bound') return `volume not bound: ${claim}`;
    // CDI's IsPopulated: a DataVolume's claim counts once the DataVolume has Succeeded.
    const owner = pvc.metadata?.ownerReferences?.find(
      r => r.controller && r.kind === 'DataVolume',
    );
    if (owner) {
      const dv = this.ctx.caches.dataVolume(namespace, owner.name);
      if (dv?.status?.phase !== 'Succeeded')
        return `volume not populated: ${claim}`;
    }
    return undefined;
  }

  /** `createContent`: the VM's spec and a backup of each claim a VolumeSnapshotClass covers. */
  private async createContent(
    snapshot: VirtualMachineSnapshot,
    source: Source,
  ): Promise<void> {
    const { vm, vmi } = source;
    const namespace = snapshot.metadata.namespace!;
    const backups: VolumeBackup[] = [];
    for (const volume of vm.spec.template.spec.volumes ?? []) {
      const claim = claimOf(volume);
      if (!claim) continue;
      const pvc = await orNotFound(
        this.ctx.core.readNamespacedPersistentVolumeClaim({
          namespace,
          name: claim,
        }),
      );
      // `getSnapshotPVC`: a claim no VolumeSnapshotClass covers is left out.
      if (
        !pvc ||
        pvc.status?.phase !== 'Bound' ||
        !pvc.spec?.storageClassName ||
        !(await this.snapshotClassFor(pvc.spec.storageClassName))
      )
        continue;
      backups.push({
        volumeName: volume.name,
        persistentVolumeClaim: {
          metadata: claimMetadata(pvc),
          spec: structuredClone(
            pvc.spec,
          ) as VolumeBackup['persistentVolumeClaim']['spec'],
        },
        volumeSnapshotName: `vmsnapshot-${snapshot.metadata.uid}-volume-${volume.name}`,
      });
    }
    const metadata = { ...vm.metadata };
    delete metadata.managedFields;
    let spec: VirtualMachine['spec'];
    let status: object | undefined;
    if (vmi) {
      // Online: the spec the VMI was started with, with the VM's current volumes.
      const started = await this.revisions.startSpec(vmi);
      if (!started)
        throw new Error(
          `vm revision ${String(
            vmi.status?.virtualMachineRevisionName,
          )} doesn't exist`,
        );
      spec = structuredClone(started);
      spec.template.spec.volumes = vm.spec.template.spec.volumes;
      spec.template.spec.domain.devices = {
        ...spec.template.spec.domain.devices,
        disks: vm.spec.template.spec.domain.devices?.disks,
      };
      spec.dataVolumeTemplates = vm.spec.dataVolumeTemplates;
    } else {
      spec = structuredClone(vm.spec);
      status = {};
    }
    const name = contentNameOf(snapshot);
    try {
      await this.ctx.custom.createNamespacedCustomObject({
        ...VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
        namespace,
        body: {
          apiVersion: SNAPSHOT_API_VERSION,
          kind: 'VirtualMachineSnapshotContent',
          metadata: { name, namespace, finalizers: [CONTENT_FINALIZER] },
          spec: {
            virtualMachineSnapshotName: snapshot.metadata.name,
            source: { virtualMachine: { metadata, spec, status } },
            volumeBackups: backups.length ? backups : undefined,
          },
        },
      });
    } catch (error) {
      if (errorStatus(error) !== 409) throw error;
    }
    await this.event(
      snapshot,
      'VirtualMachineSnapshot',
      'Normal',
      'SuccessfulVirtualMachineSnapshotContentCreate',
      `Successfully created VirtualMachineSnapshotContent ${name}`,
    );
  }

  /** `updateSnapshotStatus`. */
  private async updateStatus(
    snapshot: VirtualMachineSnapshot,
    source: Source | undefined,
  ): Promise<VirtualMachineSnapshot> {
    const status: NonNullable<VirtualMachineSnapshot['status']> =
      structuredClone(snapshot.status ?? { readyToUse: false });
    const content = await this.content(snapshot);
    if (source) status.sourceUID = source.vm.metadata.uid;
    if (content?.status) {
      status.virtualMachineSnapshotContentName = content.metadata.name;
      status.creationTime = content.status.creationTime;
      status.readyToUse = content.status.readyToUse;
      status.error = content.status.error;
      if (status.creationTime === undefined) delete status.creationTime;
      if (status.readyToUse === undefined) delete status.readyToUse;
      if (status.error === undefined) delete status.error;
    }
    let conditions = status.conditions;
    const progressing = (s: 'True' | 'False', reason: string) => {
      conditions = setSnapshotCondition(
        conditions,
        snapshotCondition('Progressing', s, reason),
      );
    };
    const candidate = { ...snapshot, status };
    if (deadlineExceeded(candidate)) {
      status.phase = 'Failed';
      conditions = setSnapshotCondition(
        conditions,
        snapshotCondition('Failure', 'True', 'snapshot deadline exceeded'),
      );
      progressing('False', 'Operation failed');
    } else if (status.phase === 'Succeeded' || status.creationTime) {
      status.phase = 'Succeeded';
      progressing('False', 'Operation complete');
      if (content) this.snapshotVolumes(status, content);
    } else {
      status.phase = 'InProgress';
      if (source) {
        progressing(source.locked ? 'True' : 'False', source.lockMessage);
        this.indications(status, source);
      } else {
        progressing('False', 'Source does not exist');
      }
      if (snapshot.metadata.deletionTimestamp) {
        status.phase = 'Deleting';
        progressing('False', 'VM snapshot is deleting');
      }
    }
    conditions = setSnapshotCondition(
      conditions,
      status.readyToUse
        ? snapshotCondition('Ready', 'True', 'Ready')
        : snapshotCondition('Ready', 'False', 'Not ready'),
    );
    if (status.error) progressing('False', 'In error state');
    status.conditions = conditions;

    if (canonicalJson(status) === canonicalJson(snapshot.status ?? {}))
      return snapshot;
    const updated = (await this.ctx.custom.replaceNamespacedCustomObjectStatus({
      ...VIRTUAL_MACHINE_SNAPSHOTS,
      namespace: snapshot.metadata.namespace!,
      name: snapshot.metadata.name,
      body: { ...snapshot, status },
    })) as VirtualMachineSnapshot;
    if (status.phase !== snapshot.status?.phase)
      this.ctx.log(
        `${snapshot.metadata.namespace}/${
          snapshot.spec.source.name
        }: snapshot ${snapshot.metadata.name} ${
          snapshot.status?.phase ?? '(new)'
        } -> ${status.phase}`,
      );
    return updated;
  }

  /** `updateSnapshotSourceIndications`: how consistent a snapshot of a running VM is. */
  private indications(
    status: NonNullable<VirtualMachineSnapshot['status']>,
    source: Source,
  ) {
    const { vmi } = source;
    if (!vmi) {
      delete status.indications;
      delete status.sourceIndications;
      return;
    }
    const conditions = vmi.status?.conditions;
    const set = new Set(status.indications ?? []);
    set.add('Online');
    if (hasCondition(conditions, 'Paused', 'True')) set.add('Paused');
    else if (conditions?.some(c => c.type === 'AgentConnected'))
      set.add('GuestAgent');
    else set.add('NoGuestAgent');
    // Go's sets.List sorts.
    const list = [...set].sort();
    status.indications = list;
    status.sourceIndications = list.map(indication => ({
      indication,
      message: INDICATION_MESSAGES[indication] ?? 'Unknown indication',
    }));
  }

  /** `updateSnapshotSnapshotableVolumes`: which volumes the content backs up. */
  private snapshotVolumes(
    status: NonNullable<VirtualMachineSnapshot['status']>,
    content: VirtualMachineSnapshotContent,
  ) {
    const volumes =
      content.spec.source.virtualMachine?.spec.template?.spec.volumes ?? [];
    const backedUp = new Set(
      (content.spec.volumeBackups ?? []).map(b => b.volumeName),
    );
    const included = volumes.filter(v => backedUp.has(v.name));
    const excluded = volumes.filter(v => !backedUp.has(v.name));
    status.snapshotVolumes = {
      includedVolumes: included.length ? included.map(v => v.name) : undefined,
      excludedVolumes: excluded.length ? excluded.map(v => v.name) : undefined,
    };
    if (
      excluded.some(snapshottable) &&
      !(status.indications ?? []).includes('PartialSnapshot')
    ) {
      status.indications = [...(status.indications ?? []), 'PartialSnapshot'];
      status.sourceIndications = [
        ...(status.sourceIndications ?? []),
        {
          indication: 'PartialSnapshot',
          message: INDICATION_MESSAGES.PartialSnapshot,
        },
      ];
    }
  }

  private async volumeSnapshot(
    namespace: string,
    name: string,
  ): Promise<
    { status?: { creationTime?: string; readyToUse?: boolean } } | undefined
  > {
    try {
      return (await orNotFound(
        this.ctx.custom.getNamespacedCustomObject({
          group: 'snapshot.storage.k8s.io',
          version: 'v1',
          plural: 'volumesnapshots',
          namespace,
          name,
        }),
      )) as { status?: { creationTime?: string; readyToUse?: boolean } };
    } catch (error) {
      if (errorStatus(error) === 404) return undefined;
      throw error;
    }
  }

  /** `createVolumeSnapshot`: a CSI VolumeSnapshot of a backed-up claim, owned by the content. */
  private async createVolumeSnapshot(
    content: VirtualMachineSnapshotContent,
    backup: VolumeBackup,
  ): Promise<{ status?: { creationTime?: string; readyToUse?: boolean } }> {
    const storageClass = backup.persistentVolumeClaim.spec.storageClassName;
    if (!storageClass)
      throw new Error(
        `${content.metadata.namespace}/${backup.persistentVolumeClaim.metadata.name} VolumeSnapshot requested but no storage class`,
      );
    const snapshotClass = await this.snapshotClassFor(storageClass);
    if (!snapshotClass)
      throw new Error(`Couldn't find VolumeSnapshotClass for ${storageClass}`);
    const vm = content.spec.source.virtualMachine!;
    const created = (await this.ctx.custom.createNamespacedCustomObject({
      group: 'snapshot.storage.k8s.io',
      version: 'v1',
      plural: 'volumesnapshots',
      namespace: content.metadata.namespace!,
      body: {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: {
          name: backup.volumeSnapshotName,
          labels: {
            [SOURCE_NAME_LABEL]: vm.metadata.name,
            [SOURCE_NAMESPACE_LABEL]: vm.metadata.namespace,
          },
          ownerReferences: [
            {
              apiVersion: SNAPSHOT_API_VERSION,
              kind: 'VirtualMachineSnapshotContent',
              name: content.metadata.name,
              uid: content.metadata.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          source: {
            persistentVolumeClaimName:
              backup.persistentVolumeClaim.metadata.name,
          },
          volumeSnapshotClassName: snapshotClass,
        },
      },
    })) as { status?: { creationTime?: string; readyToUse?: boolean } };
    await this.event(
      content,
      'VirtualMachineSnapshotContent',
      'Normal',
      'SuccessfulVolumeSnapshotCreate',
      `Successfully created VolumeSnapshot ${backup.volumeSnapshotName}`,
    );
    return created;
  }

  private async addFinalizer(
    snapshot: VirtualMachineSnapshot,
  ): Promise<VirtualMachineSnapshot> {
    const finalizers = snapshot.metadata.finalizers ?? [];
    if (finalizers.includes(SNAPSHOT_FINALIZER)) return snapshot;
    return (await this.patchFinalizers(VIRTUAL_MACHINE_SNAPSHOTS, snapshot, [
      ...finalizers,
      SNAPSHOT_FINALIZER,
    ]))!;
  }

  /** `generateFinalizerPatch`: test the finalizers read, replace them. */
  private async patchFinalizers<
    T extends {
      metadata: { name: string; namespace?: string; finalizers?: string[] };
    },
  >(
    resource: CustomResource,
    object: T,
    finalizers: string[],
  ): Promise<T | undefined> {
    const current = object.metadata.finalizers;
    if (canonicalJson(finalizers) === canonicalJson(current ?? []))
      return object;
    const body = current
      ? [
          { op: 'test', path: '/metadata/finalizers', value: current },
          { op: 'replace', path: '/metadata/finalizers', value: finalizers },
        ]
      : [{ op: 'add', path: '/metadata/finalizers', value: finalizers }];
    return (await orNotFound(
      this.ctx.custom
        .patchNamespacedCustomObject({
          ...resource,
          namespace: object.metadata.namespace!,
          name: object.metadata.name,
          body,
        })
        .catch(conflictOnPatchTestFailure),
    )) as T | undefined;
  }

  private event(
    object: VirtualMachineSnapshot | VirtualMachineSnapshotContent,
    kind: 'VirtualMachineSnapshot' | 'VirtualMachineSnapshotContent',
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) {
    return this.ctx.events.record(
      { apiVersion: SNAPSHOT_API_VERSION, kind, metadata: object.metadata },
      type,
      reason,
      message,
      SNAPSHOT_CONTROLLER,
    );
  }
}
