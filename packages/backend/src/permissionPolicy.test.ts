import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import {
  kubernetesClustersReadPermission,
  kubernetesProxyPermission,
  kubernetesResourcesReadPermission,
} from '@backstage/plugin-kubernetes-common';
import {
  kubevirtQuotaReadPermission,
  kubevirtVmConsolePermission,
  kubevirtVmMigratePermission,
  kubevirtVmPlanPermission,
  kubevirtVmPowerPermission,
  kubevirtVmSnapshotPermission,
  kubevirtVmReadPermission,
  kubevirtVmRequestPermission,
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

  it.each([
    kubevirtVmPowerPermission,
    kubevirtVmConsolePermission,
    kubevirtVmSnapshotPermission,
    kubevirtVmMigratePermission,
  ])(
    "lets the catalog decide $name by the user's ownership claims",
    async permission => {
      const decision = await policy.handle({ permission }, user);
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
    },
  );

  it('denies power actions without a user', async () => {
    const decision = await policy.handle({
      permission: kubevirtVmPowerPermission,
    });
    expect(decision).toEqual({ result: AuthorizeResult.DENY });
  });

  it("denies the Kubernetes plugin's proxy to everyone, and allows its tab's reads", async () => {
    expect(
      await policy.handle({ permission: kubernetesProxyPermission }, user),
    ).toEqual({ result: AuthorizeResult.DENY });
    expect(
      await policy.handle({ permission: kubernetesProxyPermission }),
    ).toEqual({ result: AuthorizeResult.DENY });
    for (const permission of [
      kubernetesClustersReadPermission,
      kubernetesResourcesReadPermission,
    ]) {
      expect(await policy.handle({ permission }, user)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });

  it('lets signed-in users plan VMs and read quotas, and nobody else', async () => {
    for (const permission of [
      kubevirtVmPlanPermission,
      kubevirtQuotaReadPermission,
    ]) {
      expect(await policy.handle({ permission }, user)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
      expect(await policy.handle({ permission })).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
  });

  it('never waives team membership for a VM request', async () => {
    expect(
      await policy.handle({ permission: kubevirtVmRequestPermission }, user),
    ).toEqual({ result: AuthorizeResult.DENY });
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
