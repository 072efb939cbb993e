import type { VirtualMachine } from '../kube/kubevirtObjects';
import type { SizeCatalog } from '../sizes/SizeCatalog';
import {
  LauncherPodCluster,
  launcherPodResources,
  LauncherPodResources,
} from './launcherPodResources';

/** A VM's `kind` of instancetype or preference as the size catalog spells it. */
function sizeKind(
  kind: string | undefined,
  what: 'Instancetype' | 'Preference',
): string {
  return (kind ?? '')
    .toLowerCase()
    .startsWith(`virtualmachine${what}`.toLowerCase())
    ? `VirtualMachine${what}`
    : `VirtualMachineCluster${what}`;
}

/**
 * The virt-launcher pod a VirtualMachine's template becomes in its cluster and
 * namespace (`launcherPodResources` with the VM's instancetype and preference from the
 * cluster's sizes), or why it cannot be told: the VM has no template, or its
 * instancetype or preference is not in the cluster.
 *
 * @public
 */
export function launcherPodOfVirtualMachine(
  vm: VirtualMachine,
  sizes: SizeCatalog,
  cluster: LauncherPodCluster,
): { launcher: LauncherPodResources } | { problem: string } {
  const namespace = vm.metadata.namespace ?? '';
  const template = vm.spec.template;
  if (!template) {
    return { problem: `VM ${vm.metadata.name} has no template` };
  }
  const instancetypeRef = vm.spec.instancetype;
  const instancetype = instancetypeRef
    ? sizes.findInstancetype(
        {
          name: instancetypeRef.name,
          kind: sizeKind(instancetypeRef.kind, 'Instancetype'),
        },
        namespace,
      )?.spec
    : undefined;
  if (instancetypeRef && !instancetype) {
    return {
      problem: `the instancetype ${instancetypeRef.name} is not in the cluster; choose one of its sizes`,
    };
  }
  const preferenceRef = vm.spec.preference;
  const preference = preferenceRef
    ? sizes.findPreference(
        {
          name: preferenceRef.name,
          kind: sizeKind(preferenceRef.kind, 'Preference'),
        },
        namespace,
      )?.spec
    : undefined;
  if (preferenceRef && !preference) {
    return {
      problem: `the preference ${preferenceRef.name} is not in the cluster`,
    };
  }
  return {
    launcher: launcherPodResources(
      {
        vmi: {
          metadata: { ...template.metadata, name: vm.metadata.name, namespace },
          spec: template.spec,
        },
        instancetype,
        preference,
      },
      cluster,
    ),
  };
}
