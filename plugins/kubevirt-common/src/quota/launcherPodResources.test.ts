/**
 * @jest-environment node
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
/* eslint-disable @backstage/no-mixed-plugin-imports */
// Test-only: the oracle is a Go program built from KubeVirt v1.9.0's own packages, and
// the control plane is the real kube-apiserver; kube-testenv builds and runs both.
import {
  ControlPlane,
  ensureBinaries,
  kubeConfigFor,
  kubeRequest,
  KubeRequestError,
  startControlPlane,
} from '@vmportal/kube-testenv';
import {
  createTestNamespace,
  deleteTestNamespace,
  LauncherPodOracle,
  OracleAnswer,
  testClusters,
} from '@vmportal/kube-testenv/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Quantity } from '../kube/Quantity';
import type { LimitRangeLike } from '../kube/kubernetesObjects';
import type { ResourceQuotaLike } from '../kube/kubernetesObjects';
import type { ResourceQuantities } from '../kube/podResources';
import type {
  KubeVirtConfigurationLike,
  VirtualMachineInstanceLike,
} from '../kube/kubevirtObjects';
import { launcherPodResources } from './launcherPodResources';

jest.setTimeout(120_000);

interface Shape {
  title: string;
  vmi: VirtualMachineInstanceLike;
  instancetype?: string;
  preference?: string;
  kubevirt?: KubeVirtConfigurationLike;
  kubevirtAnnotations?: Record<string, string>;
  nads?: Array<{
    metadata: {
      name: string;
      namespace?: string;
      annotations?: Record<string, string>;
    };
  }>;
  namespaceQuotas?: ResourceQuotaLike[];
  namespaceLabels?: Record<string, string>;
  pvcs?: object[];
  /** A preference object of the shape's own (instead of a bundled one by name). */
  preferenceObject?: { metadata: { name: string }; spec: object };
  /** KubeVirt refuses the VM: the test checks that the library says so, in the same words. */
  refused?: boolean;
  /** The KubeVirt CR's `status.defaultArchitecture` (the oracle's cluster architecture). */
  architecture?: string;
  /** ConfigMaps of the namespace (hook sidecars' scripts). */
  configMaps?: Array<{ metadata: { name: string; namespace?: string } }>;
  /**
   * virt-controller cannot render the pod (a lookup fails): the oracle's error, which
   * the library must give as a problem, in the same words.
   */
  renderError?: string;
}

const NS = 'team-a';

/** A VMI with a containerDisk or a DataVolume root disk, the way the portal renders VMs. */
function vmi(
  domain: VirtualMachineInstanceLike['spec']['domain'] = {},
  extra: Partial<VirtualMachineInstanceLike['spec']> = {},
  metadata: VirtualMachineInstanceLike['metadata'] = {},
  rootDisk: 'containerDisk' | 'dataVolume' = 'containerDisk',
): VirtualMachineInstanceLike {
  const { devices = {}, ...rest } = domain;
  return {
    metadata: { name: 'vm1', namespace: NS, ...metadata },
    spec: {
      domain: {
        ...rest,
        devices: {
          disks: [
            { name: 'rootdisk', disk: { bus: 'virtio' } },
            { name: 'cloudinitdisk', disk: { bus: 'virtio' } },
          ],
          ...devices,
        },
      },
      volumes: [
        rootDisk === 'containerDisk'
          ? {
              name: 'rootdisk',
              containerDisk: { image: 'quay.io/containerdisks/fedora:41' },
            }
          : { name: 'rootdisk', dataVolume: { name: 'vm1-rootdisk' } },
        {
          name: 'cloudinitdisk',
          cloudInitNoCloud: { userData: '#cloud-config\n' },
        },
      ],
      ...extra,
    },
  };
}

const custom = (
  cpu: object,
  memory: string,
  devices: object = {},
  more: object = {},
) =>
  ({
    cpu,
    memory: { guest: memory },
    devices,
    ...more,
  } as VirtualMachineInstanceLike['spec']['domain']);

const limitsQuota = (hard: Record<string, string>): ResourceQuotaLike => ({
  metadata: { name: 'team-quota', namespace: NS },
  spec: { hard },
});

const backendStoragePvc = {
  metadata: {
    name: 'persistent-state-for-vm1-abcde',
    namespace: NS,
    labels: { 'persistent-state-for': 'vm1' },
  },
  spec: {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '10Mi' } },
  },
};

const gatedShapes: Shape[] = [];

