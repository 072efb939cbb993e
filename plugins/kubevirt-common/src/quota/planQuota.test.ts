import { Quantity } from '../kube/Quantity';
import type { ResourceQuotaLike } from '../kube/kubernetesObjects';
import { validateVirtualMachineRequest } from '../request/validateVirtualMachineRequest';
import { SizeCatalog } from '../sizes/SizeCatalog';
import { diskClaimPlan, StorageClassInfo } from './dataVolumeStorage';
import { planQuota, QuotaPlan } from './planQuota';

const sizes = SizeCatalog.fallback();
const GI = 1024n ** 3n;

function request(overrides: Record<string, unknown> = {}) {
  return validateVirtualMachineRequest({
    name: 'db-01',
    namespace: 'team-a',
    cluster: 'c1',
    owner: 'team-a',
    size: { instancetype: { name: 'u1.2xlarge' } },
    image: {
      dataSource: { name: 'fedora', namespace: 'os-images' },
      size: '50Gi',
    },
    disks: [{ name: 'data', size: '200Gi', storageClass: 'fast' }],
    ...overrides,
  });
}

const teamQuota: ResourceQuotaLike = {
  metadata: { name: 'team-quota', namespace: 'team-a' },
  spec: {
    hard: {
      'requests.cpu': '4',
      'requests.memory': '48Gi',
      'limits.cpu': '16',
      'limits.memory': '96Gi',
      pods: '10',
      'count/virtualmachines.kubevirt.io': '5',
      'requests.storage': '500Gi',
      persistentvolumeclaims: '10',
      'fast.storageclass.storage.k8s.io/requests.storage': '250Gi',
      'count/datavolumes.cdi.kubevirt.io': '10',
      'requests.ephemeral-storage': '10Gi',
      services: '5',
      'count/deployments.apps': '3',
    },
  },
  status: {
    used: {
      'requests.cpu': '1500m',
      'requests.memory': '18Gi',
      'limits.memory': '36Gi',
      pods: '3',
      'requests.storage': '120Gi',
      'fast.storageclass.storage.k8s.io/requests.storage': '20Gi',
      persistentvolumeclaims: '3',
      'count/virtualmachines.kubevirt.io': '3',
    },
  },
};

const storageClasses: StorageClassInfo[] = [
  { name: 'standard', isDefault: true, csi: true },
  { name: 'fast', csi: true, volumeMode: 'Block' },
];

function table(plan: QuotaPlan) {
  return plan.rows.map(r => [
    r.resource,
    r.hard.toString(),
    r.used.toString(),
    r.thisVm.toString(),
    r.duringImportOnly.toString(),
    r.after.toString(),
    r.fits,
  ]);
}

