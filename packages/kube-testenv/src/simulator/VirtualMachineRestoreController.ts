import type {
  VirtualMachineRestore,
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
} from '@vmportal/plugin-kubevirt-common';
import type { VirtualMachineInstanceObject } from '@vmportal/plugin-kubevirt-common';
import { describeError } from '../kubeClient';
import { legacyFirmwareUuid } from './firmwareUuid';
import type { PowerActions } from './PowerActions';
import {
  canonicalJson,
  CustomResource,
  DATA_VOLUMES,
  now,
  orNotFound,
  readCustomObject,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
} from './resources';
import type { SimulatorContext } from './SimulatorContext';
import {
  DEFAULT_SNAPSHOT_DEADLINE_MS,
  setSnapshotCondition,
  SNAPSHOT_API_VERSION,
  snapshotCondition,
} from './snapshotApi';
import type { VirtualMachine } from './types';
import {
  VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
  VIRTUAL_MACHINE_SNAPSHOTS,
} from './VirtualMachineSnapshotController';
import type { ReconcileResult } from './WorkQueue';

/** `snapshot.kubevirt.io/v1beta1` virtualmachinerestores. */
export const VIRTUAL_MACHINE_RESTORES: CustomResource = {
  group: 'snapshot.kubevirt.io',
  version: 'v1beta1',
  plural: 'virtualmachinerestores',
};

const RESTORE_FINALIZER = 'snapshot.kubevirt.io/vmrestore-protection';
const LAST_RESTORE_ANNOTATION = 'restore.kubevirt.io/lastRestoreUID';
const RESTORE_CONTROLLER = { component: 'restore-controller' };

// KubeVirt v1.9's messages (pkg/storage/snapshot/restore.go); Go prints 5 minutes as "5m0s".
const WAIT_EVENTUALLY =
  'Waiting for target VM to be powered off. Please stop the restore target to proceed with restore';
const WAIT_GRACE_PERIOD =
  'Waiting for target VM to be powered off. Please stop the restore target to proceed with restore, or the operation will fail after 5m0s';
const STOP_TARGET =
  'Automatically stopping restore target for restore operation';
const VMI_EXISTS =
  'Restore target VMI still exists, please stop the restore target to proceed with restore';
const NOT_READY_FAILURE =
  'Restore target VMI must be powered off before restore operation';
const GRACE_PERIOD_EXCEEDED =
  'Restore target failed to be ready within 5m0s. Please power off the target VM before attempting restore';
const DIFFERENT_EXISTING_TARGET =
  'restore source and restore target are different but restore target already exists';

/** A reason to record on the restore (a `doUpdateError`), as an exception. */
class RestoreError extends Error {}

type Status = NonNullable<VirtualMachineRestore['status']>;

const lastRestoreValue = (restore: VirtualMachineRestore) =>
  `${restore.metadata.name}-${restore.metadata.uid}`;

const restored = (
  restore: VirtualMachineRestore,
  vm: VirtualMachine | undefined,
) =>
  vm?.metadata.annotations?.[LAST_RESTORE_ANNOTATION] ===
  lastRestoreValue(restore);

/**
 * KubeVirt v1.9's VM restore controller (`pkg/storage/snapshot/restore.go`): a
 * VirtualMachineRestore puts the VM spec of a ready snapshot back on its target
 * VM (or creates the VM). The target must be powered off: while its VMI exists
 * the restore waits as its `targetReadinessPolicy` says; the default,
 * `WaitGracePeriod`, waits five minutes with a `RestoreTargetNotReady` warning,
 * then fails. A restore of a stopped VM marks it `status.restoreInProgress`,
 * replaces its spec (keeping its run strategy), then reports `complete`.
 * Restoring volume backups is not simulated: without the CSI snapshot CRDs here,
 * KubeVirt's snapshots back up no volumes.
 */
export class VirtualMachineRestoreController {
  constructor(
    private readonly ctx: SimulatorContext,
    private readonly actions: PowerActions,
  ) {}

