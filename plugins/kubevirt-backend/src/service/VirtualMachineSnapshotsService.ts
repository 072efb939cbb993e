import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  kubevirtVmSnapshotPermission,
  Quantity,
  ViewRestore,
  ViewSnapshot,
  VirtualMachine,
  VirtualMachineRestore,
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
  VirtualMachineSnapshots,
} from '@vmportal/plugin-kubevirt-common';
import type { KubevirtCluster } from '@vmportal/plugin-kubevirt-node';
import type { Request } from 'express';
import {
  clusterError,
  VirtualMachineService,
  VirtualMachineTarget,
} from './VirtualMachineService';

/**
 * Why KubeVirt would not restore onto this VM now, or undefined. KubeVirt v1.9 waits
 * (`targetReadinessPolicy: WaitGracePeriod`, its default) for a running target to be
 * stopped and fails the restore after five minutes: the page asks for the stop first.
 */
function restoreBlocked(vm: VirtualMachine): string | undefined {
  const status = vm.status?.printableStatus ?? 'Unknown';
  if (status === 'Stopped') return undefined;
  return `The VM is ${status}: KubeVirt restores a snapshot only onto a stopped VM. Stop it first, then restore.`;
}

function viewSnapshot(
  snapshot: VirtualMachineSnapshot,
  content: VirtualMachineSnapshotContent | undefined,
): ViewSnapshot {
  const status = snapshot.status;
  let size = Quantity.ZERO;
  for (const backup of content?.spec.volumeBackups ?? []) {
    const storage =
      backup.persistentVolumeClaim.spec.resources?.requests?.storage;
    if (storage) size = size.add(Quantity.parse(String(storage)));
  }
  const waiting = status?.conditions?.find(
    c => c.type === 'Progressing' && c.status === 'True',
  );
  const error =
    status?.error?.message ??
    (status?.phase === 'InProgress' ? waiting?.reason : undefined);
  return {
    name: snapshot.metadata.name ?? '',
    phase: status?.phase ?? 'Unknown',
    readyToUse: status?.readyToUse === true,
    ...(status?.creationTime && { createdAt: status.creationTime }),
    indications: status?.indications ?? [],
    includedDisks: status?.snapshotVolumes?.includedVolumes ?? [],
    excludedDisks: status?.snapshotVolumes?.excludedVolumes ?? [],
    ...(!size.isZero() && { size: size.toString() }),
    ...(error && { error }),
  };
}

function viewRestore(restore: VirtualMachineRestore): ViewRestore {
  const conditions = restore.status?.conditions ?? [];
  const failure = conditions.find(
    c => c.type === 'Failure' && c.status === 'True',
  );
  const complete = restore.status?.complete === true;
  const notReady = conditions.find(
    c => c.type === 'Ready' && c.status !== 'True',
  );
  const reason = failure?.reason ?? (complete ? undefined : notReady?.reason);
  return {
    name: restore.metadata.name ?? '',
    snapshot: restore.spec.virtualMachineSnapshotName,
    complete,
    failed: Boolean(failure),
    ...(restore.status?.restoreTime && {
      restoredAt: restore.status.restoreTime,
    }),
    ...(reason && { reason }),
  };
}

const newestFirst = (
  a: { metadata: { creationTimestamp?: string } },
  b: { metadata: { creationTimestamp?: string } },
) =>
  (b.metadata.creationTimestamp ?? '').localeCompare(
    a.metadata.creationTimestamp ?? '',
  );

/**
 * A VM's snapshots from its page: list them (`kubevirt.vm.read`), take, restore and
 * delete them (`kubevirt.vm.snapshot`, owners in the demo policy), each change
 * audited (`vm-snapshot`, `vm-snapshot-restore`, `vm-snapshot-delete`). A restore is
 * refused, with the reason, unless the VM is stopped and the snapshot is ready.
 *
 * @internal
 */
export class VirtualMachineSnapshotsService {
  constructor(private readonly vms: VirtualMachineService) {}