describe('planQuota', () => {
  it('lists every quota resource the VM touches, with shortfalls a VM admin can act on', () => {
    const plan = planQuota({
      request: request(),
      sizes,
      quotas: [teamQuota],
      storageClasses,
    });
    // u1.2xlarge: 8 vCPUs / 10 = 800m + 5m console log; 32Gi + 324Mi overhead, + 35M for
    // the console log; limits (the quota has limits.*): 8 CPUs + 15m, 2 × memory + 60M.
    // Disks: 50Gi on Filesystem + 6% = 53Gi (a clone: its temporary claim lives in
    // os-images); 200Gi Block on a CSI class, plus a 200Gi populator PVC' while filled.
    expect(table(plan)).toEqual([
      ['count/datavolumes.cdi.kubevirt.io', '10', '0', '2', '0', '2', true],
      ['count/virtualmachines.kubevirt.io', '5', '3', '1', '0', '4', true],
      [
        'fast.storageclass.storage.k8s.io/requests.storage',
        '250Gi',
        '20Gi',
        '400Gi',
        '200Gi',
        '420Gi',
        false,
      ],
      ['limits.cpu', '16', '0', '8015m', '0', '8015m', true],
      [
        'limits.memory',
        '96Gi',
        '36Gi',
        '69458953984',
        '0',
        '108113659648',
        false,
      ],
      ['persistentvolumeclaims', '10', '3', '3', '1', '6', true],
      ['pods', '10', '3', '1', '0', '4', true],
      ['requests.cpu', '4', '1500m', '805m', '0', '2305m', true],
      ['requests.ephemeral-storage', '10Gi', '0', '50M', '0', '50M', true],
      [
        'requests.memory',
        '48Gi',
        '18Gi',
        '34734476992',
        '0',
        '54061829824',
        false,
      ],
      ['requests.storage', '500Gi', '120Gi', '453Gi', '200Gi', '573Gi', false],
    ]);
    expect(plan.rows[9].thisVm.value()).toBe(
      32n * GI + 324n * 1024n ** 2n + 35_000_000n,
    );
    expect(plan.fits).toBe(false);
    expect(plan.problems).toEqual([]);
    expect(plan.shortfalls).toEqual([
      'team-quota: fast.storageclass.storage.k8s.io/requests.storage would be 420 GiB of 250 GiB (short by 170 GiB; 200 GiB of it is needed only while the disks are imported). Choose smaller disks or fewer of them, or ask the platform team to raise the quota.',
      'team-quota: limits.memory would be 100.7 GiB of 96 GiB (short by 4.7 GiB). Choose a smaller size or ask the platform team to raise the quota.',
      'team-quota: requests.memory would be 50.3 GiB of 48 GiB (short by 2.4 GiB). Choose a smaller size or ask the platform team to raise the quota.',
      'team-quota: requests.storage would be 573 GiB of 500 GiB (short by 73 GiB; 200 GiB of it is needed only while the disks are imported). Choose smaller disks or fewer of them, or ask the platform team to raise the quota.',
    ]);
  });

  it('fits a smaller VM, and counts the launcher pod as KubeVirt renders it', () => {
    const plan = planQuota({
      request: request({
        size: { instancetype: { name: 'u1.medium' } },
        disks: [],
      }),
      sizes,
      quotas: [teamQuota],
      storageClasses,
    });
    expect(plan.fits).toBe(true);
    expect(plan.shortfalls).toEqual([]);
    const memory = plan.rows.find(r => r.resource === 'requests.memory')!;
    expect(memory.thisVm.equals(plan.launcher!.pod.requests.memory)).toBe(true);
    expect(
      plan.launcher!.compute.limits.memory.equals(
        plan.launcher!.compute.requests.memory.mul(2),
      ),
    ).toBe(true);
  });

  it("holds a registry import at its peak: the disk, the populator PVC' and the scratch PVC at once", () => {
    const plan = planQuota({
      request: request({
        image: {
          registry: { url: 'docker://quay.io/containerdisks/fedora:41' },
          size: '30Gi',
        },
        disks: [],
      }),
      sizes,
      quotas: [
        {
          metadata: { name: 'storage' },
          spec: {
            hard: {
              'requests.storage': '100Gi',
              'standard.storageclass.storage.k8s.io/persistentvolumeclaims':
                '2',
            },
          },
        },
      ],
      storageClasses,
    });
    const [disk] = plan.disks;
    // ceil(30Gi × 1.06); scratch: the usable 30720Mi plus 6%, rounded up to 1Mi.
    expect(disk.claim.value()).toBe(34144990004n);
    expect(
      disk.temporaryClaims.map(t => [t.purpose, t.size.toString()]),
    ).toEqual([
      ['populator', '34144990004'],
      ['scratch', '32564Mi'],
    ]);
    expect(table(plan)).toEqual([
      [
        'requests.storage',
        '100Gi',
        '0',
        '102435808872',
        '68290818868',
        '102435808872',
        true,
      ],
      [
        'standard.storageclass.storage.k8s.io/persistentvolumeclaims',
        '2',
        '0',
        '3',
        '2',
        '3',
        false,
      ],
    ]);
    expect(plan.shortfalls).toEqual([
      'storage: standard.storageclass.storage.k8s.io/persistentvolumeclaims would be 3 of 2 (short by 1; 2 of it is needed only while the disks are imported). Choose smaller disks or fewer of them, or ask the platform team to raise the quota.',
    ]);
  });

  it('counts importer pods, and the VM pod beside them on WaitForFirstConsumer storage', () => {
    const quota = {
      metadata: { name: 'pods' },
      spec: { hard: { pods: '2', 'requests.cpu': '10' } },
    };
    const imported = {
      size: { cpu: { cores: 2 }, memory: '2Gi' },
      image: { http: { url: 'https://example.com/disk.qcow2' }, size: '20Gi' },
    };
    const immediate = planQuota({
      request: request(imported),
      sizes,
      quotas: [quota],
      storageClasses,
    });
    // Two disks: two importer pods while they fill, then one VM pod.
    expect(table(immediate)).toEqual([
      ['pods', '2', '0', '2', '1', '2', true],
      ['requests.cpu', '10', '0', '205m', '0', '205m', true],
    ]);
    const wffc = planQuota({
      request: request(imported),
      sizes,
      quotas: [quota],
      storageClasses: storageClasses.map(c => ({
        ...c,
        waitForFirstConsumer: true,
      })),
    });
    expect(table(wffc)).toEqual([
      ['pods', '2', '0', '3', '2', '3', false],
      ['requests.cpu', '10', '0', '405m', '200m', '405m', true],
    ]);
  });

  it('uses the CDIConfig overhead, block mode and the StorageProfile minimum', () => {
    const cdiConfig = {
      status: {
        filesystemOverhead: {
          global: '0.1',
          storageClass: { standard: '0.055' },
        },
      },
    };
    const plan = (
      size: string,
      storageClass: string,
      classes = storageClasses,
    ) =>
      diskClaimPlan({
        disk: 'd',
        dataVolume: 'vm-d',
        source: 'blank',
        size,
        storageClass,
        namespace: 'ns',
        storageClasses: classes,
        cdiConfig,
      });
    expect(plan('10Gi', 'standard').claim.value()).toBe(11327976244n); // ceil(10Gi × 1.055)
    expect(plan('10Gi', 'standard').filesystemOverhead).toBe('0.055');
    expect(plan('10Gi', 'other').claim.value()).toBe(11811160064n); // 10Gi × 1.1
    expect(plan('10Gi', 'fast').claim.toString()).toBe('10Gi');
    expect(plan('1000001', 'other').claim.value()).toBe(1153434n); // aligned to 1Mi first
    expect(
      plan('1Gi', 'tiny', [
        { name: 'tiny', volumeMode: 'Block', minimumSupportedPvcSize: '4Gi' },
      ]).claim.toString(),
    ).toBe('4Gi');
    expect(
      diskClaimPlan({
        disk: 'd',
        dataVolume: 'vm-d',
        source: 'blank',
        size: '10Gi',
        namespace: 'ns',
      }).claim.value(),
    ).toBe(
      11381663335n, // CDI's default 6%, with no CDIConfig given
    );
  });

  it('reports what stops the plan besides numbers', () => {
    const unknownSize = planQuota({
      request: request({ size: { instancetype: { name: 'z9.huge' } } }),
      sizes,
      quotas: [teamQuota],
      storageClasses,
    });
    expect(unknownSize.fits).toBe(false);
    expect(unknownSize.problems).toContain(
      'The size z9.huge is not offered on cluster c1; choose one of its sizes.',
    );
    const noDefault = planQuota({
      request: request({
        disks: [{ name: 'data', size: '1Gi', storageClass: 'slow' }],
      }),
      sizes,
      quotas: [],
      storageClasses: [{ name: 'fast' }],
    });
    expect(noDefault.problems).toEqual([
      'Disk rootdisk names no storage class and the cluster has no default one; choose a storage class.',
      'Disk data: storage class slow does not exist on cluster c1; choose one it has.',
    ]);
    const limitRange = planQuota({
      request: request({
        size: { instancetype: { name: 'u1.medium' } },
        disks: [],
      }),
      sizes,
      quotas: [],
      storageClasses,
      limitRanges: [
        {
          metadata: { name: 'defaults' },
          spec: {
            limits: [{ type: 'Container', default: { memory: '512Mi' } }],
          },
        },
      ],
    });
    expect(limitRange.problems).toEqual([
      "The VM's pod would be refused: the compute container's memory request 4364Mi is above its limit 512Mi (a default of LimitRange defaults), so the API server would refuse the pod.",
    ]);
  });

  it("refuses, in virt-api's words, a bridge on the pod network that the KubeVirt CR forbids", () => {
    const bridgeRequest = request({
      size: { instancetype: { name: 'u1.medium' } },
      disks: [],
      networkInterfaces: [{ name: 'default', type: 'pod', binding: 'bridge' }],
    });
    const refused = planQuota({
      request: bridgeRequest,
      sizes,
      quotas: [],
      storageClasses,
      // KubeVirt's field is `network`: its setting must be read from there.
      kubevirt: { network: { permitBridgeInterfaceOnPodNetwork: false } },
    });
    expect(refused.fits).toBe(false);
    expect(refused.problems).toEqual([
      'KubeVirt would refuse the VM: Bridge on pod network configuration is not enabled under kubevirt-config.',
    ]);
    const permitted = planQuota({
      request: bridgeRequest,
      sizes,
      quotas: [],
      storageClasses,
    });
    expect(permitted.problems).toEqual([]);
  });

  it('says what it cannot count instead of being silently low', () => {
    const plain = planQuota({
      request: request({ size: { instancetype: { name: 'u1.medium' } } }),
      sizes,
      quotas: [],
      storageClasses,
    });
    expect(plain.unknowns).toEqual([]);
    const withRuntimeClass = planQuota({
      request: request({ size: { instancetype: { name: 'u1.medium' } } }),
      sizes,
      quotas: [],
      storageClasses,
      kubevirt: { defaultRuntimeClass: 'kata' },
    });
    expect(withRuntimeClass.fits).toBe(true);
    expect(withRuntimeClass.unknowns).toEqual([
      'the pod runs with RuntimeClass kata; its pod overhead, if it has one, is added to what the quota counts and is not included here',
    ]);
  });

  it("counts the SR-IOV pool a multus network's NetworkAttachmentDefinition names, where KubeVirt requests it", () => {
    const sriovRequest = request({
      size: { instancetype: { name: 'u1.medium' } },
      disks: [],
      networkInterfaces: [
        { name: 'default', type: 'pod' },
        { name: 'fast', type: 'multus', networkName: 'sriov-a' },
      ],
    });
    const sriovQuota: ResourceQuotaLike = {
      metadata: { name: 'devices', namespace: 'team-a' },
      spec: { hard: { 'requests.intel.com/sriov_netdevice': '2' } },
      status: { used: { 'requests.intel.com/sriov_netdevice': '2' } },
    };
    const nads = [
      {
        metadata: {
          name: 'sriov-a',
          namespace: 'team-a',
          annotations: {
            'k8s.v1.cni.cncf.io/resourceName': 'intel.com/sriov_netdevice',
          },
        },
      },
    ];
    const injectionOff = {
      developerConfiguration: {
        disabledFeatureGates: ['ExternalNetResourceInjection'],
      },
    };
    const full = planQuota({
      request: sriovRequest,
      sizes,
      quotas: [sriovQuota],
      storageClasses,
      kubevirt: injectionOff,
      networkAttachmentDefinitions: nads,
    });
    expect(full.fits).toBe(false);
    expect(table(full)).toEqual([
      ['requests.intel.com/sriov_netdevice', '2', '2', '1', '0', '3', false],
    ]);
    expect(full.unknowns).toEqual([]);

    // Not read (the credential may not): the plan says what it could not count.
    const unread = planQuota({
      request: sriovRequest,
      sizes,
      quotas: [sriovQuota],
      storageClasses,
      kubevirt: injectionOff,
    });
    expect(unread.unknowns).toEqual([
      "with ExternalNetResourceInjection off, KubeVirt requests the device pool named by each multus network's NetworkAttachmentDefinition, which was not read; those devices are not included here",
    ]);

    // A NAD that does not exist: virt-controller would not create the pod.
    const missing = planQuota({
      request: sriovRequest,
      sizes,
      quotas: [sriovQuota],
      storageClasses,
      kubevirt: injectionOff,
      networkAttachmentDefinitions: [],
    });
    expect(missing.problems).toEqual([
      "The VM's pod would be refused: virt-controller would not create the pod: failed to locate network attachment definition team-a/sriov-a.",
    ]);

    // KubeVirt's default: multus' own webhook adds the pool, which the plan names.
    const injected = planQuota({
      request: sriovRequest,
      sizes,
      quotas: [sriovQuota],
      storageClasses,
      networkAttachmentDefinitions: nads,
    });
    expect(table(injected)).toEqual([]);
    expect(injected.unknowns).toEqual([
      "with ExternalNetResourceInjection on, the device pool intel.com/sriov_netdevice a multus network's NetworkAttachmentDefinition names is added to the pod by multus' network-resources-injector (where the cluster runs it), not by KubeVirt; not included here",
    ]);
  });

  it('adds what arm64 costs when the cluster is arm64 (the KubeVirt CR status)', () => {
    const plan = (kubevirtDefaultArchitecture?: string) =>
      planQuota({
        request: request({
          size: { instancetype: { name: 'u1.medium' } },
          disks: [],
        }),
        sizes,
        quotas: [],
        storageClasses,
        kubevirtDefaultArchitecture,
      });
    const amd64 = plan().launcher!.memoryOverhead;
    const arm64 = plan('arm64').launcher!.memoryOverhead;
    expect(arm64.sub(amd64).toString()).toBe('128Mi');
  });

  it('applies a scoped quota only to the pods it selects', () => {
    const scoped = (
      scopes: string[],
      selector?: object,
    ): ResourceQuotaLike => ({
      metadata: { name: scopes.join('-') || 'selector' },
      spec: {
        hard: { 'requests.cpu': '1', 'requests.storage': '1Gi', pods: '5' },
        scopes,
        ...(selector && { scopeSelector: selector }),
      },
    });
    const plan = planQuota({
      request: request({
        size: { cpu: { cores: 2 }, memory: '2Gi' },
        disks: [],
      }),
      sizes,
      quotas: [
        scoped(['NotTerminating', 'NotBestEffort']),
        scoped(['BestEffort']),
        scoped(['Terminating']),
        scoped([], {
          matchExpressions: [
            { scopeName: 'PriorityClass', operator: 'In', values: ['high'] },
          ],
        }),
        scoped([], {
          matchExpressions: [
            { scopeName: 'PriorityClass', operator: 'NotIn', values: ['high'] },
          ],
        }),
        scoped([], {
          matchExpressions: [
            { scopeName: 'PriorityClass', operator: 'Exists' },
          ],
        }),
      ],
      storageClasses,
    });
    expect(plan.rows.map(r => `${r.quota} ${r.resource} ${r.thisVm}`)).toEqual([
      'NotTerminating-NotBestEffort pods 1',
      'NotTerminating-NotBestEffort requests.cpu 205m',
      'selector pods 1',
      'selector requests.cpu 205m',
    ]);
  });

  it('formats CPU and counts in words', () => {
    const plan = planQuota({
      request: request({
        size: { cpu: { cores: 16 }, memory: '2Gi' },
        disks: [],
      }),
      sizes,
      quotas: [
        {
          metadata: { name: 'small' },
          spec: {
            hard: {
              'requests.cpu': '1500m',
              'count/virtualmachines.kubevirt.io': '2',
            },
          },
          status: {
            used: {
              'requests.cpu': '500m',
              'count/virtualmachines.kubevirt.io': '2',
            },
          },
        },
      ],
      storageClasses,
    });
    expect(plan.shortfalls).toEqual([
      'small: count/virtualmachines.kubevirt.io would be 3 of 2 (short by 1). Delete a VM you no longer need or ask the platform team to raise the quota.',
      'small: requests.cpu would be 2.105 CPUs of 1.5 CPUs (short by 0.605 CPU). Choose a smaller size or ask the platform team to raise the quota.',
    ]);
    expect(
      plan.rows
        .find(r => r.resource === 'requests.cpu')
        ?.thisVm.equals(Quantity.parse('1605m')),
    ).toBe(true);
  });
});