  /** `updateVMRestore`. */
  async reconcile(
    namespace: string,
    name: string,
  ): Promise<ReconcileResult | void> {
    const restore = await readCustomObject<VirtualMachineRestore>(
      this.ctx.custom,
      VIRTUAL_MACHINE_RESTORES,
      namespace,
      name,
    );
    if (!restore) return undefined;
    if (!restore.status) {
      await this.writeStatus(restore, {
        complete: false,
        conditions: [
          snapshotCondition(
            'Progressing',
            'True',
            'Initializing VirtualMachineRestore',
          ),
          snapshotCondition(
            'Ready',
            'False',
            'Initializing VirtualMachineRestore',
          ),
        ],
      });
      return undefined;
    }
    try {
      return await this.sync(restore);
    } catch (error) {
      if (!(error instanceof RestoreError)) throw error;
      // The restore may have been written meanwhile (owner, finalizer): record on the latest.
      const latest =
        (await readCustomObject<VirtualMachineRestore>(
          this.ctx.custom,
          VIRTUAL_MACHINE_RESTORES,
          namespace,
          name,
        )) ?? restore;
      await this.fail(latest, error.message, false);
      return { retryWithBackoff: true };
    }
  }

  private async sync(
    original: VirtualMachineRestore,
  ): Promise<ReconcileResult | void> {
    let restore = original;
    const namespace = restore.metadata.namespace!;
    if (restore.spec.target.kind !== 'VirtualMachine')
      throw new RestoreError(
        `unknown source ${JSON.stringify(restore.spec.target)}`,
      );
    let vm = await readCustomObject<VirtualMachine>(
      this.ctx.custom,
      VIRTUAL_MACHINES,
      namespace,
      restore.spec.target.name,
    );
    if (restore.metadata.deletionTimestamp)
      return this.handleDeletion(restore, vm);
    const status = restore.status!;
    const failed = status.conditions?.some(c => c.type === 'Failure');
    if (status.complete || failed) return undefined;

    // Owned by its target (garbage-collected with it) and protected by a finalizer.
    const metadata = structuredClone(restore.metadata);
    if (!metadata.ownerReferences?.length && vm)
      metadata.ownerReferences = [
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachine',
          name: vm.metadata.name,
          uid: vm.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ];
    if (!(metadata.finalizers ?? []).includes(RESTORE_FINALIZER))
      metadata.finalizers = [...(metadata.finalizers ?? []), RESTORE_FINALIZER];
    if (canonicalJson(metadata) !== canonicalJson(restore.metadata)) {
      restore = (await this.ctx.custom.replaceNamespacedCustomObject({
        ...VIRTUAL_MACHINE_RESTORES,
        namespace,
        name: restore.metadata.name,
        body: { ...restore, metadata },
      })) as VirtualMachineRestore;
    }

    const vmi =
      vm &&
      (await readCustomObject<VirtualMachineInstanceObject>(
        this.ctx.custom,
        VIRTUAL_MACHINE_INSTANCES,
        namespace,
        vm.metadata.name,
      ));
    if (vmi) return this.targetNotReady(restore, vm!);

    const snapshot = await this.readySnapshot(restore);
    if (
      vm &&
      !restored(restore, vm) &&
      snapshot.status?.sourceUID &&
      snapshot.status.sourceUID !== vm.metadata.uid
    )
      throw new RestoreError(DIFFERENT_EXISTING_TARGET);
    if (vm) vm = await this.markInProgress(restore, vm);
    const content = await this.readyContent(snapshot);
    if (content.spec.volumeBackups?.length)
      throw new RestoreError(
        'restoring volume backups (VolumeSnapshots) is not simulated',
      );

    const next: Status = structuredClone(restore.status!);
    if (!restored(restore, vm)) {
      await this.reconcileTarget(restore, vm, content, next);
      next.conditions = setSnapshotCondition(
        setSnapshotCondition(
          next.conditions,
          snapshotCondition('Progressing', 'True', 'Updating target spec'),
        ),
        snapshotCondition('Ready', 'False', 'Waiting for target update'),
      );
      await this.writeStatus(restore, next);
      return undefined;
    }

    for (const dvName of next.deletedDataVolumes ?? []) {
      await orNotFound(
        this.ctx.custom.deleteNamespacedCustomObject({
          ...DATA_VOLUMES,
          namespace,
          name: dvName,
        }),
      );
    }
    if (vm) await this.markDone(restore, vm);
    await this.event(
      restore,
      'Normal',
      'VirtualMachineRestoreComplete',
      `Successfully completed VirtualMachineRestore ${restore.metadata.name}`,
    );
    next.complete = true;
    next.restoreTime = now();
    next.conditions = setSnapshotCondition(
      setSnapshotCondition(
        next.conditions,
        snapshotCondition('Progressing', 'False', 'Operation complete'),
      ),
      snapshotCondition('Ready', 'True', 'Operation complete'),
    );
    await this.writeStatus(restore, next);
    this.ctx.log(
      `${namespace}/${restore.spec.target.name}: restored from snapshot ${restore.spec.virtualMachineSnapshotName} (restore ${restore.metadata.name})`,
    );
    return undefined;
  }

