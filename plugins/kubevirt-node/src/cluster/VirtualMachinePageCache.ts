import { NotFoundError } from '@backstage/errors';
import type {
  DataVolumeObject,
  KubeEventObject,
  PersistentVolumeClaimObject,
  PodObject,
  VirtualMachine,
  VirtualMachineInstanceObject,
  VirtualMachineInstancetype,
} from '@vmportal/plugin-kubevirt-common';
import {
  collectionPath,
  KubeApiTransport,
} from '../transport/KubeApiTransport';
import { VirtualMachinePageReader } from './VirtualMachinePageReader';
import { NamedKubeObject, WatchedCollection } from './WatchedCollection';

/**
 * What the VM page reads of one VM, answered from watches where they are synced and
 * read from the apiserver otherwise.
 *
 * @public
 */
export interface VirtualMachinePageReads {
  /** The cluster's name, as configured. */
  readonly cluster: string;
  /** The VirtualMachine; `NotFoundError` when there is none. */
  getVirtualMachine(namespace: string, name: string): Promise<VirtualMachine>;
  /** The VM's VMI, or undefined when it is not running. */
  getVirtualMachineInstance(
    namespace: string,
    name: string,
  ): Promise<VirtualMachineInstanceObject | undefined>;
  /** The pods KubeVirt made for the VM `vmName` (label `vm.kubevirt.io/name`). */
  listVirtualMachinePods(
    namespace: string,
    vmName: string,
  ): Promise<PodObject[]>;
  /** The events about the object `name` (of `kind`, when given). */
  listEventsAbout(
    namespace: string,
    object: { name: string; kind?: string },
  ): Promise<KubeEventObject[]>;
  /** An instancetype: cluster-wide, or namespaced in `namespace`; undefined when absent. */
  getInstancetype(
    ref: { kind?: string; name: string },
    namespace: string,
  ): Promise<VirtualMachineInstancetype | undefined>;
  /** The CDI DataVolume `namespace/name`, or undefined. */
  getDataVolume(
    namespace: string,
    name: string,
  ): Promise<DataVolumeObject | undefined>;
  /** The PersistentVolumeClaim `namespace/name`, or undefined. */
  getPersistentVolumeClaim(
    namespace: string,
    name: string,
  ): Promise<PersistentVolumeClaimObject | undefined>;
}

/**
 * Options of a {@link VirtualMachinePageCache}.
 *
 * @public
 */
export interface VirtualMachinePageCacheOptions {
  /** A namespace no page has read for this long stops being watched. Default: 10 minutes. */
  idleMs?: number;
  /** At most this many namespaces watched per cluster; the least recently read goes first. Default: 50. */
  maxNamespaces?: number;
  /** A collection with more objects than this is not cached (its reads go to the apiserver). Default: 5,000. */
  maxItemsPerCollection?: number;
}

/** Labels KubeVirt puts on a VM's launcher pods (and hot-plug pods). */
const VM_NAME_LABEL = 'vm.kubevirt.io/name';
/** The kinds whose events the page shows. */
const EVENT_KINDS = new Set([
  'VirtualMachine',
  'VirtualMachineInstance',
  'Pod',
]);

/** The watches of one namespace: what the page reads of its VMs. */
interface NamespaceWatches {
  vms: WatchedCollection<VirtualMachine>;
  vmis: WatchedCollection<VirtualMachineInstanceObject>;
  pods: WatchedCollection<PodObject>;
  events: WatchedCollection<KubeEventObject>;
  dataVolumes: WatchedCollection<DataVolumeObject>;
  claims: WatchedCollection<PersistentVolumeClaimObject>;
  lastRead: number;
}

/**
 * The VM page's reads of one cluster, shared by every page view: the first view of a
 * VM in a namespace reads the apiserver and starts watches of what the page shows in
 * that namespace (VMs, VMIs, launcher pods, events, DataVolumes, claims; the
 * cluster's instancetypes once); later views are answered from those watches, as
 * fresh as the watch (milliseconds), at no apiserver read. A namespace no page has
 * read for `idleMs` stops being watched, so memory follows what people look at, not
 * the size of the cluster. Where a watch is not synced (starting, refused by RBAC,
 * too large, broken), the read goes to the apiserver as before.
 *
 * Writes (power actions, the request tracker) read through
 * {@link VirtualMachinePageReader}, never from here: they need the apiserver's
 * latest version.
 *
 * @public
 */