describe('planQuota with ApplicationAwareResourceQuotas', () => {
  const arq = (
    hard: Record<string, string>,
    used: Record<string, string> = {},
  ): ResourceQuotaLike => ({
    metadata: { name: 'team-vms', namespace: 'team-a' },
    spec: { hard },
    status: { hard, used },
  });
  const noDisks = {
    size: { instancetype: { name: 'u1.2xlarge' } },
    image: { containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
    disks: [],
  };
  const arqRows = (plan: QuotaPlan) =>
    plan.rows
      .filter(r => r.quotaKind === 'ApplicationAwareResourceQuota')
      .map(r => [r.quota, r.resource, r.thisVm.toString(), r.fits]);

  it('counts the guest in DedicatedVirtualResources, beside the ResourceQuotas, and names the ARQ in shortfalls', () => {
    const plan = planQuota({
      request: request(),
      sizes,
      storageClasses,
      quotas: [
        teamQuota,
        {
          // What AAQ keeps for the ARQ's storage: the ARQ's own rows say it.
          metadata: {
            name: 'team-vms-non-schedulable-resources-managed-rq-x',
          },
          spec: { hard: { 'requests.storage': '600Gi' } },
        },
      ],
      applicationAwareQuotas: [
        arq(
          {
            'requests.cpu/vmi': '16',
            'requests.memory/vmi': '40Gi',
            'requests.instances/vmi': '2',
            'requests.storage': '600Gi',
            'requests.cpu': '64',
          },
          {
            'requests.cpu/vmi': '4',
            'requests.memory/vmi': '16Gi',
            'requests.instances/vmi': '1',
            'requests.storage': '60Gi',
            'requests.cpu': '0',
          },
        ),
      ],
      aaqCalculationMode: 'DedicatedVirtualResources',
    });
    // The launcher pod counts only as the guest (8 vCPUs, 32Gi); the importer pod of
    // the blank disk counts as any pod; storage as Kubernetes counts it.
    expect(arqRows(plan)).toEqual([
      ['team-vms', 'requests.cpu', '100m', true],
      ['team-vms', 'requests.cpu/vmi', '8', true],
      ['team-vms', 'requests.instances/vmi', '1', true],
      ['team-vms', 'requests.memory/vmi', '32Gi', false],
      [
        'team-vms',
        'requests.storage',
        plan.rows
          .find(
            r => r.quota === 'team-quota' && r.resource === 'requests.storage',
          )!
          .thisVm.toString(),
        true,
      ],
    ]);
    expect(plan.rows.some(r => r.quota.endsWith('-managed-rq-x'))).toBe(false);
    expect(plan.rows.find(r => r.quota === 'team-quota')?.quotaKind).toBe(
      'ResourceQuota',
    );
    expect(plan.shortfalls).toContain(
      'ApplicationAwareResourceQuota team-vms: requests.memory/vmi would be 48 GiB of 40 GiB (short by 8 GiB). Choose a smaller size or ask the platform team to raise the quota.',
    );
    expect(plan.applicationAwareQuota).toEqual({
      aaqVersion: 'v1.8.0',
      calculationMode: 'DedicatedVirtualResources',
    });
  });

  it('counts what each calculation mode counts of the same launcher pod', () => {
    const hard = {
      'requests.memory': '1Ti',
      memory: '1Ti',
      'limits.memory': '1Ti',
      'requests.cpu': '100',
      pods: '10',
      'requests.memory/vmi': '1Ti',
    };
    const plan = (mode?: string, size = 'u1.2xlarge') =>
      planQuota({
        request: request({
          ...noDisks,
          size: { instancetype: { name: size } },
        }),
        sizes,
        quotas: [
          {
            metadata: { name: 'rq' },
            spec: { hard: { 'limits.memory': '1Ti' } },
          },
        ],
        applicationAwareQuotas: [arq(hard)],
        aaqCalculationMode: mode,
      });
    const usage = (p: QuotaPlan) =>
      Object.fromEntries(
        p.rows
          .filter(r => r.quotaKind === 'ApplicationAwareResourceQuota')
          .map(r => [r.resource, r.thisVm.toString()]),
      );
    const pod = plan('VmiPodUsage').launcher!;
    const podMemory = pod.pod.requests.memory.toString();
    const computeMemory = pod.compute.requests.memory;
    // No mode configured: AAQ's controller counts as VmiPodUsage, i.e. as the pod.
    for (const mode of [undefined, 'VmiPodUsage', 'IgnoreVmiCalculator']) {
      expect(usage(plan(mode))).toEqual({
        'limits.memory': pod.pod.limits.memory.toString(),
        memory: podMemory,
        pods: '1',
        'requests.cpu': pod.pod.requests.cpu.toString(),
        'requests.memory': podMemory,
      });
    }
    expect(usage(plan('VirtualResources'))).toEqual({
      'limits.memory': '32Gi',
      memory: '32Gi',
      pods: '1',
      'requests.cpu': '8',
      'requests.memory': '32Gi',
    });
    expect(usage(plan('DedicatedVirtualResources'))).toEqual({
      'requests.memory/vmi': '32Gi',
    });
    // The compute container without KubeVirt's overhead: the guest's share of the
    // request (o1: half the guest memory, overcommitted); bare `memory` keeps it.
    const o1 = plan('GuestEffectiveResources', 'o1.2xlarge');
    const o1Compute = o1.launcher!.compute;
    expect(usage(o1)).toEqual({
      'limits.memory': o1Compute.limits.memory
        .sub(o1.launcher!.memoryOverhead)
        .toString(),
      memory: o1Compute.requests.memory.toString(),
      pods: '1',
      'requests.cpu': o1Compute.requests.cpu.toString(),
      'requests.memory': '16Gi',
    });
    expect(computeMemory.toString()).not.toBe('32Gi');
  });

  it('leaves out ARQs of a namespace AAQ does not gate, and keeps the ResourceQuota AAQ made for them', () => {
    const plan = planQuota({
      request: request(noDisks),
      sizes,
      quotas: [
        {
          metadata: {
            name: 'team-vms-non-schedulable-resources-managed-rq-x',
          },
          spec: { hard: { 'count/virtualmachines.kubevirt.io': '1' } },
          status: { used: { 'count/virtualmachines.kubevirt.io': '1' } },
        },
      ],
      applicationAwareQuotas: [
        arq(
          {
            'requests.memory/vmi': '1Gi',
            'count/virtualmachines.kubevirt.io': '1',
          },
          { 'count/virtualmachines.kubevirt.io': '1' },
        ),
      ],
      aaqCalculationMode: 'DedicatedVirtualResources',
      aaqNamespaceSelector: {
        matchExpressions: [
          { key: 'application-aware-quota/enable-gating', operator: 'Exists' },
        ],
      },
      namespaceLabels: { team: 'a' },
    });
    expect(plan.rows.map(r => [r.quota, r.quotaKind, r.resource])).toEqual([
      [
        'team-vms-non-schedulable-resources-managed-rq-x',
        'ResourceQuota',
        'count/virtualmachines.kubevirt.io',
      ],
    ]);
    expect(plan.unknowns).toContain(
      'AAQ does not gate pods in namespace team-a (its namespaceSelector does not select it), so the ApplicationAwareResourceQuota team-vms limit only what the ResourceQuotas AAQ keeps beside them count; their other resources are left out',
    );
    expect(plan.applicationAwareQuota).toBeUndefined();

    const gated = planQuota({
      request: request(noDisks),
      sizes,
      quotas: [],
      applicationAwareQuotas: [arq({ 'requests.memory/vmi': '1Gi' })],
      aaqCalculationMode: 'DedicatedVirtualResources',
      aaqNamespaceSelector: {
        matchExpressions: [
          { key: 'application-aware-quota/enable-gating', operator: 'Exists' },
        ],
      },
      namespaceLabels: { 'application-aware-quota/enable-gating': '' },
    });
    expect(gated.fits).toBe(false);
    expect(gated.shortfalls).toEqual([
      'ApplicationAwareResourceQuota team-vms: requests.memory/vmi would be 32 GiB of 1 GiB (short by 31 GiB). Choose a smaller size or ask the platform team to raise the quota.',
    ]);
  });
});
