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
 * Ask for a change to a virtual machine by pull request: another size, another
 * disk, another run strategy. Nothing changes until the namespace's owners merge it.
 *
 * @public
 */
export const kubevirtVmChangePermission = createPermission({
  name: 'kubevirt.vm.change',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Ask for a virtual machine and its disks to be deleted, by pull request. Apart from
 * `kubevirt.vm.change` so that a policy can keep the destructive change to fewer people.
 *
 * @public
 */
export const kubevirtVmDecommissionPermission = createPermission({
  name: 'kubevirt.vm.decommission',
  attributes: { action: 'delete' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Adopt a virtual machine that was not made through the portal into the GitOps
 * repository, by a pull request that adds its manifest. Apart from
 * `kubevirt.vm.change`: it puts a VM under the repository's control.
 *
 * @public
 */
export const kubevirtVmAdoptPermission = createPermission({
  name: 'kubevirt.vm.adopt',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Open a virtual machine's serial console or VNC display in the browser. Apart from
 * `kubevirt.vm.power`: a console is a way into the guest, which a policy may keep to
 * fewer people than those who may restart it.
 *
 * @public
 */
export const kubevirtVmConsolePermission = createPermission({
  name: 'kubevirt.vm.console',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Take, restore and delete a virtual machine's snapshots (KubeVirt's
 * VirtualMachineSnapshot and VirtualMachineRestore). Reading the list needs only
 * `kubevirt.vm.read`.
 *
 * @public
 */
export const kubevirtVmSnapshotPermission = createPermission({
  name: 'kubevirt.vm.snapshot',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Live-migrate a running virtual machine to another node.
 *
 * @public
 */
export const kubevirtVmMigratePermission = createPermission({
  name: 'kubevirt.vm.migrate',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Read the quota use of a namespace or of a team's namespaces. A basic permission:
 * quotas belong to namespaces, not to catalog entities.
 *
 * @public
 */
export const kubevirtQuotaReadPermission = createPermission({
  name: 'kubevirt.quota.read',
  attributes: { action: 'read' },
});

/**
 * Plan a new virtual machine: list the clusters and their sizes, and check a size
 * against a namespace's live quota. A basic permission: nothing exists yet to own.
 *
 * @public
 */
export const kubevirtVmPlanPermission = createPermission({
  name: 'kubevirt.vm.plan',
  attributes: { action: 'read' },
});

/**
 * Request a virtual machine for a team the requester is not a member of. Members of
 * the owning group may always request for it; for anyone else the
 * `kubevirt:vm:plan` and `kubevirt:vm:render` actions ask this permission, and go
 * ahead only on ALLOW and only where `kubevirt.requests.policyMayWaiveMembership` is
 * set (a policy that allows everything must not open every team's namespaces). A
 * basic permission: the VM does not exist yet.
 *
 * @public
 */
export const kubevirtVmRequestPermission = createPermission({
  name: 'kubevirt.vm.request',
  attributes: { action: 'create' },
});

/**
 * See tracked VM requests (the VM requests page, its cards, `GET /v1/requests`). On
 * ALLOW a user still sees only the requests they made and those of the teams they
 * belong to; DENY hides them all. A basic permission: a request is not an entity.
 *
 * @public
 */
export const kubevirtRequestReadPermission = createPermission({
  name: 'kubevirt.request.read',
  attributes: { action: 'read' },
});

/**
 * Every permission the KubeVirt plugins define.
 *
 * @public
 */
export const kubevirtPermissions = [
  kubevirtVmReadPermission,
  kubevirtVmPowerPermission,
  kubevirtVmChangePermission,
  kubevirtVmDecommissionPermission,
  kubevirtVmAdoptPermission,
  kubevirtVmConsolePermission,
  kubevirtVmSnapshotPermission,
  kubevirtVmMigratePermission,
  kubevirtQuotaReadPermission,
  kubevirtVmPlanPermission,
  kubevirtVmRequestPermission,
  kubevirtRequestReadPermission,
];