  /** `handleVMRestoreTargetNotReady`: the target VM still runs. */
  private async targetNotReady(
    restore: VirtualMachineRestore,
    vm: VirtualMachine,
  ): Promise<ReconcileResult | void> {
    const policy = restore.spec.targetReadinessPolicy ?? 'WaitGracePeriod';
    let reason: string;
    let requeueAfterMs: number | undefined;
    switch (policy) {
      case 'WaitEventually':
        reason = WAIT_EVENTUALLY;
        break;
      case 'StopTarget': {
        await this.event(
          restore,
          'Warning',
          'RestoreTargetNotReady',
          STOP_TARGET,
        );
        await this.setWaiting(restore, STOP_TARGET);
        const answer = await this.actions.run(
          'stop',
          vm.metadata.namespace!,
          vm.metadata.name,
          '',
        );
        if (answer.code >= 300) {
          const message =
            (answer.body as { message?: string } | undefined)?.message ??
            `stop answered ${answer.code}`;
          throw new RestoreError(message);
        }
        return undefined;
      }
      case 'WaitGracePeriod': {
        const created = Date.parse(restore.metadata.creationTimestamp ?? '');
        const left =
          (Number.isNaN(created) ? Date.now() : created) +
          DEFAULT_SNAPSHOT_DEADLINE_MS -
          Date.now();
        if (left < 0) {
          await this.fail(restore, GRACE_PERIOD_EXCEEDED, true);
          return undefined;
        }
        reason = WAIT_GRACE_PERIOD;
        requeueAfterMs = left + 100;
        break;
      }
      case 'FailImmediate':
        await this.fail(restore, NOT_READY_FAILURE, true);
        return undefined;
      default:
        throw new Error(`unknown targetReadinessPolicy: ${String(policy)}`);
    }
    await this.event(restore, 'Warning', 'RestoreTargetNotReady', VMI_EXISTS);
    await this.setWaiting(restore, reason);
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }

  private async setWaiting(restore: VirtualMachineRestore, reason: string) {
    const next = structuredClone(restore.status!);
    next.conditions = setSnapshotCondition(
      setSnapshotCondition(
        next.conditions,
        snapshotCondition('Progressing', 'False', reason),
      ),
      snapshotCondition('Ready', 'False', reason),
    );
    await this.writeStatus(restore, next);
  }

  /** `doUpdateErrorWithFailure`: an error (retried), or a failure (final). */
  private async fail(
    restore: VirtualMachineRestore,
    message: string,
    final: boolean,
  ) {
    await this.event(
      restore,
      'Warning',
      final ? 'Operation failed' : 'VirtualMachineRestoreError',
      final
        ? `VirtualMachineRestore failed ${message}`
        : `VirtualMachineRestore encountered error ${message}`,
    );
    const next = structuredClone(restore.status ?? {});
    let conditions = setSnapshotCondition(
      setSnapshotCondition(
        next.conditions,
        snapshotCondition('Progressing', 'False', message),
      ),
      snapshotCondition('Ready', 'False', message),
    );
    if (final)
      conditions = setSnapshotCondition(
        conditions,
        snapshotCondition('Failure', 'True', message),
      );
    next.conditions = conditions;
    await this.writeStatus(restore, next);
    if (final)
      this.ctx.log(
        `${restore.metadata.namespace}/${restore.spec.target.name}: restore ${restore.metadata.name} failed: ${message}`,
      );
  }

  /** `handleVMRestoreDeletion`: releases the target, then the finalizer. */
  private async handleDeletion(
    restore: VirtualMachineRestore,
    vm: VirtualMachine | undefined,
  ): Promise<void> {
    const finalizers = restore.metadata.finalizers ?? [];
    if (!finalizers.includes(RESTORE_FINALIZER)) return;
    if (vm) await this.markDone(restore, vm);
    const next = structuredClone(restore.status ?? {});
    next.conditions = setSnapshotCondition(
      setSnapshotCondition(
        next.conditions,
        snapshotCondition('Progressing', 'False', 'VM restore is deleting'),
      ),
      snapshotCondition('Ready', 'False', 'VM restore is deleting'),
    );
    if (canonicalJson(next) !== canonicalJson(restore.status ?? {})) {
      await this.writeStatus(restore, next);
      return;
    }
    await this.ctx.custom.patchNamespacedCustomObject({
      ...VIRTUAL_MACHINE_RESTORES,
      namespace: restore.metadata.namespace!,
      name: restore.metadata.name,
      body: [
        { op: 'test', path: '/metadata/finalizers', value: finalizers },
        {
          op: 'replace',
          path: '/metadata/finalizers',
          value: finalizers.filter(f => f !== RESTORE_FINALIZER),
        },
      ],
    });
  }