  async list(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<VirtualMachineSnapshots> {
    const { cluster, target, vm } = await this.vms.authorizeRead(
      ref,
      credentials,
    );
    const [snapshots, restores] = await Promise.all([
      readSnapshots(cluster, target),
      cluster.page.listRestores(target.namespace, target.name),
    ]).catch(error => {
      throw clusterError(cluster.name, error);
    });
    const blocked = restoreBlocked(vm);
    return {
      snapshots,
      restores: restores.sort(newestFirst).map(viewRestore),
      ...(blocked && { restoreBlockedReason: blocked }),
    };
  }

  take(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
    httpRequest?: Request,
  ): Promise<{ snapshot: string }> {
    return this.vms.act(
      ref,
      credentials,
      {
        eventId: 'vm-snapshot',
        permission: kubevirtVmSnapshotPermission,
        what: 'snapshot',
        refused: t => `Only ${t.owners} can take snapshots of ${t.entityRef}`,
        httpRequest,
      },
      async ({ cluster, target }) => {
        const created = await cluster
          .actor()
          .createSnapshot(target.namespace, target.name)
          .catch(error => {
            throw clusterError(cluster.name, error);
          });
        const snapshot = created.metadata.name ?? '';
        return { result: { snapshot }, meta: { snapshot } };
      },
    );
  }

  restore(
    ref: CompoundEntityRef,
    snapshot: string,
    credentials: BackstageCredentials,
    httpRequest?: Request,
  ): Promise<{ restore: string }> {
    return this.vms.act(
      ref,
      credentials,
      {
        eventId: 'vm-snapshot-restore',
        permission: kubevirtVmSnapshotPermission,
        what: 'restore',
        refused: t => `Only ${t.owners} can restore ${t.entityRef}`,
        meta: { snapshot },
        httpRequest,
      },
      async ({ cluster, target, vm }) => {
        const blocked = restoreBlocked(vm);
        if (blocked) {
          throw new ConflictError(
            `${target.entityRef} was not restored from ${snapshot}: ${blocked}`,
          );
        }
        const found = (await readSnapshots(cluster, target)).find(
          s => s.name === snapshot,
        );
        if (!found) {
          throw new NotFoundError(
            `${target.entityRef} has no snapshot ${snapshot}`,
          );
        }
        if (!found.readyToUse) {
          throw new ConflictError(
            `Snapshot ${snapshot} is ${found.phase}, not ready to use: restore it once it has succeeded`,
          );
        }
        const created = await cluster
          .actor()
          .createRestore(target.namespace, target.name, snapshot)
          .catch(error => {
            throw clusterError(cluster.name, error);
          });
        const restore = created.metadata.name ?? '';
        return { result: { restore }, meta: { restore } };
      },
    );
  }

  delete(
    ref: CompoundEntityRef,
    snapshot: string,
    credentials: BackstageCredentials,
    httpRequest?: Request,
  ): Promise<void> {
    return this.vms.act(
      ref,
      credentials,
      {
        eventId: 'vm-snapshot-delete',
        permission: kubevirtVmSnapshotPermission,
        what: 'snapshot deletion',
        refused: t => `Only ${t.owners} can delete snapshots of ${t.entityRef}`,
        meta: { snapshot },
        httpRequest,
      },
      async ({ cluster, target }) => {
        // Only this VM's snapshots: a name from the URL must not reach another VM's.
        const own = await cluster.page
          .listSnapshots(target.namespace, target.name)
          .catch(error => {
            throw clusterError(cluster.name, error);
          });
        if (!own.some(s => s.metadata.name === snapshot)) {
          throw new NotFoundError(
            `${target.entityRef} has no snapshot ${snapshot}`,
          );
        }
        await cluster
          .actor()
          .deleteSnapshot(target.namespace, snapshot)
          .catch(error => {
            throw clusterError(cluster.name, error);
          });
        return { result: undefined };
      },
    );
  }
}

async function readSnapshots(
  cluster: KubevirtCluster,
  target: VirtualMachineTarget,
): Promise<ViewSnapshot[]> {
  const snapshots = await cluster.page.listSnapshots(
    target.namespace,
    target.name,
  );
  return Promise.all(
    snapshots.sort(newestFirst).map(async snapshot => {
      const contentName = snapshot.status?.virtualMachineSnapshotContentName;
      const content = contentName
        ? await cluster.page.getSnapshotContent(target.namespace, contentName)
        : undefined;
      return viewSnapshot(snapshot, content);
    }),
  );
}
