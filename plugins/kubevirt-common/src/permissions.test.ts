import {
  kubevirtPermissions,
  kubevirtVmAdoptPermission,
  kubevirtVmChangePermission,
  kubevirtVmConsolePermission,
  kubevirtVmDecommissionPermission,
  kubevirtVmMigratePermission,
  kubevirtVmSnapshotPermission,
  kubevirtQuotaReadPermission,
  kubevirtRequestReadPermission,
  kubevirtVmPlanPermission,
  kubevirtVmPowerPermission,
  kubevirtVmReadPermission,
} from './permissions';

describe('kubevirt permissions', () => {
  it('makes the VM permissions resource permissions on catalog entities, so policies can check ownership', () => {
    for (const permission of [
      kubevirtVmReadPermission,
      kubevirtVmPowerPermission,
      kubevirtVmChangePermission,
      kubevirtVmDecommissionPermission,
      kubevirtVmAdoptPermission,
      kubevirtVmConsolePermission,
      kubevirtVmSnapshotPermission,
      kubevirtVmMigratePermission,
    ]) {
      expect(permission.type).toBe('resource');
      expect(permission).toMatchObject({ resourceType: 'catalog-entity' });
    }
  });

  it('makes quota and planning basic permissions: they concern namespaces, not entities', () => {
    for (const permission of [
      kubevirtQuotaReadPermission,
      kubevirtVmPlanPermission,
      kubevirtRequestReadPermission,
    ]) {
      expect(permission.type).toBe('basic');
      expect(permission.attributes.action).toBe('read');
    }
  });

  it('keeps the names that policies and audit logs refer to', () => {
    expect(kubevirtVmReadPermission.name).toBe('kubevirt.vm.read');
    expect(kubevirtVmPowerPermission.name).toBe('kubevirt.vm.power');
    expect(kubevirtVmPowerPermission.attributes.action).toBe('update');
    expect(kubevirtQuotaReadPermission.name).toBe('kubevirt.quota.read');
    expect(kubevirtVmPlanPermission.name).toBe('kubevirt.vm.plan');
    expect(kubevirtVmConsolePermission.name).toBe('kubevirt.vm.console');
    expect(kubevirtVmSnapshotPermission.name).toBe('kubevirt.vm.snapshot');
    expect(kubevirtVmMigratePermission.name).toBe('kubevirt.vm.migrate');
  });

  it('lists every permission once, for registration', () => {
    const names = kubevirtPermissions.map(p => p.name);
    expect(names).toEqual([
      'kubevirt.vm.read',
      'kubevirt.vm.power',
      'kubevirt.vm.change',
      'kubevirt.vm.decommission',
      'kubevirt.vm.adopt',
      'kubevirt.vm.console',
      'kubevirt.vm.snapshot',
      'kubevirt.vm.migrate',
      'kubevirt.quota.read',
      'kubevirt.vm.plan',
      'kubevirt.vm.request',
      'kubevirt.request.read',
    ]);
  });
});
