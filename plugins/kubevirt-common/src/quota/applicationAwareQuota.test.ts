import type { KubeVirtConfigurationLike } from '../kube/kubevirtObjects';
import type { ResourceQuantities } from '../kube/podResources';
import {
  AaqCalculationMode,
  aaqCalculationMode,
  aaqGatesNamespace,
  AaqMigration,
  AaqPod,
  aaqPodUsage,
  AaqVirtualMachineInstance,
  isAaqSchedulableResource,
} from './applicationAwareQuota';

/*
 * The cases of AAQ v1.8.0's own calculator test
 * (pkg/aaq-controller/built-in-usage-calculators/virt-launcher-usage-calc_test.go,
 * "Test PodUsageFunc when"), as read there: the same pods, VMIs, migrations and
 * expected resource lists. Where AAQ's calculator does not match or errs, AAQ's
 * evaluator falls back to Kubernetes' pod evaluator; the expectations here say what the
 * ApplicationAwareResourceQuota then counts.
 */

const ns = 'fakeNs';
const vmiName = 'fakeVmiName';
const vmiUid = '123';
const migrationUid = '1234';
const migrationName = 'fakeVmimName';

function launcher(
  name: string,
  options: {
    created?: string;
    node?: string;
    migration?: boolean;
    containers?: Array<{ name: string; cpu: string; memory: string }>;
    gated?: boolean;
  } = {},
): AaqPod {
  return {
    metadata: {
      name,
      namespace: ns,
      ownerReferences: [
        { kind: 'VirtualMachineInstance', name: vmiName, uid: vmiUid },
      ],
      labels: {
        'kubevirt.io': 'virt-launcher',
        ...(options.migration && {
          'kubevirt.io/migrationJobUID': migrationUid,
        }),
      },
      ...(options.migration && {
        annotations: { 'kubevirt.io/migrationJobName': migrationName },
      }),
      ...(options.created && { creationTimestamp: options.created }),
    },
    spec: {
      ...(options.node && { nodeName: options.node }),
      ...(options.gated && {
        schedulingGates: [{ name: 'ApplicationAwareQuotaGate' }],
      }),
      containers: (options.containers ?? []).map(c => ({
        name: c.name,
        resources: {
          requests: { cpu: c.cpu, memory: c.memory },
          limits: { cpu: c.cpu, memory: c.memory },
        },
      })),
    },
  };
}

const pod = launcher('pod');
const sourcePod = launcher('sourcePod', {
  created: '2015-04-22T11:49:36Z',
  node: 'node1',
});
const targetPod = launcher('targetPod', {
  created: '2015-04-22T12:49:36Z',
  node: 'node2',
  migration: true,
});
const orphanPod = launcher('orphanPod', {
  created: '2015-04-22T10:49:36Z',
  node: 'node2',
});
const allThree = [sourcePod, orphanPod, targetPod];

function vmi(
  options: {
    requests?: Record<string, string>;
    limits?: Record<string, string>;
    guest?: string;
    topology?: [number, number, number];
    current?: [number, number, number];
    guestRequested?: string;
  } = {},
): AaqVirtualMachineInstance {
  const [cores, sockets, threads] = options.topology ?? [];
  return {
    metadata: { name: vmiName, namespace: ns, uid: vmiUid },
    spec: {
      domain: {
        resources: {
          ...(options.requests && { requests: options.requests }),
          ...(options.limits && { limits: options.limits }),
        },
        ...(options.guest && { memory: { guest: options.guest } }),
        ...(options.topology && { cpu: { cores, sockets, threads } }),
      },
    },
    status: {
      nodeName: 'node1',
      ...(options.current && {
        currentCPUTopology: {
          cores: options.current[0],
          sockets: options.current[1],
          threads: options.current[2],
        },
      }),
      ...(options.guestRequested && {
        memory: { guestRequested: options.guestRequested },
      }),
    },
  };
}

const migration: AaqMigration = {
  metadata: {
    name: migrationName,
    uid: migrationUid,
    creationTimestamp: '2015-04-22T12:30:36Z',
  },
  spec: { vmiName },
};

