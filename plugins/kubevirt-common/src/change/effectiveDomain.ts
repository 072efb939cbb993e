import type {
  VirtualMachine,
  VirtualMachineInstanceSpecLike,
} from '../kube/kubevirtObjects';
import { applyInstancetype } from '../quota/applyInstancetype';
import type { SizeCatalog } from '../sizes/SizeCatalog';

/**
 * The domain a VM's VMI gets (the template with its instancetype and preference
 * applied), or undefined when the VM has no template or refers to a size the
 * cluster does not have.
 */
export function effectiveDomain(
  vm: VirtualMachine,
  sizes: SizeCatalog,
): VirtualMachineInstanceSpecLike['domain'] | undefined {
  const template = vm.spec.template;
  if (!template?.spec) return undefined;
  const namespace = vm.metadata.namespace;
  const instancetype = vm.spec.instancetype
    ? sizes.findInstancetype(
        {
          name: vm.spec.instancetype.name,
          ...(vm.spec.instancetype.kind && { kind: vm.spec.instancetype.kind }),
        },
        namespace,
      )
    : undefined;
  if (vm.spec.instancetype && !instancetype) return undefined;
  const preference = vm.spec.preference
    ? sizes.findPreference(
        {
          name: vm.spec.preference.name,
          ...(vm.spec.preference.kind && { kind: vm.spec.preference.kind }),
        },
        namespace,
      )
    : undefined;
  return applyInstancetype(
    { metadata: {}, spec: template.spec },
    instancetype?.spec,
    preference?.spec,
  ).spec.domain;
}