const shapes: Shape[] = [
  { title: 'u1.nano, containerDisk', vmi: vmi(), instancetype: 'u1.nano' },
  {
    title: 'u1.medium, DataVolume root disk',
    vmi: vmi({}, {}, {}, 'dataVolume'),
    instancetype: 'u1.medium',
  },
  { title: 'u1.2xmedium', vmi: vmi(), instancetype: 'u1.2xmedium' },
  {
    title: 'u1.8xlarge, DataVolume',
    vmi: vmi({}, {}, {}, 'dataVolume'),
    instancetype: 'u1.8xlarge',
  },
  {
    title: 'o1.nano (float32 overcommit)',
    vmi: vmi(),
    instancetype: 'o1.nano',
  },
  { title: 'o1.medium', vmi: vmi(), instancetype: 'o1.medium' },
  {
    title: 'o1.8xlarge with memoryOvercommit 150 (ignored: o1 sets a request)',
    vmi: vmi(),
    instancetype: 'o1.8xlarge',
    kubevirt: { developerConfiguration: { memoryOvercommit: 150 } },
  },
  {
    title: 'cx1.medium (dedicated, isolated emulator thread, 2Mi hugepages)',
    vmi: vmi(),
    instancetype: 'cx1.medium',
  },
  {
    title: 'cx1.2xlarge1gi, DataVolume',
    vmi: vmi({}, {}, {}, 'dataVolume'),
    instancetype: 'cx1.2xlarge1gi',
  },
  {
    title: 'cx1.8xlarge under a limits quota',
    vmi: vmi(),
    instancetype: 'cx1.8xlarge',
    namespaceQuotas: [
      limitsQuota({ 'limits.cpu': '100', 'limits.memory': '200Gi' }),
    ],
  },
  {
    title: 'm1.large (hugepages, shared CPUs)',
    vmi: vmi(),
    instancetype: 'm1.large',
  },
  {
    title: 'm1.8xlarge1gi under a limits quota',
    vmi: vmi(),
    instancetype: 'm1.8xlarge1gi',
    namespaceQuotas: [
      limitsQuota({ 'limits.memory': '1Ti', 'limits.cpu': '64' }),
    ],
  },
  {
    title: 'u1.large with preference fedora',
    vmi: vmi(),
    instancetype: 'u1.large',
    preference: 'fedora',
  },
  {
    title:
      'u1.xlarge with preference windows.11.virtio (persistent TPM and EFI)',
    vmi: vmi({}, {}, {}, 'dataVolume'),
    instancetype: 'u1.xlarge',
    preference: 'windows.11.virtio',
    pvcs: [backendStoragePvc],
  },
  {
    title:
      'u1.2xlarge with preference rhel.9.dpdk (spread across sockets, cores, threads)',
    vmi: vmi(),
    instancetype: 'u1.2xlarge',
    preference: 'rhel.9.dpdk',
  },
  {
    title:
      'u1.large with preference rhel.9.dpdk (spread ratio larger than the vCPUs)',
    vmi: vmi(),
    instancetype: 'u1.large',
    preference: 'rhel.9.dpdk',
  },
  { title: 'custom 1 vCPU, 512Mi', vmi: vmi(custom({ cores: 1 }, '512Mi')) },
  {
    title: 'custom 64 vCPUs (2 sockets × 16 cores × 2 threads), 256Gi',
    vmi: vmi(custom({ sockets: 2, cores: 16, threads: 2 }, '256Gi')),
  },
  {
    title: 'custom 3 vCPUs, cpuAllocationRatio 7',
    vmi: vmi(custom({ cores: 3 }, '6Gi')),
    kubevirt: { developerConfiguration: { cpuAllocationRatio: 7 } },
  },
  {
    title: 'custom 4 vCPUs, 7Gi, no graphics',
    vmi: vmi(custom({ cores: 4 }, '7Gi', { autoattachGraphicsDevice: false })),
  },
  {
    title: 'custom 2 vCPUs with a TPM',
    vmi: vmi(custom({ cores: 2 }, '4Gi', { tpm: {} })),
  },
  {
    title: 'custom dedicated CPUs, isolated emulator thread, 1Gi hugepages',
    vmi: vmi({
      cpu: {
        cores: 4,
        dedicatedCpuPlacement: true,
        isolateEmulatorThread: true,
      },
      memory: { guest: '8Gi', hugepages: { pageSize: '1Gi' } },
    }),
  },
  {
    title: 'custom dedicated CPUs with the even-parity annotation',
    vmi: vmi(
      {
        cpu: {
          cores: 3,
          dedicatedCpuPlacement: true,
          isolateEmulatorThread: true,
        },
        memory: { guest: '4Gi' },
      },
      {},
      {
        annotations: {
          'alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity': '',
        },
      },
    ),
  },
  {
    title: 'custom 2Mi hugepages with memoryOvercommit 150',
    vmi: vmi({
      cpu: { cores: 2 },
      memory: { guest: '3Gi', hugepages: { pageSize: '2Mi' } },
    }),
    kubevirt: { developerConfiguration: { memoryOvercommit: 150 } },
  },
  {
    title: 'custom 2Mi hugepages with memoryOvercommit 80',
    vmi: vmi({
      cpu: { cores: 2 },
      memory: { guest: '3Gi', hugepages: { pageSize: '2Mi' } },
    }),
    kubevirt: { developerConfiguration: { memoryOvercommit: 80 } },
  },
  {
    title: 'custom 8Gi with memoryOvercommit 120',
    vmi: vmi(custom({ cores: 2 }, '8Gi')),
    kubevirt: { developerConfiguration: { memoryOvercommit: 120 } },
  },
  {
    title: 'limits.cpu and limits.memory quota, auto-memory-limits-ratio 1.5',
    vmi: vmi(custom({ cores: 6 }, '12Gi')),
    namespaceQuotas: [
      limitsQuota({
        'limits.cpu': '20',
        'limits.memory': '64Gi',
        'requests.memory': '48Gi',
      }),
    ],
    namespaceLabels: { 'alpha.kubevirt.io/auto-memory-limits-ratio': '1.5' },
  },
  {
    title: 'limits.memory quota only, invalid ratio label (falls back to 2)',
    vmi: vmi(custom({ cores: 1 }, '1Gi')),
    namespaceQuotas: [limitsQuota({ 'limits.memory': '64Gi' })],
    namespaceLabels: { 'alpha.kubevirt.io/auto-memory-limits-ratio': '0.5' },
  },
  {
    title: 'cpuAllocationRatio 1',
    vmi: vmi(custom({ cores: 5 }, '10Gi')),
    kubevirt: { developerConfiguration: { cpuAllocationRatio: 1 } },
  },
  {
    title: 'cpuAllocationRatio 3 on 4 vCPUs (nano rounding)',
    vmi: vmi(custom({ cores: 4 }, '4Gi')),
    kubevirt: { developerConfiguration: { cpuAllocationRatio: 3 } },
  },
  {
    title: 'cpuAllocationRatio 3 on 1 vCPU (milli rounding)',
    vmi: vmi(custom({ cores: 1 }, '2Gi')),
    kubevirt: { developerConfiguration: { cpuAllocationRatio: 3 } },
  },
  {
    title: 'cluster cpuRequest 250m',
    vmi: vmi(custom({ cores: 4 }, '4Gi')),
    kubevirt: { cpuRequest: '250m' },
  },
  {
    title: 'additionalGuestMemoryOverheadRatio 1.7',
    vmi: vmi(custom({ cores: 3 }, '5Gi')),
    kubevirt: { additionalGuestMemoryOverheadRatio: '1.7' },
  },
  {
    title: 'three NICs: pod masquerade, two multus bridges, one e1000',
    vmi: vmi(
      custom({ cores: 2 }, '4Gi', {
        interfaces: [
          { name: 'default', masquerade: {} },
          { name: 'storage', bridge: {} },
          { name: 'legacy', bridge: {}, model: 'e1000' },
        ],
      }),
      {
        networks: [
          { name: 'default', pod: {} },
          { name: 'storage', multus: { networkName: 'storage-net' } },
          { name: 'legacy', multus: { networkName: 'infra/legacy-net' } },
        ],
      },
    ),
  },
  {
    title: 'passt binding',
    vmi: vmi(
      custom({ cores: 2 }, '2Gi', {
        interfaces: [{ name: 'default', passtBinding: {} }],
      }),
      { networks: [{ name: 'default', pod: {} }] },
    ),
  },
  {
    title: 'ImageVolume off, two containerDisks',
    vmi: (() => {
      const v = vmi(custom({ cores: 2 }, '2Gi'));
      v.spec.domain.devices!.disks!.push({
        name: 'tools',
        disk: { bus: 'virtio' },
      });
      v.spec.volumes!.push({
        name: 'tools',
        containerDisk: { image: 'quay.io/example/tools:1' },
      });
      return v;
    })(),
    kubevirt: {
      developerConfiguration: { disabledFeatureGates: ['ImageVolume'] },
    },
  },
  {
    title: 'cx1.large with ImageVolume off (guaranteed init containers)',
    vmi: vmi(),
    instancetype: 'cx1.large',
    kubevirt: {
      developerConfiguration: { disabledFeatureGates: ['ImageVolume'] },
    },
  },
  {
    title: 'serial console log disabled cluster-wide',
    vmi: vmi(custom({ cores: 1 }, '1Gi')),
    kubevirt: { virtualMachineOptions: { disableSerialConsoleLog: {} } },
  },
  {
    title: 'logSerialConsole false on the VM',
    vmi: vmi(custom({ cores: 1 }, '1Gi', { logSerialConsole: false })),
  },
  {
    title: 'explicit requests and limits (guaranteed QoS, page tables)',
    vmi: vmi({
      cpu: { cores: 2 },
      resources: {
        requests: { cpu: '2', memory: '6Gi' },
        limits: { cpu: '2', memory: '6Gi' },
      },
    }),
  },
  {
    title: 'support container resources configured',
    vmi: vmi(custom({ cores: 2 }, '2Gi')),
    kubevirt: {
      supportContainerResources: [
        {
          type: 'guest-console-log',
          resources: {
            requests: { cpu: '20m', memory: '50M' },
            limits: { cpu: '40m', memory: '100M' },
          },
        },
        {
          type: 'container-disk',
          resources: {
            requests: { cpu: '2m', memory: '5M' },
            limits: { cpu: '20m', memory: '80M' },
          },
        },
      ],
    },
  },
  {
    title: 'two supplemental IO threads',
    vmi: vmi(
      custom(
        { cores: 4 },
        '8Gi',
        {},
        {
          ioThreadsPolicy: 'supplementalPool',
          ioThreads: { supplementalPoolThreadCount: 2 },
        },
      ),
    ),
  },
  {
    title: 'dedicated CPUs with supplemental IO threads and even parity',
    vmi: vmi(
      {
        cpu: {
          cores: 4,
          dedicatedCpuPlacement: true,
          isolateEmulatorThread: true,
        },
        memory: { guest: '4Gi' },
        ioThreadsPolicy: 'supplementalPool',
        ioThreads: { supplementalPoolThreadCount: 1 },
      },
      {},
      {
        annotations: {
          'alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity': '',
        },
      },
    ),
  },
  {
    title: 'downward metrics and exec probes',
    vmi: (() => {
      const v = vmi(custom({ cores: 1 }, '2Gi'), {
        livenessProbe: { exec: { command: ['true'] }, initialDelaySeconds: 30 },
        readinessProbe: { exec: { command: ['true'] } },
      });
      v.spec.volumes!.push({ name: 'metrics', downwardMetrics: {} });
      v.spec.domain.devices!.disks!.push({
        name: 'metrics',
        disk: { bus: 'virtio' },
      });
      return v;
    })(),
    kubevirt: { developerConfiguration: { featureGates: ['DownwardMetrics'] } },
  },
  {
    title: 'SEV',
    vmi: vmi(
      custom(
        { cores: 2 },
        '4Gi',
        {},
        {
          launchSecurity: { sev: {} },
          firmware: { bootloader: { efi: { secureBoot: false } } },
        },
      ),
    ),
  },
  {
    title: 'arm64',
    vmi: vmi(custom({ cores: 2 }, '4Gi'), { architecture: 'arm64' }),
  },
  // The cluster's architecture is the KubeVirt CR's status.defaultArchitecture.
  {
    title: 'a cluster whose default architecture is arm64',
    vmi: vmi(custom({ cores: 2 }, '4Gi')),
    architecture: 'arm64',
  },
  {
    title:
      'u1.medium on arm64, spec asking for amd64 (the status wins, as in KubeVirt)',
    vmi: vmi(),
    instancetype: 'u1.medium',
    architecture: 'arm64',
    kubevirt: { architectureConfiguration: { defaultArchitecture: 'amd64' } },
  },
  {
    title: 'autoCPULimitNamespaceLabelSelector matching the namespace',
    vmi: vmi(custom({ cores: 3 }, '3Gi')),
    kubevirt: {
      autoCPULimitNamespaceLabelSelector: {
        matchLabels: { 'cpu-limits': 'on' },
      },
    },
    namespaceLabels: { 'cpu-limits': 'on' },
  },
  {
    title: 'useEmulation',
    vmi: vmi(custom({ cores: 1 }, '1Gi')),
    kubevirt: { developerConfiguration: { useEmulation: true } },
  },
  {
    title: 'GPU and host device (device plugins, VFIO overhead)',
    vmi: vmi(
      custom({ cores: 4 }, '16Gi', {
        gpus: [{ name: 'gpu1', deviceName: 'nvidia.com/GA102GL_A10' }],
        hostDevices: [
          { name: 'hd1', deviceName: 'intel.com/qat' },
          { name: 'hd2', deviceName: 'intel.com/qat' },
        ],
      }),
    ),
    kubevirt: { developerConfiguration: { featureGates: ['HostDevices'] } },
  },
  {
    title: 'reserved memory overhead',
    vmi: vmi({
      cpu: { cores: 2 },
      memory: { guest: '4Gi', reservedOverhead: { addedOverhead: '300Mi' } },
    }),
    kubevirt: {
      developerConfiguration: { featureGates: ['ReservedOverheadMemlock'] },
    },
  },
  {
    title: 'memory from resources.requests only',
    vmi: vmi({
      cpu: { cores: 2 },
      resources: { requests: { memory: '3000Mi' } },
    }),
  },
  {
    title: 'no topology, resources.limits.cpu 2500m',
    vmi: vmi({ resources: { limits: { cpu: '2500m', memory: '2Gi' } } }),
  },
  {
    title: 'ephemeral-storage request on the VM',
    vmi: vmi({
      cpu: { cores: 1 },
      memory: { guest: '1Gi' },
      resources: {
        requests: { 'ephemeral-storage': '2Gi' },
        limits: { 'ephemeral-storage': '4Gi' },
      },
    }),
  },
  // Class 1: the KubeVirt CR's network settings are `network`.
  {
    title: 'network binding plugin with a memory overhead, used twice',
    vmi: vmi(
      custom({ cores: 2 }, '2Gi', {
        interfaces: [
          { name: 'default', binding: { name: 'mybind' } },
          { name: 'second', binding: { name: 'mybind' } },
        ],
      }),
      {
        networks: [
          { name: 'default', pod: {} },
          { name: 'second', multus: { networkName: 'net2' } },
        ],
      },
    ),
    kubevirt: {
      network: {
        binding: {
          mybind: {
            domainAttachmentType: 'managedTap',
            computeResourceOverhead: { requests: { memory: '300Mi' } },
          },
        },
      },
    },
  },
  {
    title:
      'bridge on the pod network when the KubeVirt CR forbids it (refused)',
    vmi: vmi(
      custom({ cores: 1 }, '1Gi', {
        interfaces: [{ name: 'default', bridge: {} }],
      }),
      { networks: [{ name: 'default', pod: {} }] },
    ),
    kubevirt: { network: { permitBridgeInterfaceOnPodNetwork: false } },
    refused: true,
  },
  {
    title: 'default bridge interface when the KubeVirt CR forbids it (refused)',
    vmi: vmi(custom({ cores: 1 }, '1Gi')),
    kubevirt: { network: { permitBridgeInterfaceOnPodNetwork: false } },
    refused: true,
  },
  {
    title: 'default masquerade interface, bridge forbidden',
    vmi: vmi(custom({ cores: 1 }, '1Gi')),
    kubevirt: {
      network: {
        defaultNetworkInterface: 'masquerade',
        permitBridgeInterfaceOnPodNetwork: false,
      },
    },
  },
  {
    title:
      'bridge on a multus network when bridge on the pod network is forbidden',
    vmi: vmi(
      custom({ cores: 1 }, '1Gi', {
        interfaces: [
          { name: 'default', masquerade: {} },
          { name: 'storage', bridge: {} },
        ],
      }),
      {
        networks: [
          { name: 'default', pod: {} },
          { name: 'storage', multus: { networkName: 'storage-net' } },
        ],
      },
    ),
    kubevirt: { network: { permitBridgeInterfaceOnPodNetwork: false } },
  },
  // Class 6: the auto-memory-limits-ratio label is parsed as Go's ParseFloat does.
  ...['1_5', '0x1.8p1', '1.', 'infinity', '1e400', '+3'].map(
    (ratio): Shape => ({
      title: `limits.memory quota, auto-memory-limits-ratio ${JSON.stringify(
        ratio,
      )}`,
      vmi: vmi(custom({ cores: 1 }, '1Gi')),
      namespaceQuotas: [limitsQuota({ 'limits.memory': '64Gi' })],
      namespaceLabels: { 'alpha.kubevirt.io/auto-memory-limits-ratio': ratio },
    }),
  ),
  // Class 5: the kernel-boot container, with and without the ImageVolume gate.
  ...[false, true].map(
    (imageVolumeOff): Shape => ({
      title: `kernel boot from a container image, DataVolume root disk${
        imageVolumeOff ? ', ImageVolume off' : ''
      }`,
      vmi: vmi(
        custom(
          { cores: 2 },
          '2Gi',
          {},
          {
            firmware: {
              kernelBoot: {
                kernelArgs: 'console=ttyS0',
                container: {
                  image: 'quay.io/example/kernel:1',
                  kernelPath: '/boot/vmlinuz',
                  initrdPath: '/boot/initramfs',
                },
              },
            },
          },
        ),
        {},
        {},
        'dataVolume',
      ),
      ...(imageVolumeOff && {
        kubevirt: {
          developerConfiguration: { disabledFeatureGates: ['ImageVolume'] },
        },
      }),
    }),
  ),
  {
    title: 'kernel boot and a containerDisk, ImageVolume off, dedicated CPUs',
    vmi: vmi({
      cpu: { cores: 2, dedicatedCpuPlacement: true },
      memory: { guest: '2Gi' },
      firmware: {
        kernelBoot: {
          container: {
            image: 'quay.io/example/kernel:1',
            kernelPath: '/boot/vmlinuz',
          },
        },
      },
    }),
    kubevirt: {
      developerConfiguration: { disabledFeatureGates: ['ImageVolume'] },
    },
  },
  // Class 9: more of virt-api's refusals.
  {
    title: 'VSOCK with the VSOCK gate',
    vmi: vmi(custom({ cores: 1 }, '1Gi', { autoattachVSOCK: true })),
    kubevirt: { developerConfiguration: { featureGates: ['VSOCK'] } },
  },
  {
    title: 'VSOCK without the VSOCK gate (refused)',
    vmi: vmi(custom({ cores: 1 }, '1Gi', { autoattachVSOCK: true })),
    refused: true,
  },
  ...[true, false].map(
    (enabled): Shape => ({
      title: `LUN with a persistent reservation, ${
        enabled ? 'enabled' : 'not enabled (refused)'
      }`,
      vmi: (() => {
        const v = vmi(custom({ cores: 1 }, '1Gi'), {}, {}, 'dataVolume');
        v.spec.domain.devices!.disks!.push({
          name: 'shared',
          lun: { reservation: true },
        });
        v.spec.volumes!.push({
          name: 'shared',
          persistentVolumeClaim: { claimName: 'shared-lun' },
        });
        return v;
      })(),
      pvcs: [
        {
          metadata: { name: 'shared-lun', namespace: NS },
          spec: {
            accessModes: ['ReadWriteMany'],
            volumeMode: 'Block',
            resources: { requests: { storage: '1Gi' } },
          },
        },
      ],
      ...(enabled && {
        kubevirt: { persistentReservationConfiguration: { enabled: true } },
      }),
      refused: !enabled,
    }),
  ),
  // Class 2: hook sidecars, sized by supportContainerResources and QoS.
  {
    title: 'two hook sidecars with the Sidecar gate',
    vmi: vmi(
      custom({ cores: 2 }, '2Gi'),
      {},
      {
        annotations: {
          'hooks.kubevirt.io/hookSidecars': JSON.stringify([
            {
              image: 'quay.io/example/smbios-hook:1',
              args: ['--version', 'v1alpha2'],
            },
            {
              image: 'quay.io/example/other-hook:1',
              args: ['--version', 'v1alpha3'],
            },
          ]),
        },
      },
    ),
    kubevirt: { developerConfiguration: { featureGates: ['Sidecar'] } },
  },
  {
    title:
      'a hook sidecar with dedicated CPUs and sidecar support container resources',
    vmi: vmi(
      {
        cpu: { cores: 2, dedicatedCpuPlacement: true },
        memory: { guest: '2Gi' },
      },
      {},
      {
        annotations: {
          'hooks.kubevirt.io/hookSidecars': JSON.stringify([
            {
              image: 'quay.io/example/smbios-hook:1',
              args: ['--version', 'v1alpha2'],
            },
          ]),
        },
      },
    ),
    kubevirt: {
      developerConfiguration: { featureGates: ['Sidecar'] },
      supportContainerResources: [
        {
          type: 'sidecar',
          resources: {
            requests: { cpu: '50m', memory: '20M' },
            limits: { cpu: '300m', memory: '100M' },
          },
        },
      ],
    },
  },
  {
    title: 'a hook sidecar with guaranteed QoS',
    vmi: vmi(
      {
        cpu: { cores: 2 },
        resources: {
          requests: { cpu: '2', memory: '2Gi' },
          limits: { cpu: '2', memory: '2Gi' },
        },
      },
      {},
      {
        annotations: {
          'hooks.kubevirt.io/hookSidecars': JSON.stringify([
            {
              image: 'quay.io/example/smbios-hook:1',
              args: ['--version', 'v1alpha2'],
            },
          ]),
        },
      },
    ),
    kubevirt: { developerConfiguration: { featureGates: ['Sidecar'] } },
  },
  ...[true, false].map(
    (present): Shape => ({
      title: `a hook sidecar whose script is a ConfigMap ${
        present ? 'that exists' : 'that is missing'
      }`,
      vmi: vmi(
        custom({ cores: 2 }, '2Gi'),
        {},
        {
          annotations: {
            'hooks.kubevirt.io/hookSidecars': JSON.stringify([
              {
                args: ['--version', 'v1alpha2'],
                configMap: {
                  name: 'smbios-hook',
                  key: 'script.sh',
                  hookPath: '/usr/bin/onDefineDomain',
                },
              },
            ]),
          },
        },
      ),
      kubevirt: { developerConfiguration: { featureGates: ['Sidecar'] } },
      configMaps: present ? [{ metadata: { name: 'smbios-hook' } }] : [],
      ...(!present && { renderError: 'configmaps "smbios-hook" not found' }),
    }),
  ),
  {
    title: 'a hook sidecar without the Sidecar gate (refused)',
    vmi: vmi(
      custom({ cores: 1 }, '1Gi'),
      {},
      {
        annotations: {
          'hooks.kubevirt.io/hookSidecars': JSON.stringify([
            { image: 'quay.io/example/smbios-hook:1' },
          ]),
        },
      },
    ),
    refused: true,
  },
  {
    title: 'network binding plugin with a sidecar image and dedicated CPUs',
    vmi: vmi(
      {
        cpu: { cores: 2, dedicatedCpuPlacement: true },
        memory: { guest: '2Gi' },
        devices: {
          interfaces: [{ name: 'default', binding: { name: 'passt-like' } }],
        },
      },
      { networks: [{ name: 'default', pod: {} }] },
    ),
    kubevirt: {
      network: {
        binding: {
          'passt-like': {
            sidecarImage: 'quay.io/example/binding-sidecar:1',
            computeResourceOverhead: { requests: { memory: '100Mi' } },
          },
        },
      },
    },
  },
  // Class 3: the KubeVirt CR's annotations are an input.
  ...[true, false].map(
    (gate): Shape => ({
      title: `cx1.large, KubeVirt CR even-parity annotation, AlignCPUs gate ${
        gate ? 'on' : 'off'
      }`,
      vmi: vmi(),
      instancetype: 'cx1.large',
      kubevirtAnnotations: {
        'alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity': '',
      },
      ...(gate && {
        kubevirt: { developerConfiguration: { featureGates: ['AlignCPUs'] } },
      }),
    }),
  ),
  // Class 7: the default interface exists before the preference is applied.
  {
    title:
      'u1.medium, preference with an e1000e interface model on the default NIC',
    vmi: vmi(),
    instancetype: 'u1.medium',
    preferenceObject: {
      metadata: { name: 'legacy-nic' },
      spec: { devices: { preferredInterfaceModel: 'e1000e' } },
    },
  },
  {
    title: 'u1.medium, preference without a pod interface',
    vmi: vmi(),
    instancetype: 'u1.medium',
    preferenceObject: {
      metadata: { name: 'no-pod-nic' },
      spec: { devices: { preferredAutoattachPodInterface: false } },
    },
  },
  // Class 7: SR-IOV device pools named by NetworkAttachmentDefinitions.
  ...[true, false].map(
    (injectionOff): Shape => ({
      title: `SR-IOV on two NADs of one pool and one of another, ExternalNetResourceInjection ${
        injectionOff ? 'off' : 'on'
      }`,
      vmi: vmi(
        custom({ cores: 2 }, '2Gi', {
          interfaces: [
            { name: 'default', masquerade: {} },
            { name: 'fast1', sriov: {} },
            { name: 'fast2', sriov: {} },
            { name: 'other', sriov: {} },
          ],
        }),
        {
          networks: [
            { name: 'default', pod: {} },
            { name: 'fast1', multus: { networkName: 'sriov-a' } },
            { name: 'fast2', multus: { networkName: 'infra/sriov-b' } },
            { name: 'other', multus: { networkName: 'sriov-c' } },
          ],
        },
      ),
      nads: [
        {
          metadata: {
            name: 'sriov-a',
            annotations: {
              'k8s.v1.cni.cncf.io/resourceName': 'intel.com/sriov_netdevice',
            },
          },
        },
        {
          metadata: {
            name: 'sriov-b',
            namespace: 'infra',
            annotations: {
              'k8s.v1.cni.cncf.io/resourceName': 'intel.com/sriov_netdevice',
            },
          },
        },
        {
          metadata: {
            name: 'sriov-c',
            annotations: {
              'k8s.v1.cni.cncf.io/resourceName': 'mellanox.com/cx5',
            },
          },
        },
      ],
      ...(injectionOff && {
        kubevirt: {
          developerConfiguration: {
            disabledFeatureGates: ['ExternalNetResourceInjection'],
          },
        },
      }),
    }),
  ),
  {
    title:
      'SR-IOV on a NAD that does not exist, ExternalNetResourceInjection off',
    vmi: vmi(
      custom({ cores: 2 }, '2Gi', {
        interfaces: [
          { name: 'default', masquerade: {} },
          { name: 'fast1', sriov: {} },
        ],
      }),
      {
        networks: [
          { name: 'default', pod: {} },
          { name: 'fast1', multus: { networkName: 'infra/gone' } },
        ],
      },
    ),
    nads: [],
    kubevirt: {
      developerConfiguration: {
        disabledFeatureGates: ['ExternalNetResourceInjection'],
      },
    },
    renderError: 'failed to locate network attachment definition infra/gone',
  },
  // Class 4: a preference's preferredLaunchSecurity is applied.
  {
    title: 'u1.medium with a preference for SEV (memory overhead and device)',
    vmi: vmi({
      firmware: { bootloader: { efi: { secureBoot: false } } },
    }),
    instancetype: 'u1.medium',
    preferenceObject: {
      metadata: { name: 'sev' },
      spec: { preferredLaunchSecurity: { sev: {} } },
    },
  },
  // Class 8: virtiofs filesystems are counted.
  {
    title: 'virtiofs: a ConfigMap shared with the guest',
    vmi: (() => {
      const v = vmi(
        custom({ cores: 2 }, '2Gi', {
          filesystems: [{ name: 'config', virtiofs: {} }],
        }),
      );
      v.spec.volumes!.push({ name: 'config', configMap: { name: 'app' } });
      return v;
    })(),
  },
  {
    title: 'virtiofs with dedicated CPUs and support container resources',
    vmi: (() => {
      const v = vmi({
        cpu: { cores: 2, dedicatedCpuPlacement: true },
        memory: { guest: '2Gi' },
        devices: {
          filesystems: [
            { name: 'config', virtiofs: {} },
            { name: 'creds', virtiofs: {} },
          ],
        },
      });
      v.spec.volumes!.push(
        { name: 'config', configMap: { name: 'app' } },
        { name: 'creds', secret: { secretName: 'app-creds' } },
      );
      return v;
    })(),
    kubevirt: {
      supportContainerResources: [
        {
          type: 'virtiofs',
          resources: {
            requests: { cpu: '20m', memory: '5M' },
            limits: { cpu: '200m', memory: '100M' },
          },
        },
      ],
    },
  },
  {
    title:
      'virtiofs on a PVC without the EnableVirtioFsStorageVolumes gate (refused)',
    vmi: (() => {
      const v = vmi(
        custom({ cores: 1 }, '1Gi', {
          filesystems: [{ name: 'shared', virtiofs: {} }],
        }),
      );
      v.spec.volumes!.push({
        name: 'shared',
        persistentVolumeClaim: { claimName: 'shared' },
      });
      return v;
    })(),
    pvcs: [
      {
        metadata: { name: 'shared', namespace: NS },
        spec: {
          accessModes: ['ReadWriteMany'],
          resources: { requests: { storage: '1Gi' } },
        },
      },
    ],
    refused: true,
  },
  {
    title: 'virtiofs on a PVC with the EnableVirtioFsStorageVolumes gate',
    vmi: (() => {
      const v = vmi(
        custom({ cores: 1 }, '1Gi', {
          filesystems: [{ name: 'shared', virtiofs: {} }],
        }),
      );
      v.spec.volumes!.push({
        name: 'shared',
        persistentVolumeClaim: { claimName: 'shared' },
      });
      return v;
    })(),
    kubevirt: {
      developerConfiguration: {
        featureGates: ['EnableVirtioFsStorageVolumes'],
      },
    },
    pvcs: [
      {
        metadata: { name: 'shared', namespace: NS },
        spec: {
          accessModes: ['ReadWriteMany'],
          resources: { requests: { storage: '1Gi' } },
        },
      },
    ],
  },
  {
    title: 'overcommitGuestOverhead',
    vmi: vmi({
      cpu: { cores: 2 },
      memory: { guest: '4Gi' },
      resources: { overcommitGuestOverhead: true, requests: { memory: '2Gi' } },
    }),
  },
];