export class VirtualMachinePageCache implements VirtualMachinePageReads {
  readonly cluster: string;
  private readonly reader: VirtualMachinePageReader;
  private readonly namespaces = new Map<string, NamespaceWatches>();
  private clusterInstancetypes:
    | WatchedCollection<VirtualMachineInstancetype>
    | undefined;
  private readonly idleMs: number;
  private readonly maxNamespaces: number;
  private readonly maxItems: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly transport: KubeApiTransport,
    options: VirtualMachinePageCacheOptions = {},
  ) {
    this.cluster = transport.cluster;
    this.reader = new VirtualMachinePageReader(transport);
    this.idleMs = options.idleMs ?? 10 * 60_000;
    this.maxNamespaces = options.maxNamespaces ?? 50;
    this.maxItems = options.maxItemsPerCollection ?? 5000;
    this.sweeper = setInterval(
      () => this.sweep(),
      Math.min(this.idleMs, 60_000),
    );
    this.sweeper.unref();
  }

  /** The namespaces watched now, for tests and diagnostics. */
  watchedNamespaces(): string[] {
    return [...this.namespaces.keys()];
  }

  /** Resolves once every watch of `namespace` has synced or failed (tests, warm-up). */
  async settled(namespace: string): Promise<void> {
    const watches = this.namespaces.get(namespace);
    if (!watches) return;
    await Promise.all(collections(watches).map(c => c.settled));
  }

  /** Stops every watch (backend shutdown). */
  stop(): void {
    clearInterval(this.sweeper);
    for (const namespace of [...this.namespaces.keys()]) this.drop(namespace);
    this.clusterInstancetypes?.stop();
    this.clusterInstancetypes = undefined;
  }

  async getVirtualMachine(
    namespace: string,
    name: string,
  ): Promise<VirtualMachine> {
    const vms = this.synced(namespace, 'vms');
    if (!vms) return this.reader.getVirtualMachine(namespace, name);
    const vm = vms.get(name);
    if (!vm) {
      throw new NotFoundError(
        `get virtualmachine ${namespace}/${name} on cluster '${this.cluster}': not found`,
      );
    }
    return vm;
  }

  async getVirtualMachineInstance(
    namespace: string,
    name: string,
  ): Promise<VirtualMachineInstanceObject | undefined> {
    const vmis = this.synced(namespace, 'vmis');
    if (!vmis) return this.reader.getVirtualMachineInstance(namespace, name);
    return vmis.get(name);
  }

  async listVirtualMachinePods(
    namespace: string,
    vmName: string,
  ): Promise<PodObject[]> {
    const pods = this.synced(namespace, 'pods');
    if (!pods) {
      return this.reader.listPods(namespace, `${VM_NAME_LABEL}=${vmName}`);
    }
    return [...pods.values()].filter(
      pod => pod.metadata.labels?.[VM_NAME_LABEL] === vmName,
    );
  }

  async listEventsAbout(
    namespace: string,
    object: { name: string; kind?: string },
  ): Promise<KubeEventObject[]> {
    const events = this.synced(namespace, 'events');
    if (!events || (object.kind && !EVENT_KINDS.has(object.kind))) {
      return this.reader.listEvents(
        namespace,
        [
          `involvedObject.name=${object.name}`,
          ...(object.kind ? [`involvedObject.kind=${object.kind}`] : []),
        ].join(','),
      );
    }
    return [...events.values()].filter(
      event =>
        event.involvedObject?.name === object.name &&
        (!object.kind || event.involvedObject.kind === object.kind),
    );
  }

  async getInstancetype(
    ref: { kind?: string; name: string },
    namespace: string,
  ): Promise<VirtualMachineInstancetype | undefined> {
    if (ref.kind === 'VirtualMachineInstancetype') {
      return this.reader.getInstancetype(ref, namespace);
    }
    this.clusterInstancetypes ??= new WatchedCollection({
      transport: this.transport,
      what: 'virtualmachineclusterinstancetypes',
      path: collectionPath(
        'instancetype.kubevirt.io/v1beta1',
        'virtualmachineclusterinstancetypes',
      ),
      maxItems: this.maxItems,
      retryAfterMs: this.idleMs,
    });
    if (this.clusterInstancetypes.state !== 'synced') {
      return this.reader.getInstancetype(ref, namespace);
    }
    return this.clusterInstancetypes.get(ref.name);
  }

  async getDataVolume(
    namespace: string,
    name: string,
  ): Promise<DataVolumeObject | undefined> {
    const dataVolumes = this.synced(namespace, 'dataVolumes');
    if (!dataVolumes) return this.reader.getDataVolume(namespace, name);
    return dataVolumes.get(name);
  }

  async getPersistentVolumeClaim(
    namespace: string,
    name: string,
  ): Promise<PersistentVolumeClaimObject | undefined> {
    const claims = this.synced(namespace, 'claims');
    if (!claims) return this.reader.getPersistentVolumeClaim(namespace, name);
    return claims.get(name);
  }

  /**
   * The namespace's collection `kind` when it is synced; otherwise undefined, after
   * starting the namespace's watches if they are not running. Every read counts as
   * use of the namespace.
   */
  private synced<K extends keyof Omit<NamespaceWatches, 'lastRead'>>(
    namespace: string,
    kind: K,
  ): NamespaceWatches[K] | undefined {
    let watches = this.namespaces.get(namespace);
    if (watches) {
      // Most recently read last: the first key is the one to drop.
      this.namespaces.delete(namespace);
      this.namespaces.set(namespace, watches);
    } else {
      watches = this.watch(namespace);
    }
    watches.lastRead = Date.now();
    const collection = watches[kind];
    return collection.state === 'synced' ? collection : undefined;
  }

  private watch(namespace: string): NamespaceWatches {
    const collection = <T extends NamedKubeObject>(
      apiVersion: string,
      plural: string,
      filter: { labelSelector?: string; accept?: (item: T) => boolean } = {},
    ) =>
      new WatchedCollection<T>({
        transport: this.transport,
        what: `${plural} in namespace '${namespace}'`,
        path: collectionPath(apiVersion, plural, namespace),
        ...filter,
        maxItems: this.maxItems,
        retryAfterMs: this.idleMs,
      });
    const watches: NamespaceWatches = {
      vms: collection('kubevirt.io/v1', 'virtualmachines'),
      vmis: collection('kubevirt.io/v1', 'virtualmachineinstances'),
      pods: collection('v1', 'pods', { labelSelector: VM_NAME_LABEL }),
      // Other events of the namespace (deployments, jobs) are not kept.
      events: collection<KubeEventObject>('v1', 'events', {
        accept: event => EVENT_KINDS.has(event.involvedObject?.kind ?? ''),
      }),
      dataVolumes: collection('cdi.kubevirt.io/v1beta1', 'datavolumes'),
      claims: collection('v1', 'persistentvolumeclaims'),
      lastRead: Date.now(),
    };
    this.namespaces.set(namespace, watches);
    while (this.namespaces.size > this.maxNamespaces) {
      this.drop(this.namespaces.keys().next().value!);
    }
    return watches;
  }

  private drop(namespace: string) {
    const watches = this.namespaces.get(namespace);
    if (!watches) return;
    this.namespaces.delete(namespace);
    for (const c of collections(watches)) c.stop();
  }

  private sweep() {
    const idleSince = Date.now() - this.idleMs;
    for (const [namespace, watches] of [...this.namespaces]) {
      if (watches.lastRead < idleSince) this.drop(namespace);
    }
  }
}

function collections(watches: NamespaceWatches) {
  return [
    watches.vms,
    watches.vmis,
    watches.pods,
    watches.events,
    watches.dataVolumes,
    watches.claims,
  ];
}
