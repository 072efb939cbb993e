import type {
  KubeObjectMeta,
  VirtualMachine,
  VirtualMachineInstanceObject,
  VirtualMachineInstancetype,
} from '@vmportal/plugin-kubevirt-common';
import {
  collectionPath,
  KubeApiTransport,
  KubeList,
  KubeListOptions,
  KubeWatchEnd,
  KubeWatchOptions,
  objectPath,
} from '../transport/KubeApiTransport';

/**
 * A Kubernetes Namespace, reduced to its metadata.
 *
 * @public
 */
export interface KubeNamespace {
  metadata: KubeObjectMeta;
}

function scope(namespace?: string): string {
  return namespace ? ` in namespace '${namespace}'` : '';
}

/**
 * What the catalog reads of a cluster: VirtualMachines and Namespaces, as paginated
 * lists and watches, and the cluster's instancetypes. Uses the reader credential.
 *
 * @public
 */
export class VirtualMachineInventoryReader {
  /** The cluster's name, as configured. */
  readonly cluster: string;

  constructor(private readonly transport: KubeApiTransport) {
    this.cluster = transport.cluster;
  }

  /** One page of VirtualMachines, in `namespace` or in all namespaces. */
  listVirtualMachines(
    options: KubeListOptions & { namespace?: string },
  ): Promise<KubeList<VirtualMachine>> {
    return this.transport.listPage(
      `list virtualmachines${scope(options.namespace)}`,
      collectionPath('kubevirt.io/v1', 'virtualmachines', options.namespace),
      options,
    );
  }

  /**
   * Watches VirtualMachines (in `namespace` or all namespaces) from a resourceVersion.
   * Resolves when the watch ends normally; rejects with
   * `ResourceVersionExpiredError` when the version is too old (list again).
   */
  watchVirtualMachines(
    options: KubeWatchOptions<VirtualMachine> & { namespace?: string },
  ): Promise<KubeWatchEnd> {
    return this.transport.watch(
      `watch virtualmachines${scope(options.namespace)}`,
      collectionPath('kubevirt.io/v1', 'virtualmachines', options.namespace),
      options,
    );
  }

  /**
   * One page of VirtualMachineInstances, in `namespace` or in all namespaces: where
   * the running guests are and their addresses (the inventory's search by IP).
   */
  listVirtualMachineInstances(
    options: KubeListOptions & { namespace?: string },
  ): Promise<KubeList<VirtualMachineInstanceObject>> {
    return this.transport.listPage(
      `list virtualmachineinstances${scope(options.namespace)}`,
      collectionPath(
        'kubevirt.io/v1',
        'virtualmachineinstances',
        options.namespace,
      ),
      options,
    );
  }

  /** The Namespace `name`; `NotFoundError` when there is none. */
  getNamespace(name: string): Promise<KubeNamespace> {
    return this.transport.request(
      `get namespace ${name}`,
      'GET',
      objectPath('v1', 'namespaces', undefined, name),
    );
  }

  /** One page of Namespaces. */
  listNamespaces(
    options: KubeListOptions = {},
  ): Promise<KubeList<KubeNamespace>> {
    return this.transport.listPage(
      'list namespaces',
      collectionPath('v1', 'namespaces'),
      options,
    );
  }

  /** Watches Namespaces from a resourceVersion (see {@link VirtualMachineInventoryReader.watchVirtualMachines}). */
  watchNamespaces(
    options: KubeWatchOptions<KubeNamespace>,
  ): Promise<KubeWatchEnd> {
    return this.transport.watch(
      'watch namespaces',
      collectionPath('v1', 'namespaces'),
      options,
    );
  }

  /** One page of VirtualMachineClusterInstancetypes. */
  listClusterInstancetypes(
    options: KubeListOptions = {},
  ): Promise<KubeList<VirtualMachineInstancetype>> {
    return this.transport.listPage(
      'list virtualmachineclusterinstancetypes',
      collectionPath(
        'instancetype.kubevirt.io/v1beta1',
        'virtualmachineclusterinstancetypes',
      ),
      options,
    );
  }
}