  /** `getVMSnapshot`: the snapshot must exist, not have failed, and be ready. */
  private async readySnapshot(
    restore: VirtualMachineRestore,
  ): Promise<VirtualMachineSnapshot> {
    const key = `${restore.metadata.namespace}/${restore.spec.virtualMachineSnapshotName}`;
    const snapshot = await readCustomObject<VirtualMachineSnapshot>(
      this.ctx.custom,
      VIRTUAL_MACHINE_SNAPSHOTS,
      restore.metadata.namespace!,
      restore.spec.virtualMachineSnapshotName,
    );
    if (!snapshot) throw new RestoreError(`VMSnapshot ${key} does not exist`);
    if (snapshot.status?.phase === 'Failed')
      throw new RestoreError(`VMSnapshot ${key} failed and is invalid to use`);
    if (snapshot.status?.readyToUse !== true)
      throw new RestoreError(`VMSnapshot ${key} not ready`);
    if (!snapshot.status.virtualMachineSnapshotContentName)
      throw new RestoreError(`no snapshot content name in ${key}`);
    return snapshot;
  }

  private async readyContent(
    snapshot: VirtualMachineSnapshot,
  ): Promise<VirtualMachineSnapshotContent> {
    const name = snapshot.status!.virtualMachineSnapshotContentName!;
    const key = `${snapshot.metadata.namespace}/${name}`;
    const content = await readCustomObject<VirtualMachineSnapshotContent>(
      this.ctx.custom,
      VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
      snapshot.metadata.namespace!,
      name,
    );
    if (!content)
      throw new RestoreError(`VMSnapshotContent ${key} does not exist`);
    if (content.status?.readyToUse !== true)
      throw new RestoreError(`VMSnapshotContent ${key} not ready`);
    if (!content.spec.source.virtualMachine)
      throw new RestoreError('unexpected snapshot source');
    return content;
  }

  /** `UpdateRestoreInProgress`: the VM's `status.restoreInProgress` names this restore. */
  private async markInProgress(
    restore: VirtualMachineRestore,
    vm: VirtualMachine,
  ): Promise<VirtualMachine> {
    if (restored(restore, vm)) return vm;
    const current = vm.status?.restoreInProgress;
    if (typeof current === 'string' && current !== restore.metadata.name)
      throw new RestoreError(`vm restore ${current} in progress`);
    if (current === restore.metadata.name) return vm;
    return (await this.ctx.custom.replaceNamespacedCustomObjectStatus({
      ...VIRTUAL_MACHINES,
      namespace: vm.metadata.namespace!,
      name: vm.metadata.name,
      body: {
        ...vm,
        status: { ...vm.status, restoreInProgress: restore.metadata.name },
      },
    })) as VirtualMachine;
  }

  /** `UpdateDoneRestore`: clears the VM's `status.restoreInProgress`. */
  private async markDone(restore: VirtualMachineRestore, vm: VirtualMachine) {
    if (vm.status?.restoreInProgress !== restore.metadata.name) return;
    const status = { ...vm.status };
    delete status.restoreInProgress;
    delete status.memoryDumpRequest;
    await this.ctx.custom.replaceNamespacedCustomObjectStatus({
      ...VIRTUAL_MACHINES,
      namespace: vm.metadata.namespace!,
      name: vm.metadata.name,
      body: { ...vm, status },
    });
  }