// Class 9: without their Alpha feature gates, virt-api refuses these shapes.
for (const shape of [...shapes]) {
  const gates = shape.kubevirt?.developerConfiguration?.featureGates ?? [];
  if (
    gates.some(g =>
      ['DownwardMetrics', 'HostDevices', 'ReservedOverheadMemlock'].includes(g),
    )
  ) {
    gatedShapes.push({
      ...shape,
      title: `${shape.title}, without the ${gates.join(', ')} gate (refused)`,
      kubevirt: undefined,
      refused: true,
    });
  }
}
shapes.push(...gatedShapes);

/** The PVCs CDI would have made for the VMI's DataVolumes (virt-controller looks them up). */
function dataVolumeClaims(v: VirtualMachineInstanceLike) {
  return (v.spec.volumes ?? []).flatMap(volume =>
    volume.dataVolume
      ? [
          {
            metadata: { name: volume.dataVolume.name, namespace: NS },
            spec: {
              accessModes: ['ReadWriteOnce'],
              volumeMode: 'Filesystem',
              resources: { requests: { storage: '30Gi' } },
            },
          },
        ]
      : [],
  );
}

function quantities(
  list: Record<string, string> | undefined,
): Record<string, bigint> {
  const result: Record<string, bigint> = {};
  for (const [name, text] of Object.entries(list ?? {}))
    result[name] = Quantity.parse(text).nanos;
  return result;
}

