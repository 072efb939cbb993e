import type { ClusterInfo } from '@vmportal/kube-testenv';
import { benchNamespaces, vmManifest } from '../catalog/virtualMachines';
import { inventoryVm, matching, MEASURED_OS, shownVms } from './inventoryVms';

const layout = {
  clusters: ['cluster-1', 'cluster-2', 'cluster-3'].map(
    name => ({ name } as ClusterInfo),
  ),
  namespaces: benchNamespaces(10),
};
const vms = Array.from({ length: 12_000 }, (_, i) => inventoryVm(i, layout));

describe('inventoryVm', () => {
  it('makes a filter on one cluster and the measured OS match one VM in six', () => {
    for (const cluster of layout.clusters) {
      expect(matching(vms, cluster.name)).toHaveLength(2000);
    }
    const oses = new Set(vms.map(vm => vm.preference));
    expect(oses.size).toBeGreaterThanOrEqual(4);
    const series = new Set(vms.map(vm => vm.instancetype?.split('.')[0]));
    expect([...series].sort()).toEqual(['o1', 'u1']);
  });

  it('sizes the VM by its instancetype and names its OS by its preference', () => {
    const manifest = vmManifest(vms[0]) as unknown as {
      spec: {
        instancetype: { name: string };
        preference: { name: string };
        template: { spec: { domain: Record<string, unknown> } };
      };
    };
    expect(manifest.spec.instancetype.name).toBe(vms[0].instancetype);
    expect(manifest.spec.preference.name).toBe(MEASURED_OS);
    expect(manifest.spec.template.spec.domain.cpu).toBeUndefined();
    expect(manifest.spec.template.spec.domain.memory).toBeUndefined();
  });
});

describe('shownVms', () => {
  it('takes the first VMs of the measured OS in each cluster, some of them stopped', () => {
    const shown = shownVms(vms, 100);
    expect(shown).toHaveLength(300);
    for (const cluster of layout.clusters) {
      const names = matching(vms, cluster.name)
        .map(vm => vm.name)
        .sort()
        .slice(0, 100);
      expect(
        shown.filter(vm => vm.cluster === cluster.name).map(vm => vm.name),
      ).toEqual(names);
    }
    const halted = shown.filter(vm => vm.runStrategy === 'Halted').length;
    expect(halted).toBeGreaterThan(40);
    expect(halted).toBeLessThan(80);
  });
});
