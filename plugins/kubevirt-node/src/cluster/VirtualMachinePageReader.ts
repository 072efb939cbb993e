import type {
  DataVolumeObject,
  KubeEventObject,
  NodeObject,
  PersistentVolumeClaimObject,
  PodObject,
  VirtualMachine,
  VirtualMachineInstanceMigrationObject,
  VirtualMachineInstanceObject,
  VirtualMachineInstancetype,
  VirtualMachineRestore,
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
} from '@vmportal/plugin-kubevirt-common';
import {
  collectionPath,
  KubeApiTransport,
  objectPath,
} from '../transport/KubeApiTransport';

/** KubeVirt's snapshot API. */
const SNAPSHOT_API = 'snapshot.kubevirt.io/v1beta1';

/**
 * What the VM page reads of a cluster: one VirtualMachine and what belongs to it (its
 * VMI, launcher pod, instancetype, DataVolumes, claims and events). Uses the reader
 * credential.
 *
 * @public
 */
export class VirtualMachinePageReader {
  /** The cluster's name, as configured. */
  readonly cluster: string;

  constructor(private readonly transport: KubeApiTransport) {
    this.cluster = transport.cluster;
  }

  /** The VirtualMachine `namespace/name`; `NotFoundError` when there is none. */
  getVirtualMachine(namespace: string, name: string): Promise<VirtualMachine> {
    return this.transport.request(
      `get virtualmachine ${namespace}/${name}`,
      'GET',
      objectPath('kubevirt.io/v1', 'virtualmachines', namespace, name),
    );
  }

  /** The VirtualMachineInstance `namespace/name`, or undefined when the VM is not running. */
  getVirtualMachineInstance(
    namespace: string,
    name: string,
  ): Promise<VirtualMachineInstanceObject | undefined> {
    return this.transport.getOptional(
      `get virtualmachineinstance ${namespace}/${name}`,
      objectPath('kubevirt.io/v1', 'virtualmachineinstances', namespace, name),
    );
  }

  /** An instancetype: cluster-wide, or namespaced in `namespace`; undefined when absent. */
  getInstancetype(
    ref: { kind?: string; name: string },
    namespace: string,
  ): Promise<VirtualMachineInstancetype | undefined> {
    const namespaced = ref.kind === 'VirtualMachineInstancetype';
    return this.transport.getOptional(
      `get ${ref.kind ?? 'VirtualMachineClusterInstancetype'} ${ref.name}`,
      objectPath(
        'instancetype.kubevirt.io/v1beta1',
        namespaced
          ? 'virtualmachineinstancetypes'
          : 'virtualmachineclusterinstancetypes',
        namespaced ? namespace : undefined,
        ref.name,
      ),
    );
  }

  /** Every Pod in `namespace` that matches `labelSelector`. */
  listPods(namespace: string, labelSelector: string): Promise<PodObject[]> {
    return this.transport.listAll(
      `list pods in namespace '${namespace}'`,
      collectionPath('v1', 'pods', namespace),
      { labelSelector },
    );
  }

  /** The PersistentVolumeClaim `namespace/name`, or undefined. */
  getPersistentVolumeClaim(
    namespace: string,
    name: string,
  ): Promise<PersistentVolumeClaimObject | undefined> {
    return this.transport.getOptional(
      `get persistentvolumeclaim ${namespace}/${name}`,
      objectPath('v1', 'persistentvolumeclaims', namespace, name),
    );
  }

  /** The CDI DataVolume `namespace/name`, or undefined. */
  getDataVolume(
    namespace: string,
    name: string,
  ): Promise<DataVolumeObject | undefined> {
    return this.transport.getOptional(
      `get datavolume ${namespace}/${name}`,
      objectPath('cdi.kubevirt.io/v1beta1', 'datavolumes', namespace, name),
    );
  }

  /** Every core/v1 Event in `namespace` that matches `fieldSelector`. */
  listEvents(
    namespace: string,
    fieldSelector: string,
  ): Promise<KubeEventObject[]> {
    return this.transport.listAll(
      `list events in namespace '${namespace}'`,
      collectionPath('v1', 'events', namespace),
      { fieldSelector },
    );
  }

  /** Every Node of the cluster (a migration's possible targets). */
  listNodes(): Promise<NodeObject[]> {
    return this.transport.listAll('list nodes', collectionPath('v1', 'nodes'));
  }

  /** The pods scheduled on `node` that have not ended: what they request is taken. */
  listPodsOnNode(node: string): Promise<PodObject[]> {
    return this.transport.listAll(
      `list pods on node '${node}'`,
      collectionPath('v1', 'pods'),
      {
        fieldSelector: `spec.nodeName=${node},status.phase!=Succeeded,status.phase!=Failed`,
      },
    );
  }

  /** The VirtualMachineInstanceMigrations of the VMI `vmiName`. */
  async listMigrations(
    namespace: string,
    vmiName: string,
  ): Promise<VirtualMachineInstanceMigrationObject[]> {
    const all =
      await this.transport.listAll<VirtualMachineInstanceMigrationObject>(
        `list virtualmachineinstancemigrations in namespace '${namespace}'`,
        collectionPath(
          'kubevirt.io/v1',
          'virtualmachineinstancemigrations',
          namespace,
        ),
      );
    return all.filter(m => m.spec?.vmiName === vmiName);
  }

  /** The VirtualMachineSnapshots of the VM `vmName`. */
  async listSnapshots(
    namespace: string,
    vmName: string,
  ): Promise<VirtualMachineSnapshot[]> {
    const all = await this.transport.listAll<VirtualMachineSnapshot>(
      `list virtualmachinesnapshots in namespace '${namespace}'`,
      collectionPath(SNAPSHOT_API, 'virtualmachinesnapshots', namespace),
    );
    return all.filter(
      s =>
        s.spec?.source?.kind === 'VirtualMachine' &&
        s.spec.source.name === vmName,
    );
  }

  /** The VirtualMachineSnapshotContent `namespace/name`, or undefined. */
  getSnapshotContent(
    namespace: string,
    name: string,
  ): Promise<VirtualMachineSnapshotContent | undefined> {
    return this.transport.getOptional(
      `get virtualmachinesnapshotcontent ${namespace}/${name}`,
      objectPath(
        SNAPSHOT_API,
        'virtualmachinesnapshotcontents',
        namespace,
        name,
      ),
    );
  }

  /** The VirtualMachineRestores whose target is the VM `vmName`. */
  async listRestores(
    namespace: string,
    vmName: string,
  ): Promise<VirtualMachineRestore[]> {
    const all = await this.transport.listAll<VirtualMachineRestore>(
      `list virtualmachinerestores in namespace '${namespace}'`,
      collectionPath(SNAPSHOT_API, 'virtualmachinerestores', namespace),
    );
    return all.filter(
      r =>
        r.spec?.target?.kind === 'VirtualMachine' &&
        r.spec.target.name === vmName,
    );
  }
}
