import {
  planQuota,
  SizeCatalog,
  validateVirtualMachineRequest,
} from '@vmportal/plugin-kubevirt-common';
import {
  quotaPlanMarkdown,
  quotaPlanRows,
  quotaPlanTable,
} from './quotaPlanReport';

describe('the quota plan report of a namespace with Application Aware Quota', () => {
  const request = validateVirtualMachineRequest({
    name: 'db-01',
    namespace: 'team-a',
    cluster: 'c1',
    owner: 'team-a',
    size: { instancetype: { name: 'u1.2xlarge' } },
    image: { containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
    disks: [],
  });
  const plan = planQuota({
    request,
    sizes: SizeCatalog.fallback(),
    quotas: [
      {
        metadata: { name: 'team-quota' },
        spec: { hard: { 'count/virtualmachines.kubevirt.io': '5' } },
      },
    ],
    applicationAwareQuotas: [
      {
        metadata: { name: 'team-vms' },
        spec: { hard: { 'requests.memory/vmi': '40Gi' } },
        status: { used: { 'requests.memory/vmi': '16Gi' } },
      },
    ],
    aaqCalculationMode: 'DedicatedVirtualResources',
  });

  it('names the kind of each quota in the rows, the table and the pull request', () => {
    expect(
      quotaPlanRows(plan).map(r => [
        r.quotaKind,
        r.quota,
        r.resource,
        r.thisVm,
      ]),
    ).toEqual([
      ['ResourceQuota', 'team-quota', 'count/virtualmachines.kubevirt.io', '1'],
      [
        'ApplicationAwareResourceQuota',
        'team-vms',
        'requests.memory/vmi',
        '32Gi',
      ],
    ]);
    expect(quotaPlanTable(plan)).toMatch(
      /^ApplicationAwareResourceQuota team-vms +requests\.memory\/vmi +40 GiB +16 GiB +32 GiB +48 GiB +NO$/m,
    );
    const markdown = quotaPlanMarkdown(request, plan);
    expect(markdown).toContain(
      '| ApplicationAwareResourceQuota team-vms | requests.memory/vmi | 40 GiB | 16 GiB | 32 GiB | 48 GiB | **no** |',
    );
    expect(markdown).toContain(
      '- ApplicationAwareResourceQuota team-vms: requests.memory/vmi would be 48 GiB of 40 GiB (short by 8 GiB). Choose a smaller size or ask the platform team to raise the quota.',
    );
    expect(markdown).toContain(
      'ApplicationAwareResourceQuota rows count as Application Aware Quota v1.8.0 does in its DedicatedVirtualResources calculation mode.',
    );
  });
});