function nanos(list: ResourceQuantities): Record<string, bigint> {
  return Object.fromEntries(Object.entries(list).map(([k, v]) => [k, v.nanos]));
}

/**
 * Kubernetes' PodRequests/PodLimits (component-helpers) on the oracle's pod, after the
 * API server's defaulting: written out here on the raw pod so it checks the library's
 * own aggregation (the real API server checks both below).
 */
function kubernetesPodTotals(pod: OracleAnswer['pod']) {
  type C = {
    resources?: {
      requests?: Record<string, string>;
      limits?: Record<string, string>;
    };
    restartPolicy?: string;
  };
  // SetDefaults_ResourceList rounds every amount up to thousandths; SetDefaults_Pod
  // copies limits to missing requests.
  const milli = (list: Record<string, bigint>) =>
    Object.fromEntries(
      Object.entries(list).map(([k, v]) => [
        k,
        ((v + 999_999n) / 1_000_000n) * 1_000_000n,
      ]),
    );
  const defaulted = (c: C) => {
    const limits = milli(quantities(c.resources?.limits));
    const requests = { ...limits, ...milli(quantities(c.resources?.requests)) };
    return { requests, limits };
  };
  const total = (which: 'requests' | 'limits') => {
    const sum: Record<string, bigint> = {};
    const addTo = (
      target: Record<string, bigint>,
      list: Record<string, bigint>,
    ) => {
      for (const [k, v] of Object.entries(list))
        target[k] = (target[k] ?? 0n) + v;
    };
    for (const c of (pod.spec?.containers ?? []) as C[])
      addTo(sum, defaulted(c)[which]);
    const sidecars: Record<string, bigint> = {};
    const initMax: Record<string, bigint> = {};
    for (const c of (pod.spec?.initContainers ?? []) as C[]) {
      const own = defaulted(c)[which];
      let running: Record<string, bigint>;
      if (c.restartPolicy === 'Always') {
        addTo(sum, own);
        addTo(sidecars, own);
        running = { ...sidecars };
      } else {
        running = { ...own };
        addTo(running, sidecars);
      }
      for (const [k, v] of Object.entries(running))
        if (initMax[k] === undefined || v > initMax[k]) initMax[k] = v;
    }
    for (const [k, v] of Object.entries(initMax))
      if (sum[k] === undefined || v > sum[k]) sum[k] = v;
    return sum;
  };
  return { requests: total('requests'), limits: total('limits') };
}

