import { BenchVm, initialVm, VmLayout } from '../catalog/virtualMachines';

/**
 * OS preferences (common-instancetypes cluster preferences, which the provider turns
 * into the entity's OS label), one VM in six each, rhel.9 three in six: with three
 * clusters, `cluster=X & os=rhel.9` matches one VM in six.
 */
const PREFERENCES = [
  'rhel.9',
  'fedora',
  'rhel.9',
  'ubuntu',
  'rhel.9',
  'windows.2k22',
];

/**
 * Instancetypes of two series, all small enough that the VMs the simulator runs fit on
 * its three nodes (128Gi each) in every cluster.
 */
const INSTANCETYPES = [
  'u1.small',
  'u1.medium',
  'o1.small',
  'u1.micro',
  'o1.medium',
];

/** The OS every measured filter asks for. */
export const MEASURED_OS = 'rhel.9';

/**
 * VM `i` of an inventory run: the catalog run's VM `i` (name, cluster, namespace,
 * owner) with an OS preference, an instancetype, and runStrategy Halted for one in
 * five (the rest Always). The shape depends on the VM's rank in its cluster only, so
 * every cluster gets the same mix.
 */
export function inventoryVm(i: number, layout: VmLayout): BenchVm {
  const rank = Math.floor(i / layout.clusters.length);
  return {
    ...initialVm(i, layout),
    preference: PREFERENCES[rank % PREFERENCES.length],
    instancetype:
      INSTANCETYPES[
        Math.floor(rank / PREFERENCES.length) % INSTANCETYPES.length
      ],
    runStrategy: rank % 5 === 4 ? 'Halted' : 'Always',
  };
}

/**
 * The VMs the measured pages show: in each cluster, the first `perCluster` VMs with
 * the measured OS, by name (names sort as the indices do). These are the ones the
 * simulator runs; `vms` must be indexed as {@link inventoryVm} made them.
 */
export function shownVms(vms: BenchVm[], perCluster: number): BenchVm[] {
  const taken = new Map<string, number>();
  const shown: BenchVm[] = [];
  for (const vm of vms) {
    if (vm.preference !== MEASURED_OS) continue;
    const count = taken.get(vm.cluster) ?? 0;
    if (count >= perCluster) continue;
    taken.set(vm.cluster, count + 1);
    shown.push(vm);
  }
  return shown;
}

/** VMs in `vms` that a filter on `cluster` and `os` matches. */
export function matching(
  vms: BenchVm[],
  cluster: string,
  os: string = MEASURED_OS,
): BenchVm[] {
  return vms.filter(vm => vm.cluster === cluster && vm.preference === os);
}
