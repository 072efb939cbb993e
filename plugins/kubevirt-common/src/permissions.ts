import { createPermission } from '@backstage/plugin-permission-common';
import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';

/**
 * Read the live state of a virtual machine (VM, VMI, launcher pod, disks, events).
 *
 * @public
 */
export const kubevirtVmReadPermission = createPermission({
  name: 'kubevirt.vm.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Start, stop, restart, pause or unpause a virtual machine.
 *
 * @public
 */
export const kubevirtVmPowerPermission = createPermission({
  name: 'kubevirt.vm.power',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Every permission the KubeVirt plugins define.
 *
 * @public
 */
export const kubevirtPermissions = [
  kubevirtVmReadPermission,
  kubevirtVmPowerPermission,
];