describe('launcherPodResources against KubeVirt v1.9.0 (the oracle)', () => {
  let oracle: LauncherPodOracle;
  let kubevirtVersion: string;
  const objects = new Map<string, any>();

  beforeAll(async () => {
    const binaries = await ensureBinaries({});
    kubevirtVersion = binaries.versions.kubevirt;
    for (const file of fs.readdirSync(binaries.instancetypesDir)) {
      if (!file.endsWith('.yaml')) continue;
      const object = parse(
        fs.readFileSync(path.join(binaries.instancetypesDir, file), 'utf8'),
      );
      objects.set(object.metadata.name, object);
    }
    oracle = new LauncherPodOracle(binaries.oracle, () => {});
  }, 60 * 60_000);

  afterAll(async () => {
    await oracle?.stop();
  });

  it('covers at least 30 VM shapes, against KubeVirt v1.9.0', () => {
    expect(shapes.length).toBeGreaterThanOrEqual(30);
    expect(kubevirtVersion).toBe('v1.9.0');
  });

  it.each(shapes.map(s => [s.title, s] as const))(
    '%s',
    async (_title, shape) => {
      const instancetype = shape.instancetype
        ? objects.get(shape.instancetype)
        : undefined;
      const preference =
        shape.preferenceObject ??
        (shape.preference ? objects.get(shape.preference) : undefined);
      expect([!!instancetype, !!preference]).toEqual([
        !!shape.instancetype,
        !!(shape.preference ?? shape.preferenceObject),
      ]);
      const asked = oracle.renderOrRefuse({
        vmi: shape.vmi as any,
        kubevirt: shape.kubevirt,
        kubevirtAnnotations: shape.kubevirtAnnotations,
        architecture: shape.architecture,
        configMaps: shape.configMaps,
        nads: shape.nads,
        namespaceQuotas: shape.namespaceQuotas as any,
        namespaceLabels: shape.namespaceLabels,
        pvcs: [...(shape.pvcs ?? []), ...dataVolumeClaims(shape.vmi)] as any,
        instancetype,
        preference,
      });

      const mine = launcherPodResources(
        {
          vmi: shape.vmi,
          instancetype: instancetype?.spec,
          preference: preference?.spec,
        },
        {
          kubevirt: shape.kubevirt,
          kubevirtAnnotations: shape.kubevirtAnnotations,
          networkAttachmentDefinitions: shape.nads,
          configMaps: shape.configMaps,
          defaultArchitecture: shape.architecture,
          namespaceQuotas: shape.namespaceQuotas,
          namespaceLabels: shape.namespaceLabels,
        },
      );
      // Where virt-controller fails to render the pod, the library says so in its words.
      const settled = await asked.then(
        answer => ({ answer }),
        (error: Error) => ({ error: error.message }),
      );
      const oracleError = 'error' in settled ? settled.error : '';
      expect(
        shape.renderError
          ? oracleError.includes(shape.renderError)
          : oracleError,
      ).toBe(shape.renderError ? true : '');
      expect(
        mine.problems.filter(p =>
          p.startsWith('virt-controller would not create the pod'),
        ),
      ).toEqual(
        shape.renderError
          ? [`virt-controller would not create the pod: ${shape.renderError}`]
          : [],
      );
      if (!('answer' in settled)) return;
      const outcome = settled.answer;

      // KubeVirt's refusal, in its words (virt-api may repeat a cause).
      const refusals =
        'refusals' in outcome
          ? [...new Set(outcome.refusals.map(r => r.message))]
          : [];
      expect(mine.refusals).toEqual(refusals);
      expect(refusals.length > 0).toBe(!!shape.refused);
      if (!('pod' in outcome)) return;
      const answer = outcome;
      expect(answer.warnings ?? []).toEqual([]);

      expect(mine.memoryOverhead.nanos).toBe(
        Quantity.parse(answer.memoryOverhead).nanos,
      );
      expect(nanos(mine.compute.requests)).toEqual(
        quantities(answer.compute.requests),
      );
      expect(nanos(mine.compute.limits)).toEqual(
        quantities(answer.compute.limits),
      );

      const oracleContainers = [
        ...(answer.pod.spec?.containers ?? []).map(c => ({
          c,
          kind: 'container',
        })),
        ...(answer.pod.spec?.initContainers ?? []).map(c => ({
          c,
          kind: c.restartPolicy === 'Always' ? 'sidecar' : 'init',
        })),
      ].map(({ c, kind }) => ({
        name: c.name,
        kind,
        requests: quantities(c.resources?.requests as Record<string, string>),
        limits: quantities(c.resources?.limits as Record<string, string>),
      }));
      expect(
        mine.containers.map(c => ({
          name: c.name,
          kind: c.kind,
          requests: nanos(c.requests),
          limits: nanos(c.limits),
        })),
      ).toEqual(oracleContainers);

      const totals = kubernetesPodTotals(answer.pod);
      expect(nanos(mine.pod.requests)).toEqual(totals.requests);
      expect(nanos(mine.pod.limits)).toEqual(totals.limits);
    },
  );
});

