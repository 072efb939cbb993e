import {
  kubevirtPermissions,
  kubevirtVmPowerPermission,
  kubevirtVmReadPermission,
} from './permissions';

describe('kubevirt permissions', () => {
  it('are resource permissions on catalog entities, so policies can check ownership', () => {
    for (const permission of kubevirtPermissions) {
      expect(permission.type).toBe('resource');
      expect(permission).toMatchObject({ resourceType: 'catalog-entity' });
    }
  });

  it('keeps the names that policies and audit logs refer to', () => {
    expect(kubevirtVmReadPermission.name).toBe('kubevirt.vm.read');
    expect(kubevirtVmPowerPermission.name).toBe('kubevirt.vm.power');
    expect(kubevirtVmPowerPermission.attributes.action).toBe('update');
  });
});
