import type { ResourcePermission } from '@backstage/plugin-permission-common';
import {
  kubevirtVmAdoptPermission,
  kubevirtVmChangePermission,
  kubevirtVmDecommissionPermission,
} from '../permissions';
import type { VirtualMachineChangeKind } from './virtualMachineChangeSchema';

/**
 * The permission a kind of change needs on the VM's catalog entity:
 * `kubevirt.vm.decommission` to delete it, `kubevirt.vm.adopt` to adopt it, and
 * `kubevirt.vm.change` for the rest.
 *
 * @public
 */
export function virtualMachineChangePermission(
  kind: VirtualMachineChangeKind,
): ResourcePermission<'catalog-entity'> {
  if (kind === 'decommission') return kubevirtVmDecommissionPermission;
  if (kind === 'adopt') return kubevirtVmAdoptPermission;
  return kubevirtVmChangePermission;
}
