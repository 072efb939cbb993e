import type {
  InstancetypeObject,
  InstancetypeSpecLike,
} from '../kube/kubevirtObjects';

/** The common-instancetypes release the fallback copies (bundled with KubeVirt v1.9.0). */
export const COMMON_INSTANCETYPES_VERSION = 'v1.7.0';

const LABEL = 'instancetype.kubevirt.io';

interface SeriesDefinition {
  series: string;
  displayName: string;
  description: string;
  labels: Record<string, string>;
  /** size → [vCPUs, guest memory] */
  sizes: Array<[string, number, string]>;
  /** sizes that also come with 1Gi hugepages as `<size>1gi` */
  hugepages?: boolean;
  spec(vcpus: number, memory: string, pageSize?: string): InstancetypeSpecLike;
}

const U_SIZES: Array<[string, number, string]> = [
  ['nano', 1, '512Mi'],
  ['micro', 1, '1Gi'],
  ['small', 1, '2Gi'],
  ['medium', 1, '4Gi'],
  ['2xmedium', 2, '4Gi'],
  ['large', 2, '8Gi'],
  ['xlarge', 4, '16Gi'],
  ['2xlarge', 8, '32Gi'],
  ['4xlarge', 16, '64Gi'],
  ['8xlarge', 32, '128Gi'],
];

const SERIES: SeriesDefinition[] = [
  {
    series: 'u1',
    displayName: 'General Purpose',
    description:
      'General purpose: vCPUs share physical cores on a time-slice basis with other VMs.',
    labels: { class: 'general.purpose', 'icon-pf': 'pficon-server-group' },
    sizes: U_SIZES,
    spec: (guest, memory) => ({ cpu: { guest }, memory: { guest: memory } }),
  },
  {
    series: 'o1',
    displayName: 'Overcommitted',
    description: 'Like u1, with half of the guest memory overcommitted.',
    labels: { class: 'overcommitted', 'icon-pf': 'pficon-virtual-machine' },
    sizes: U_SIZES.filter(([size]) => size !== '2xmedium'),
    spec: (guest, memory) => ({
      cpu: { guest },
      memory: { guest: memory, overcommitPercent: 50 },
    }),
  },
  {
    series: 'cx1',
    displayName: 'Compute Exclusive',
    description:
      'Dedicated CPUs with an isolated emulator thread, guest NUMA topology and hugepages; needs the CPU manager and hugepages on the nodes.',
    labels: {
      class: 'compute.exclusive',
      dedicatedCPUPlacement: 'true',
      'icon-pf': 'pficon-registry',
      isolateEmulatorThread: 'true',
      numa: 'true',
    },
    sizes: [
      ['medium', 1, '2Gi'],
      ['large', 2, '4Gi'],
      ['xlarge', 4, '8Gi'],
      ['2xlarge', 8, '16Gi'],
      ['4xlarge', 16, '32Gi'],
      ['8xlarge', 32, '64Gi'],
    ],
    hugepages: true,
    spec: (guest, memory, pageSize = '2Mi') => ({
      cpu: {
        dedicatedCPUPlacement: true,
        guest,
        isolateEmulatorThread: true,
        maxSockets: guest,
        numa: { guestMappingPassthrough: {} },
      },
      ioThreadsPolicy: 'auto',
      memory: { guest: memory, hugepages: { pageSize } },
    }),
  },
  {
    series: 'm1',
    displayName: 'Memory Intensive',
    description:
      'Memory intensive: hugepages-backed guest memory; needs hugepages on the nodes.',
    labels: { class: 'memory.intensive', 'icon-pf': 'fa-memory' },
    sizes: [
      ['large', 2, '16Gi'],
      ['xlarge', 4, '32Gi'],
      ['2xlarge', 8, '64Gi'],
      ['4xlarge', 16, '128Gi'],
      ['8xlarge', 32, '256Gi'],
    ],
    hugepages: true,
    spec: (guest, memory, pageSize = '2Mi') => ({
      cpu: { guest },
      memory: { guest: memory, hugepages: { pageSize } },
    }),
  },
];

function instancetype(
  definition: SeriesDefinition,
  size: string,
  vcpus: number,
  memory: string,
  pageSize?: string,
): InstancetypeObject {
  const spec = definition.spec(vcpus, memory, pageSize);
  const labels: Record<string, string> = {
    [`${LABEL}/common-instancetypes-version`]: COMMON_INSTANCETYPES_VERSION,
    [`${LABEL}/cpu`]: String(vcpus),
    [`${LABEL}/memory`]: memory,
    [`${LABEL}/size`]: size,
    [`${LABEL}/vendor`]: 'kubevirt.io',
    [`${LABEL}/version`]: '1',
  };
  for (const [key, value] of Object.entries(definition.labels)) {
    labels[`${LABEL}/${key}`] = value;
  }
  if (spec.memory.hugepages)
    labels[`${LABEL}/hugepages`] = spec.memory.hugepages.pageSize;
  return {
    apiVersion: 'instancetype.kubevirt.io/v1beta1',
    kind: 'VirtualMachineClusterInstancetype',
    metadata: {
      name: `${definition.series}.${size}`,
      labels,
      annotations: {
        [`${LABEL}/displayName`]: definition.displayName,
        [`${LABEL}/description`]: definition.description,
      },
    },
    spec,
  };
}

/**
 * The u1, o1, cx1 and m1 cluster instancetypes of common-instancetypes v1.7.0 (the
 * bundle KubeVirt v1.9.0 deploys), for clusters that offer none: same names, specs and
 * labels as the real objects (descriptions shortened).
 *
 * @public
 */
export function commonInstancetypes(): InstancetypeObject[] {
  const result: InstancetypeObject[] = [];
  for (const definition of SERIES) {
    for (const [size, vcpus, memory] of definition.sizes) {
      result.push(instancetype(definition, size, vcpus, memory));
      if (definition.hugepages) {
        result.push(
          instancetype(definition, `${size}1gi`, vcpus, memory, '1Gi'),
        );
      }
    }
  }
  return result;
}