/** The usage as `resource=quantity` in canonical form, sorted. */
function list(usage: ResourceQuantities): Record<string, string> {
  return Object.fromEntries(
    Object.keys(usage)
      .sort()
      .map(k => [k, usage[k].toString()]),
  );
}

function usageOf(
  subject: AaqPod,
  state: {
    vmis?: AaqVirtualMachineInstance[];
    migrations?: AaqMigration[];
    pods: AaqPod[];
    mode: AaqCalculationMode;
    kubevirt?: KubeVirtConfigurationLike;
  },
) {
  return list(
    aaqPodUsage(subject, {
      vmis: [],
      migrations: [],
      ...state,
    }),
  );
}

const virtual = (memory: string, cpu: string, pods = '1') => ({
  'count/pods': pods,
  cpu,
  'limits.cpu': cpu,
  'limits.memory': memory,
  memory,
  pods,
  'requests.cpu': cpu,
  'requests.memory': memory,
});

describe('aaqPodUsage, with the cases of AAQ v1.8.0 calculator tests', () => {
  it('counts a pod no VMI owns as Kubernetes does (the calculator does not match)', () => {
    expect(usageOf({}, { pods: [], mode: 'VmiPodUsage' })).toEqual({
      'count/pods': '1',
      pods: '1',
    });
  });

  it('counts a launcher pod whose VMI does not exist as Kubernetes does', () => {
    expect(usageOf(pod, { pods: [], mode: 'VmiPodUsage' })).toEqual({
      'count/pods': '1',
      pods: '1',
    });
  });

  it('counts a launcher pod not among the VMI live launcher pods as Kubernetes does (the calculator errs)', () => {
    expect(
      usageOf(pod, { vmis: [vmi()], pods: [], mode: 'VmiPodUsage' }),
    ).toEqual({ 'count/pods': '1', pods: '1' });
  });

  it('VmiPodUsage: the only launcher pod counts as the pod', () => {
    expect(
      usageOf(sourcePod, {
        vmis: [vmi()],
        pods: [sourcePod],
        mode: 'VmiPodUsage',
      }),
    ).toEqual({ 'count/pods': '1', pods: '1' });
  });

  it("VmiPodUsage: a migration's source pod counts as the pod", () => {
    expect(
      usageOf(sourcePod, {
        vmis: [vmi()],
        migrations: [migration],
        pods: allThree,
        mode: 'VmiPodUsage',
      }),
    ).toEqual({ 'count/pods': '1', pods: '1' });
  });

  it("VmiPodUsage: a migration's target pod counts only what it needs beyond the source (here zero)", () => {
    expect(
      usageOf(targetPod, {
        vmis: [vmi()],
        migrations: [migration],
        pods: allThree,
        mode: 'VmiPodUsage',
      }),
    ).toEqual({ 'count/pods': '0', pods: '0' });
  });

  it('an orphan launcher pod counts nothing', () => {
    expect(
      usageOf(orphanPod, {
        vmis: [vmi()],
        migrations: [migration],
        pods: allThree,
        mode: 'VmiPodUsage',
      }),
    ).toEqual({});
  });

  const during = { migrations: [migration], pods: allThree };

  it('VirtualResources: a VMI with resource limits counts its limits', () => {
    expect(
      usageOf(sourcePod, {
        ...during,
        vmis: [vmi({ limits: { cpu: '2', memory: '2Gi' } })],
        mode: 'VirtualResources',
      }),
    ).toEqual(virtual('2Gi', '2'));
  });

  it('VirtualResources: a VMI with resource requests counts its requests', () => {
    expect(
      usageOf(sourcePod, {
        ...during,
        vmis: [vmi({ requests: { cpu: '2', memory: '2Gi' } })],
        mode: 'VirtualResources',
      }),
    ).toEqual(virtual('2Gi', '2'));
  });

  it('VirtualResources: requests win over limits', () => {
    expect(
      usageOf(sourcePod, {
        ...during,
        vmis: [
          vmi({
            requests: { cpu: '2', memory: '2Gi' },
            limits: { cpu: '4', memory: '4Gi' },
          }),
        ],
        mode: 'VirtualResources',
      }),
    ).toEqual(virtual('2Gi', '2'));
  });

  it('VirtualResources: guest memory and the CPU topology win over requests and limits', () => {
    expect(
      usageOf(sourcePod, {
        ...during,
        vmis: [
          vmi({
            requests: { cpu: '2', memory: '2Gi' },
            limits: { cpu: '4', memory: '4Gi' },
            guest: '5Gi',
            topology: [2, 2, 2],
          }),
        ],
        mode: 'VirtualResources',
      }),
    ).toEqual(virtual('5Gi', '8'));
  });

  it("VirtualResources: during a hotplug the source pod counts the guest's current memory and CPUs", () => {
    expect(
      usageOf(sourcePod, {
        ...during,
        vmis: [
          vmi({
            guest: '2Gi',
            topology: [1, 1, 1],
            current: [2, 2, 2],
            guestRequested: '5Gi',
          }),
        ],
        mode: 'VirtualResources',
      }),
    ).toEqual(virtual('5Gi', '8'));
  });

  it('VirtualResources: during a hotplug the target pod counts the desired minus the current', () => {
    expect(
      usageOf(targetPod, {
        ...during,
        vmis: [
          vmi({
            guest: '5Gi',
            topology: [2, 2, 2],
            current: [1, 1, 1],
            guestRequested: '2Gi',
          }),
        ],
        mode: 'VirtualResources',
      }),
    ).toEqual(virtual('3Gi', '7', '0'));
  });

  it('VirtualResources: a target pod asking less than the source counts zero', () => {
    expect(
      usageOf(targetPod, {
        ...during,
        vmis: [
          vmi({
            guest: '2Gi',
            topology: [1, 1, 1],
            current: [2, 2, 2],
            guestRequested: '5Gi',
          }),
        ],
        mode: 'VirtualResources',
      }),
    ).toEqual(virtual('0', '0', '0'));
  });

  it('VirtualResources: a target that became the only pod before the hotplug finished counts the requested memory', () => {
    expect(
      usageOf(sourcePod, {
        migrations: [migration],
        pods: [sourcePod],
        vmis: [
          vmi({
            guest: '2Gi',
            topology: [1, 1, 1],
            current: [2, 2, 2],
            guestRequested: '5Gi',
          }),
        ],
        mode: 'VirtualResources',
      }),
    ).toEqual(virtual('5Gi', '8'));
  });

  it('DedicatedVirtualResources: only the /vmi resources, from the guest', () => {
    expect(
      usageOf(sourcePod, {
        ...during,
        vmis: [vmi({ guest: '5Gi', topology: [2, 2, 2] })],
        mode: 'DedicatedVirtualResources',
      }),
    ).toEqual({
      'cpu/vmi': '8',
      'instances/vmi': '1',
      'memory/vmi': '5Gi',
      'requests.cpu/vmi': '8',
      'requests.instances/vmi': '1',
      'requests.memory/vmi': '5Gi',
    });
  });

  const withSidecar = launcher('pod-with-compute', {
    created: '2015-04-22T11:49:36Z',
    node: 'node1',
    containers: [
      { name: 'compute', cpu: '2', memory: '2Gi' },
      { name: 'sidecar', cpu: '1', memory: '1Gi' },
    ],
  });

  it('GuestEffectiveResources: only the compute container counts (no KubeVirt CR: no overhead taken off)', () => {
    expect(
      usageOf(withSidecar, {
        vmis: [vmi()],
        pods: [withSidecar],
        mode: 'GuestEffectiveResources',
      }),
    ).toEqual(virtual('2Gi', '2'));
  });
});

