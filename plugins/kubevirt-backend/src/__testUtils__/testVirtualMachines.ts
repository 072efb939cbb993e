import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
} from '@backstage/catalog-model';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  adminKubeConfig,
  applyObjects,
  ClusterInfo,
  kubeRequest,
  waitUntil,
} from '@vmportal/kube-testenv';
import {
  KUBEVIRT_ANNOTATIONS,
  VirtualMachine,
  virtualMachineEntityLocation,
} from '@vmportal/plugin-kubevirt-common';

/** Shape of a test VM. */
export interface TestVmOptions {
  runStrategy?: string;
  /** Deprecated `spec.running` instead of a run strategy. */
  running?: boolean;
  instancetype?: string;
  preference?: string;
  cpu?: { cores?: number; sockets?: number; threads?: number };
  memory?: string;
  /** A blank data disk from a DataVolume template, e.g. `1Gi`. */
  dataDisk?: string;
  /** The cloud-init user data. Default: an empty `#cloud-config`. */
  userData?: string;
  /** Annotations of the VM. */
  annotations?: Record<string, string>;
}

/** A VirtualMachine as a user would write it: containerDisk, cloud-init, pod network. */
export function testVirtualMachine(
  namespace: string,
  name: string,
  options: TestVmOptions = {},
): VirtualMachine & KubernetesObject {
  const disks: object[] = [
    { name: 'rootdisk', disk: { bus: 'virtio' } },
    { name: 'cloudinitdisk', disk: { bus: 'virtio' } },
  ];
  const volumes: object[] = [
    {
      name: 'rootdisk',
      containerDisk: { image: 'quay.io/containerdisks/fedora:41' },
    },
    {
      name: 'cloudinitdisk',
      cloudInitNoCloud: { userData: options.userData ?? '#cloud-config\n' },
    },
  ];
  const dataVolumeTemplates: object[] = [];
  if (options.dataDisk) {
    dataVolumeTemplates.push({
      metadata: { name: `${name}-data` },
      spec: {
        source: { blank: {} },
        storage: {
          resources: { requests: { storage: options.dataDisk } },
          storageClassName: 'standard',
        },
      },
    });
    disks.push({ name: 'data', disk: { bus: 'scsi' } });
    volumes.push({ name: 'data', dataVolume: { name: `${name}-data` } });
  }
  const domain: Record<string, unknown> = {
    devices: { disks, interfaces: [{ name: 'default', masquerade: {} }] },
  };
  if (!options.instancetype) {
    domain.cpu = options.cpu ?? { cores: 1 };
    domain.memory = { guest: options.memory ?? '1Gi' };
  }
  const spec: Record<string, unknown> = {
    template: {
      metadata: { labels: { app: name } },
      spec: {
        domain,
        networks: [{ name: 'default', pod: {} }],
        volumes,
      },
    },
  };
  if (options.running !== undefined) spec.running = options.running;
  else spec.runStrategy = options.runStrategy ?? 'Always';
  if (options.instancetype) spec.instancetype = { name: options.instancetype };
  if (options.preference) spec.preference = { name: options.preference };
  if (dataVolumeTemplates.length > 0) {
    spec.dataVolumeTemplates = dataVolumeTemplates;
  }
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: {
      name,
      namespace,
      ...(options.annotations && { annotations: options.annotations }),
    },
    spec,
  } as VirtualMachine & KubernetesObject;
}

/** Creates objects with server-side apply (so they carry managedFields). */
export async function applyAsAdmin(
  cluster: ClusterInfo,
  objects: KubernetesObject[],
): Promise<void> {
  await applyObjects(adminKubeConfig(cluster), objects);
}

/** Reads a VM as cluster-admin. */
export async function readVm(
  cluster: ClusterInfo,
  namespace: string,
  name: string,
): Promise<VirtualMachine> {
  return kubeRequest<VirtualMachine>(
    adminKubeConfig(cluster),
    'GET',
    `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/${name}`,
  );
}

/** Polls the VM (at most `timeoutMs`) until its printableStatus is `status`. */
export async function waitForVmStatus(
  cluster: ClusterInfo,
  namespace: string,
  name: string,
  status: string,
  timeoutMs = 90_000,
): Promise<VirtualMachine> {
  return waitUntil(
    `VirtualMachine ${namespace}/${name} to be ${status}`,
    timeoutMs,
    async () => {
      const vm = await readVm(cluster, namespace, name);
      return vm.status?.printableStatus === status ? vm : undefined;
    },
    250,
  );
}

/**
 * The config of the test clusters as the portal has them: each cluster's reader in
 * `kubernetes.clusterLocatorMethods`, its actor in `kubevirt.clusters`. `extra`
 * clusters have a reader only.
 */
export function clustersConfig(
  clusters: ClusterInfo[],
  extra: object[] = [],
): { kubernetes: object; kubevirt: { clusters: object } } {
  return {
    kubevirt: {
      clusters: Object.fromEntries(
        clusters.map(c => [
          c.name,
          {
            actor: {
              authProvider: 'serviceAccount',
              serviceAccountToken: c.actorToken,
            },
          },
        ]),
      ),
    },
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            ...clusters.map(c => ({
              name: c.name,
              url: c.url,
              authProvider: 'serviceAccount',
              serviceAccountToken: c.readerToken,
              caData: c.caData,
            })),
            ...extra,
          ],
        },
      ],
    },
  };
}

/**
 * The Component the KubeVirt catalog provider makes for `vm` on `cluster`, as far as
 * the VM page checks it (its location, cluster, namespace, name and uid
 * annotations), named `name` and owned by `owner`.
 */
export function providerEntity(
  cluster: string,
  vm: VirtualMachine,
  owner: string,
  name = vm.metadata.name,
): Entity {
  const namespace = vm.metadata.namespace ?? '';
  const location = virtualMachineEntityLocation({
    cluster,
    namespace,
    name: vm.metadata.name,
  });
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        [ANNOTATION_LOCATION]: location,
        [ANNOTATION_ORIGIN_LOCATION]: location,
        [KUBEVIRT_ANNOTATIONS.cluster]: cluster,
        [KUBEVIRT_ANNOTATIONS.namespace]: namespace,
        [KUBEVIRT_ANNOTATIONS.name]: vm.metadata.name,
        [KUBEVIRT_ANNOTATIONS.uid]: vm.metadata.uid ?? '',
      },
    },
    spec: { type: 'virtual-machine', lifecycle: 'production', owner },
    relations: [{ type: 'ownedBy', targetRef: owner }],
  };
}