  /**
   * `Reconcile` with `generateRestoredVMSpec` and `reconcileSpec`: the target gets
   * the snapshot's spec (an existing VM keeps its run strategy; a new one is
   * Halted), the last-restore annotation, and its legacy firmware UUID; the
   * DataVolumes the snapshot's spec no longer names are recorded for deletion.
   */
  private async reconcileTarget(
    restore: VirtualMachineRestore,
    vm: VirtualMachine | undefined,
    content: VirtualMachineSnapshotContent,
    next: Status,
  ): Promise<void> {
    const namespace = restore.metadata.namespace!;
    const snapshotVm = content.spec.source.virtualMachine!;
    // A snapshot is only ever taken of a VM with a template: the simulator's VM type.
    const spec = structuredClone(snapshotVm.spec) as VirtualMachine['spec'];
    let target: VirtualMachine;
    if (!vm) {
      target = {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: {
          name: restore.spec.target.name,
          namespace,
          labels: snapshotVm.metadata.labels,
          annotations: { ...snapshotVm.metadata.annotations },
        },
        spec,
      };
      if (spec.running !== undefined && spec.running !== null)
        spec.running = false;
      else spec.runStrategy = 'Halted';
    } else {
      target = { ...structuredClone(vm), spec };
      if (vm.spec.running !== undefined && vm.spec.running !== null) {
        spec.running = false;
        delete spec.runStrategy;
      } else {
        spec.runStrategy = vm.spec.runStrategy ?? 'Halted';
        delete spec.running;
      }
    }
    target.metadata.annotations = {
      ...target.metadata.annotations,
      [LAST_RESTORE_ANNOTATION]: lastRestoreValue(restore),
    };
    if (snapshotVm.metadata.name === target.metadata.name) {
      const domain = spec.template.spec.domain;
      domain.firmware = {
        ...domain.firmware,
        uuid: domain.firmware?.uuid || legacyFirmwareUuid(target.metadata.name),
      };
    }

    // `reconcileDataVolumes`: the DataVolumes of the restored templates must be ready.
    for (const template of spec.dataVolumeTemplates ?? []) {
      const dvName = template.metadata?.name;
      if (!dvName) continue;
      const dv = this.ctx.caches.dataVolume(namespace, dvName);
      if (!dv)
        throw new RestoreError(
          `when creating restore dv pvc ${namespace}/${dvName} does not exist and should`,
        );
    }
    if (vm) {
      const kept = new Set(
        (spec.dataVolumeTemplates ?? []).map(t => t.metadata?.name),
      );
      const deleted = (vm.spec.dataVolumeTemplates ?? [])
        .map(t => t.metadata?.name)
        .filter((n): n is string => Boolean(n) && !kept.has(n));
      if (
        canonicalJson(deleted) !== canonicalJson(next.deletedDataVolumes ?? [])
      ) {
        if (deleted.length) next.deletedDataVolumes = deleted;
        else delete next.deletedDataVolumes;
      }
    }

    if (!vm) {
      const patched = this.applyPatches(target, restore.spec.patches ?? []);
      await this.ctx.custom.createNamespacedCustomObject({
        ...VIRTUAL_MACHINES,
        namespace,
        body: patched,
      });
    } else {
      await this.ctx.custom.replaceNamespacedCustomObject({
        ...VIRTUAL_MACHINES,
        namespace,
        name: vm.metadata.name,
        body: target,
      });
    }
  }

  /** `patchVM`: the restore's JSON patches, applied to a VM it creates (add and replace only). */
  private applyPatches(vm: VirtualMachine, patches: string[]): VirtualMachine {
    const result = structuredClone(vm) as unknown as Record<string, unknown>;
    for (const text of patches) {
      let patch: { op: string; path: string; value?: unknown };
      try {
        patch = JSON.parse(text);
      } catch (error) {
        throw new RestoreError(
          `error patching VM ${
            vm.metadata.name
          }: cannot decode vm patches ${text}: ${describeError(error)}`,
        );
      }
      const keys = patch.path
        .split('/')
        .slice(1)
        .map(k => k.replace(/~1/g, '/').replace(/~0/g, '~'));
      let parent: Record<string, unknown> = result;
      for (const key of keys.slice(0, -1)) {
        const child = parent[key];
        if (!child || typeof child !== 'object')
          throw new RestoreError(
            `error patching VM ${vm.metadata.name}: failed to apply patch for VM ${text}`,
          );
        parent = child as Record<string, unknown>;
      }
      const last = keys[keys.length - 1];
      if (patch.op === 'remove') delete parent[last];
      else parent[last] = patch.value;
    }
    return result as unknown as VirtualMachine;
  }

  private async writeStatus(restore: VirtualMachineRestore, status: Status) {
    if (canonicalJson(status) === canonicalJson(restore.status ?? {})) return;
    await this.ctx.custom.replaceNamespacedCustomObjectStatus({
      ...VIRTUAL_MACHINE_RESTORES,
      namespace: restore.metadata.namespace!,
      name: restore.metadata.name,
      body: { ...restore, status },
    });
  }

  private event(
    restore: VirtualMachineRestore,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) {
    return this.ctx.events.record(
      {
        apiVersion: SNAPSHOT_API_VERSION,
        kind: 'VirtualMachineRestore',
        metadata: restore.metadata,
      },
      type,
      reason,
      message,
      RESTORE_CONTROLLER,
    );
  }
}