describe('aaqPodUsage, beyond the calculator tests', () => {
  it('counts a gated pod as nothing (AaqEvaluator.Usage)', () => {
    const gated = launcher('gated', {
      gated: true,
      containers: [{ name: 'compute', cpu: '1', memory: '1Gi' }],
    });
    expect(
      usageOf(gated, { vmis: [vmi()], pods: [gated], mode: 'VmiPodUsage' }),
    ).toEqual({});
  });

  it('GuestEffectiveResources takes KubeVirt overhead off requests.memory and limits.memory, not off memory', () => {
    // Guest 2Gi, 1 vCPU, no memory request: overhead 220 + 8 + 8 + 32 = 268Mi.
    const compute = launcher('compute-only', {
      node: 'node1',
      containers: [{ name: 'compute', cpu: '100m', memory: '2316Mi' }],
    });
    const guest = vmi({ guest: '2Gi', topology: [1, 1, 1] });
    expect(
      usageOf(compute, {
        vmis: [guest],
        pods: [compute],
        mode: 'GuestEffectiveResources',
        kubevirt: {},
      }),
    ).toEqual({
      'count/pods': '1',
      cpu: '100m',
      'limits.cpu': '100m',
      'limits.memory': '2Gi',
      memory: '2316Mi',
      pods: '1',
      'requests.cpu': '100m',
      'requests.memory': '2Gi',
    });
  });

  it('IgnoreVmiCalculator counts launcher pods as Kubernetes does', () => {
    const running = launcher('running', {
      node: 'node1',
      containers: [{ name: 'compute', cpu: '100m', memory: '2316Mi' }],
    });
    expect(
      usageOf(running, {
        vmis: [vmi({ guest: '2Gi', topology: [1, 1, 1] })],
        pods: [running],
        mode: 'IgnoreVmiCalculator',
      }),
    ).toEqual({
      'count/pods': '1',
      cpu: '100m',
      'limits.cpu': '100m',
      'limits.memory': '2316Mi',
      memory: '2316Mi',
      pods: '1',
      'requests.cpu': '100m',
      'requests.memory': '2316Mi',
    });
  });

  it('counts a finished pod only in count/pods', () => {
    const done: AaqPod = {
      ...launcher('done', {
        containers: [{ name: 'compute', cpu: '1', memory: '1Gi' }],
      }),
      status: { phase: 'Succeeded' },
    };
    expect(
      usageOf(done, {
        vmis: [vmi({ guest: '2Gi' })],
        pods: [done],
        mode: 'VirtualResources',
      }),
    ).toEqual({ 'count/pods': '1' });
  });
});

