import { KubernetesObject } from '@kubernetes/client-node';

/** Operating systems of the demo, with the image each boots from. */
const images: Record<string, string> = {
  fedora: 'quay.io/containerdisks/fedora:41',
  ubuntu: 'quay.io/containerdisks/ubuntu:24.04',
  'centos-stream9': 'quay.io/containerdisks/centos-stream:9',
  rhel9: 'registry.example.com/images/rhel:9.6',
  windows2k22: 'registry.example.com/images/windows-server:2022',
};

/** One demo VM's shape. */
export interface DemoVmShape {
  name: string;
  namespace: string;
  os: keyof typeof images;
  /** A cluster instancetype (common-instancetypes), else `cores` and `memory`. */
  instancetype?: string;
  preference?: string;
  cores?: number;
  memory?: string;
  /** Root disk from a DataVolume template of this size instead of a containerDisk. */
  dataVolumeGi?: number;
  /** Blank data disks (DataVolume templates). */
  extraDisksGi?: number[];
  /** Multus networks beside the pod network. */
  extraNetworks?: string[];
  /** Owner label on the VM itself, overriding the namespace's owner. */
  owner?: string;
  /** runStrategy Always when true (default), Halted when false. */
  running?: boolean;
}

/** The VirtualMachine object for a demo shape, as a user's manifest would have it. */
export function demoVirtualMachine(shape: DemoVmShape): KubernetesObject {
  const image = images[shape.os];
  const volumes: object[] = [];
  const disks: object[] = [];
  const dataVolumeTemplates: object[] = [];
  if (shape.dataVolumeGi) {
    dataVolumeTemplates.push({
      metadata: { name: `${shape.name}-root` },
      spec: {
        source: { registry: { url: `docker://${image}` } },
        storage: {
          resources: { requests: { storage: `${shape.dataVolumeGi}Gi` } },
          storageClassName: 'standard',
        },
      },
    });
    volumes.push({
      name: 'rootdisk',
      dataVolume: { name: `${shape.name}-root` },
    });
  } else {
    volumes.push({ name: 'rootdisk', containerDisk: { image } });
  }
  disks.push({ name: 'rootdisk', disk: { bus: 'virtio' } });
  (shape.extraDisksGi ?? []).forEach((size, i) => {
    const name = `${shape.name}-data-${i + 1}`;
    dataVolumeTemplates.push({
      metadata: { name },
      spec: {
        source: { blank: {} },
        storage: {
          resources: { requests: { storage: `${size}Gi` } },
          storageClassName: 'standard',
        },
      },
    });
    volumes.push({ name: `data${i + 1}`, dataVolume: { name } });
    disks.push({ name: `data${i + 1}`, disk: { bus: 'virtio' } });
  });
  volumes.push({
    name: 'cloudinitdisk',
    cloudInitNoCloud: {
      userData:
        '#cloud-config\nssh_authorized_keys:\n  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoKeyOnlyForTheLocalDemo demo@vmportal\n',
    },
  });
  disks.push({ name: 'cloudinitdisk', disk: { bus: 'virtio' } });

  const networks = [
    { name: 'default', pod: {} },
    ...(shape.extraNetworks ?? []).map(net => ({
      name: net,
      multus: { networkName: net },
    })),
  ];
  const interfaces = [
    { name: 'default', masquerade: {} },
    ...(shape.extraNetworks ?? []).map(net => ({ name: net, bridge: {} })),
  ];

  const labels: Record<string, string> = {
    'app.kubernetes.io/part-of': shape.namespace.replace(/^team-/, ''),
  };
  if (shape.owner) labels['vmportal.io/owner'] = shape.owner;

  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: {
      name: shape.name,
      namespace: shape.namespace,
      labels,
      annotations: { 'vmportal.io/description': `Demo ${shape.os} VM` },
    },
    spec: {
      runStrategy: shape.running === false ? 'Halted' : 'Always',
      ...(shape.instancetype && {
        instancetype: {
          kind: 'VirtualMachineClusterInstancetype',
          name: shape.instancetype,
        },
      }),
      ...(shape.preference && {
        preference: {
          kind: 'VirtualMachineClusterPreference',
          name: shape.preference,
        },
      }),
      ...(dataVolumeTemplates.length > 0 && { dataVolumeTemplates }),
      template: {
        metadata: { labels: { 'vm.kubevirt.io/name': shape.name, ...labels } },
        spec: {
          domain: {
            ...(!shape.instancetype && {
              cpu: { cores: shape.cores ?? 1, sockets: 1, threads: 1 },
              memory: { guest: shape.memory ?? '2Gi' },
            }),
            devices: { disks, interfaces },
          },
          networks,
          volumes,
        },
      },
    },
  } as KubernetesObject;
}