/**
 * The same pods, created in a namespace of the real kube-apiserver with a LimitRange
 * and a ResourceQuota: what LimitRanger makes of the containers and what the quota
 * charges must be what the library says.
 */
describe('launcher pods as the real kube-apiserver admits and counts them', () => {
  let plane: ControlPlane | undefined;
  let oracle: LauncherPodOracle;
  let kc: ReturnType<typeof kubeConfigFor>;
  let cluster: ReturnType<typeof testClusters>[number];
  let instancetypesDir: string;
  const namespaces: string[] = [];

  beforeAll(async () => {
    const binaries = await ensureBinaries({});
    instancetypesDir = binaries.instancetypesDir;
    oracle = new LauncherPodOracle(binaries.oracle, () => {});
    if (process.env.KUBE_TESTENV_DIR) {
      // `npm test` shares one control plane among all packages.
      cluster = testClusters()[0];
    } else {
      plane = await startControlPlane({
        dir: mkdtempSync(path.join(tmpdir(), 'kubevirt-common-')),
        clusters: 1,
        simulator: false,
        binaries,
      });
      cluster = plane.clusters[0];
    }
    kc = kubeConfigFor(cluster);
  }, 30 * 60_000);

  afterAll(async () => {
    await oracle?.stop();
    for (const namespace of namespaces)
      await deleteTestNamespace(cluster, namespace);
    if (plane) {
      await plane.stop();
      fs.rmSync(plane.dir, { recursive: true, force: true });
    }
  }, 120_000);

  async function namespaceFor(labels: Record<string, string> = {}) {
    const namespace = await createTestNamespace(cluster, 'quota', labels);
    namespaces.push(namespace);
    return namespace;
  }

  const limitRange: LimitRangeLike = {
    metadata: { name: 'defaults' },
    spec: {
      limits: [
        {
          type: 'Container',
          default: { 'ephemeral-storage': '1Gi' },
          defaultRequest: { 'ephemeral-storage': '100Mi' },
        },
      ],
    },
  };
  const hard = {
    'requests.cpu': '1k',
    'requests.memory': '10Ti',
    'limits.cpu': '1k',
    'limits.memory': '20Ti',
    'requests.ephemeral-storage': '1Ti',
    'limits.ephemeral-storage': '1Ti',
    'requests.hugepages-2Mi': '1Ti',
    'requests.hugepages-1Gi': '1Ti',
    'requests.devices.kubevirt.io/kvm': '100',
    pods: '100',
  };

  const apiserverShapes: Array<[string, Shape]> = [
    [
      'custom 2 vCPUs, DataVolume disk',
      {
        title: '',
        vmi: vmi(custom({ cores: 2 }, '4Gi'), {}, {}, 'dataVolume'),
      },
    ],
    [
      'custom 4 vCPUs, ratio 3, no console log',
      {
        title: '',
        vmi: vmi(
          custom({ cores: 4 }, '4Gi', { logSerialConsole: false }),
          {},
          {},
          'dataVolume',
        ),
        kubevirt: { developerConfiguration: { cpuAllocationRatio: 3 } },
      },
    ],
    [
      'cx1.medium (dedicated CPUs, hugepages)',
      {
        title: '',
        vmi: vmi({}, {}, {}, 'dataVolume'),
        instancetype: 'cx1.medium',
      },
    ],
    [
      'm1.large1gi with memory ratio 1.25',
      {
        title: '',
        vmi: vmi({}, {}, {}, 'dataVolume'),
        instancetype: 'm1.large1gi',
        namespaceLabels: {
          'alpha.kubevirt.io/auto-memory-limits-ratio': '1.25',
        },
      },
    ],
    [
      'ImageVolume off, containerDisk containers and init containers',
      {
        title: '',
        vmi: vmi(custom({ cores: 1 }, '1Gi')),
        kubevirt: {
          developerConfiguration: { disabledFeatureGates: ['ImageVolume'] },
        },
      },
    ],
  ];

  it.each(apiserverShapes)('%s', async (_title, shape) => {
    const instancetype = shape.instancetype
      ? parse(
          fs.readFileSync(
            path.join(
              instancetypesDir,
              `clusterinstancetype-${shape.instancetype}.yaml`,
            ),
            'utf8',
          ),
        )
      : undefined;
    const namespace = await namespaceFor(shape.namespaceLabels);
    const quota = { metadata: { name: 'compute', namespace }, spec: { hard } };
    await kubeRequest(
      kc,
      'POST',
      `/api/v1/namespaces/${namespace}/limitranges`,
      { ...limitRange, metadata: { name: 'defaults' } },
    );
    await kubeRequest(
      kc,
      'POST',
      `/api/v1/namespaces/${namespace}/resourcequotas`,
      quota,
    );
    // Quota admission refuses pods until the quota controller has filled in status.hard.
    for (let i = 0; ; i++) {
      const current = await kubeRequest<any>(
        kc,
        'GET',
        `/api/v1/namespaces/${namespace}/resourcequotas/compute`,
      );
      if (current.status?.hard) break;
      if (i > 300)
        throw new Error('the quota controller did not fill in status.hard');
      await new Promise(r => setTimeout(r, 100));
    }
    const v = { ...shape.vmi, metadata: { ...shape.vmi.metadata, namespace } };
    const answer = await oracle.render({
      vmi: v as any,
      kubevirt: shape.kubevirt,
      namespaceQuotas: [quota] as any,
      namespaceLabels: shape.namespaceLabels,
      pvcs: dataVolumeClaims(v).map(c => ({
        ...c,
        metadata: { ...c.metadata, namespace },
      })) as any,
      instancetype,
    });
    const mine = launcherPodResources(
      { vmi: v, instancetype: instancetype?.spec },
      {
        kubevirt: shape.kubevirt,
        namespaceQuotas: [quota],
        namespaceLabels: shape.namespaceLabels,
        limitRanges: [limitRange],
      },
    );
    expect(mine.problems).toEqual([]);
    const pod = answer.pod as any;
    delete pod.metadata.ownerReferences;
    pod.metadata.namespace = namespace;
    const created = await kubeRequest<any>(
      kc,
      'POST',
      `/api/v1/namespaces/${namespace}/pods`,
      pod,
    );

    const admitted = [
      ...created.spec.containers,
      ...(created.spec.initContainers ?? []),
    ].map((c: any) => ({
      name: c.name,
      requests: quantities(c.resources?.requests),
      limits: quantities(c.resources?.limits),
    }));
    expect(
      mine.admittedContainers.map(c => ({
        name: c.name,
        requests: nanos(c.requests),
        limits: nanos(c.limits),
      })),
    ).toEqual(admitted);

    const used = (
      await kubeRequest<any>(
        kc,
        'GET',
        `/api/v1/namespaces/${namespace}/resourcequotas/compute`,
      )
    ).status.used;
    const expected = Object.fromEntries(
      Object.keys(hard).map(key => [key, mine.quotaUsage[key]?.nanos ?? 0n]),
    );
    expect(quantities(used)).toEqual(expected);
  });

  it('is refused by the API server when a LimitRange default limit is below what KubeVirt requests', async () => {
    const namespace = await namespaceFor();
    const small: LimitRangeLike = {
      metadata: { name: 'small' },
      spec: { limits: [{ type: 'Container', default: { memory: '512Mi' } }] },
    };
    await kubeRequest(
      kc,
      'POST',
      `/api/v1/namespaces/${namespace}/limitranges`,
      small,
    );
    const v = {
      ...vmi(custom({ cores: 1 }, '2Gi'), {}, {}, 'dataVolume'),
      metadata: { name: 'vm1', namespace },
    };
    const answer = await oracle.render({
      vmi: v as any,
      pvcs: dataVolumeClaims(v).map(c => ({
        ...c,
        metadata: { ...c.metadata, namespace },
      })) as any,
    });
    const mine = launcherPodResources({ vmi: v }, { limitRanges: [small] });
    expect(mine.problems).toEqual([
      "the compute container's memory request 2316Mi is above its limit 512Mi (a default of LimitRange small), so the API server would refuse the pod",
    ]);
    const pod = answer.pod as any;
    delete pod.metadata.ownerReferences;
    const refused = await kubeRequest(
      kc,
      'POST',
      `/api/v1/namespaces/${namespace}/pods`,
      pod,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(KubeRequestError);
    expect(String((refused as Error).message)).toMatch(
      /must be less than or equal to memory limit/,
    );
  });
});
