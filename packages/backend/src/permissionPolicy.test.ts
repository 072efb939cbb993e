import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import {
  kubevirtVmPowerPermission,
  kubevirtVmReadPermission,
} from '@vmportal/plugin-kubevirt-common';
import { VmPortalPermissionPolicy } from './permissionPolicy';

describe('VmPortalPermissionPolicy', () => {
  const policy = new VmPortalPermissionPolicy(
    mockServices.userInfo({
      userEntityRef: 'user:default/guest',
      ownershipEntityRefs: ['user:default/guest', 'group:default/team-web'],
    }),
  );
  const user = {
    credentials: mockCredentials.user('user:default/guest'),
    info: {
      userEntityRef: 'user:default/guest',
      ownershipEntityRefs: ['user:default/guest', 'group:default/team-web'],
    },
  };

  it("lets the catalog decide power actions by the user's ownership claims", async () => {
    const decision = await policy.handle(
      { permission: kubevirtVmPowerPermission },
      user,
    );
    expect(decision).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: {
          claims: ['user:default/guest', 'group:default/team-web'],
        },
      },
    });
  });

  it('denies power actions without a user', async () => {
    const decision = await policy.handle({
      permission: kubevirtVmPowerPermission,
    });
    expect(decision).toEqual({ result: AuthorizeResult.DENY });
  });

  it('allows reading VMs and everything else', async () => {
    for (const permission of [
      kubevirtVmReadPermission,
      createPermission({ name: 'catalog.entity.read', attributes: {} }),
    ]) {
      expect(await policy.handle({ permission }, user)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });
});
