import type { ResourceQuotaLike } from '../kube/kubernetesObjects';
import type { VirtualMachine } from '../kube/kubevirtObjects';
import { SizeCatalog } from '../sizes/SizeCatalog';
import { applyVirtualMachineChange } from './applyVirtualMachineChange';
import { planVirtualMachineChange } from './planVirtualMachineChange';

const sizes = SizeCatalog.fallback();

function vm(instancetype = 'u1.small'): VirtualMachine {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web-01', namespace: 'team-web', generation: 1 },
    spec: {
      runStrategy: 'Always',
      instancetype: {
        kind: 'VirtualMachineClusterInstancetype',
        name: instancetype,
      },
      dataVolumeTemplates: [
        {
          metadata: { name: 'web-01-rootdisk' },
          spec: { storage: { resources: { requests: { storage: '30Gi' } } } },
        },
      ],
      template: {
        spec: {
          domain: { devices: { disks: [{ name: 'rootdisk', disk: {} }] } },
          volumes: [
            { name: 'rootdisk', dataVolume: { name: 'web-01-rootdisk' } },
          ],
        },
      },
    },
  };
}

function quota(hard: Record<string, string>, used: Record<string, string>) {
  return {
    metadata: { name: 'team-quota' },
    spec: { hard },
    status: { hard, used },
  } as ResourceQuotaLike;
}

const standard = [
  {
    name: 'standard',
    provisioner: 'example.com/standard',
    isDefault: true,
  },
];

describe('applyVirtualMachineChange', () => {
  it('resizes by instancetype, leaving the input untouched', () => {
    const before = vm();
    const after = applyVirtualMachineChange(before, {
      kind: 'resize',
      instancetype: 'u1.medium',
    });
    expect(after.spec.instancetype?.name).toBe('u1.medium');
    expect(before.spec.instancetype?.name).toBe('u1.small');
  });

  it('adds a hot-pluggable SCSI disk with its DataVolume template', () => {
    const after = applyVirtualMachineChange(vm(), {
      kind: 'add-disk',
      name: 'data2',
      size: '10Gi',
    });
    expect(after.spec.dataVolumeTemplates?.[1]).toEqual({
      metadata: { name: 'web-01-data2' },
      spec: {
        source: { blank: {} },
        storage: { resources: { requests: { storage: '10Gi' } } },
      },
    });
    expect(after.spec.template?.spec.volumes?.[1]).toEqual({
      name: 'data2',
      dataVolume: { name: 'web-01-data2', hotpluggable: true },
    });
  });

  it('refuses a disk name in use, naming the field and the fix', () => {
    expect(() =>
      applyVirtualMachineChange(vm(), {
        kind: 'add-disk',
        name: 'rootdisk',
        size: '10Gi',
      }),
    ).toThrow(
      'VM web-01 already has a disk named rootdisk; choose another name',
    );
  });

  it('replaces `running` by the run strategy', () => {
    const legacy = vm();
    delete legacy.spec.runStrategy;
    legacy.spec.running = true;
    const after = applyVirtualMachineChange(legacy, {
      kind: 'run-strategy',
      runStrategy: 'Halted',
    });
    expect(after.spec.running).toBeUndefined();
    expect(after.spec.runStrategy).toBe('Halted');
  });
});

describe('planVirtualMachineChange', () => {
  const base = { cluster: 'east', sizes, storageClasses: standard };

  it('counts only the difference of the launcher pods for a running VM, and plans it live', () => {
    const plan = planVirtualMachineChange({
      ...base,
      vm: vm('u1.small'),
      change: { kind: 'resize', instancetype: 'u1.medium' },
      running: true,
      quotas: [
        quota({ 'requests.memory': '64Gi' }, { 'requests.memory': '10Gi' }),
      ],
    });
    expect(plan.summary).toBe(
      'Resize VM web-01 from u1.small (1 vCPU, 2 GiB) to u1.medium (1 vCPU, 4 GiB)',
    );
    expect(plan.takesEffect).toBe('live');
    expect(plan.fits).toBe(true);
    // 2 GiB more guest memory; KubeVirt's overhead grows a little with it.
    const row = plan.quota.rows.find(r => r.resource === 'requests.memory')!;
    expect(row.thisVm.cmp(row.thisVm.sub(row.thisVm))).toBe(1);
    expect(row.thisVm.toNumber()).toBeGreaterThanOrEqual(2 * 1024 ** 3);
    expect(row.thisVm.toNumber()).toBeLessThan(2.1 * 1024 ** 3);
  });

  it('plans a restart for a running VM that cannot be live-migrated', () => {
    const plan = planVirtualMachineChange({
      ...base,
      vm: vm('u1.small'),
      change: { kind: 'resize', instancetype: 'u1.medium' },
      running: true,
      liveMigratable: { status: 'False', reason: 'InterfaceNotLiveMigratable' },
      quotas: [
        quota({ 'requests.memory': '64Gi' }, { 'requests.memory': '10Gi' }),
      ],
    });
    expect(plan.takesEffect).toBe('restart');
    expect(plan.notes[0]).toMatch(/InterfaceNotLiveMigratable/);
  });

  it('refuses a resize that does not fit, naming the quota and the resource', () => {
    const plan = planVirtualMachineChange({
      ...base,
      vm: vm('u1.small'),
      change: { kind: 'resize', instancetype: 'u1.2xlarge' },
      running: true,
      quotas: [
        quota({ 'requests.memory': '16Gi' }, { 'requests.memory': '10Gi' }),
      ],
    });
    expect(plan.fits).toBe(false);
    expect(plan.problems[0]).toMatch(
      /^ResourceQuota team-quota: requests\.memory would be .* of 16 GiB \(short by /,
    );
  });

  it('needs the whole new pod for a stopped VM, at its next start', () => {
    const plan = planVirtualMachineChange({
      ...base,
      vm: vm('u1.small'),
      change: { kind: 'resize', instancetype: 'u1.medium' },
      running: false,
      quotas: [
        quota({ 'requests.memory': '64Gi' }, { 'requests.memory': '0' }),
      ],
    });
    expect(plan.takesEffect).toBe('next-start');
    const row = plan.quota.rows.find(r => r.resource === 'requests.memory')!;
    expect(row.thisVm.toNumber()).toBeGreaterThan(4 * 1024 ** 3);
  });

  it('counts a new disk with CDI overhead in the storage quota', () => {
    const plan = planVirtualMachineChange({
      ...base,
      vm: vm(),
      change: { kind: 'add-disk', name: 'data2', size: '10Gi' },
      running: true,
      quotas: [
        quota(
          { 'requests.storage': '100Gi', persistentvolumeclaims: '10' },
          { 'requests.storage': '95Gi', persistentvolumeclaims: '1' },
        ),
      ],
    });
    expect(plan.fits).toBe(false);
    expect(plan.problems).toEqual([
      expect.stringMatching(
        /^ResourceQuota team-quota: requests\.storage would be .* of 100 GiB/,
      ),
    ]);
    expect(plan.takesEffect).toBe('live');
  });

  it('asks for the typed name before a decommission', () => {
    const plan = planVirtualMachineChange({
      ...base,
      vm: vm(),
      change: { kind: 'decommission', confirm: 'web-1' },
      running: true,
      quotas: [],
    });
    expect(plan.summary).toBe(
      'Delete VM web-01 and its DataVolume web-01-rootdisk',
    );
    expect(plan.fits).toBe(false);
    expect(plan.problems).toEqual([
      "Type the VM's name, web-01, to confirm that it and its disks are deleted.",
    ]);
  });
});