describe('aaqCalculationMode', () => {
  it("is the CR's configName when AAQ knows it, else VmiPodUsage as AAQ's controller falls back to", () => {
    expect(aaqCalculationMode('DedicatedVirtualResources')).toBe(
      'DedicatedVirtualResources',
    );
    expect(aaqCalculationMode('IgnoreVmiCalculator')).toBe(
      'IgnoreVmiCalculator',
    );
    expect(aaqCalculationMode(undefined)).toBe('VmiPodUsage');
    expect(aaqCalculationMode('')).toBe('VmiPodUsage');
    expect(aaqCalculationMode('Bogus')).toBe('VmiPodUsage');
  });
});

describe('isAaqSchedulableResource', () => {
  it('splits resources as AAQ does between itself and its managed ResourceQuota', () => {
    const counted = [
      'pods',
      'cpu',
      'memory',
      'ephemeral-storage',
      'requests.cpu',
      'limits.memory',
      'requests.memory/vmi',
      'requests.instances/vmi',
      'requests.nvidia.com/gpu',
    ];
    const mirrored = [
      'requests.storage',
      'count/pods',
      'persistentvolumeclaims',
      'gold.storageclass.storage.k8s.io/requests.storage',
      'cpu/vmi',
      'memory/vmi',
      'instances/vmi',
      'hugepages-2Mi',
      'services',
    ];
    expect(counted.filter(isAaqSchedulableResource)).toEqual(counted);
    expect(mirrored.filter(isAaqSchedulableResource)).toEqual([]);
  });
});

describe('aaqGatesNamespace', () => {
  it("follows the CR's namespaceSelector, else AAQ's enable-gating label key", () => {
    const label = 'application-aware-quota/enable-gating';
    expect(aaqGatesNamespace(undefined, { [label]: '' })).toBe(true);
    expect(aaqGatesNamespace(undefined, { team: 'a' })).toBe(false);
    const selector = { matchLabels: { team: 'a' } };
    expect(aaqGatesNamespace(selector, { team: 'a' })).toBe(true);
    expect(aaqGatesNamespace(selector, { [label]: '' })).toBe(false);
    expect(aaqGatesNamespace({}, {})).toBe(true);
  });
});
