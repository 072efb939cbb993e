import {
  coreServices,
  createBackendModule,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  isPermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { kubernetesProxyPermission } from '@backstage/plugin-kubernetes-common';
import {
  kubevirtQuotaReadPermission,
  kubevirtVmPlanPermission,
  kubevirtVmPowerPermission,
  kubevirtVmChangePermission,
  kubevirtVmDecommissionPermission,
  kubevirtVmAdoptPermission,
  kubevirtVmConsolePermission,
  kubevirtVmMigratePermission,
  kubevirtVmSnapshotPermission,
  kubevirtVmRequestPermission,
} from '@vmportal/plugin-kubevirt-common';

/**
 * The demo portal's policy (docs/security.md):
 *
 * - only a VM's owners (the user, or a group the user is in) may start, stop,
 *   restart, pause or unpause it: a catalog condition, which the catalog evaluates
 *   against the entity's `ownedBy` relations;
 * - nobody may use the Kubernetes plugin's proxy;
 * - signed-in users may plan VMs and read quotas;
 * - nobody gets `kubevirt.vm.request`, which only waives membership of the owning
 *   team (members request without it);
 * - everything else is allowed.
 *
 * Service principals (scripts, other plugins) never reach this policy: the
 * permission framework decides them by their access restrictions.
 */
export class VmPortalPermissionPolicy implements PermissionPolicy {
  constructor(private readonly userInfo: UserInfoService) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    // The proxy (/api/kubernetes/proxy) would carry any request of any user to the
    // cluster with the portal's reader credential, past every check of ours: the
    // reader can write nothing, but it reads cluster-wide. The VM page needs no proxy
    // (the KubeVirt backend reads for it); pod logs and the pod drawer's events in the
    // Kubernetes tab are the price.
    if (isPermission(request.permission, kubernetesProxyPermission)) {
      return { result: AuthorizeResult.DENY };
    }
    // Membership of the owning team is checked by the scaffolder module itself; this
    // permission only waives it (where kubevirt.requests.policyMayWaiveMembership is
    // set), and no one in the demo may request for a team they are not in.
    if (isPermission(request.permission, kubevirtVmRequestPermission)) {
      return { result: AuthorizeResult.DENY };
    }
    if (
      isPermission(request.permission, kubevirtVmPlanPermission) ||
      isPermission(request.permission, kubevirtQuotaReadPermission)
    ) {
      return { result: user ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
    }
    // Power actions, the console, snapshots, migration and every change by pull
    // request: the VM's owners only.
    if (
      isPermission(request.permission, kubevirtVmPowerPermission) ||
      isPermission(request.permission, kubevirtVmConsolePermission) ||
      isPermission(request.permission, kubevirtVmSnapshotPermission) ||
      isPermission(request.permission, kubevirtVmMigratePermission) ||
      isPermission(request.permission, kubevirtVmChangePermission) ||
      isPermission(request.permission, kubevirtVmDecommissionPermission) ||
      isPermission(request.permission, kubevirtVmAdoptPermission)
    ) {
      if (!user) return { result: AuthorizeResult.DENY };
      const { ownershipEntityRefs } = await this.userInfo.getUserInfo(
        user.credentials,
      );
      return createCatalogConditionalDecision(
        request.permission,
        catalogConditions.isEntityOwner({ claims: ownershipEntityRefs }),
      );
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'vmportal-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        userInfo: coreServices.userInfo,
      },
      async init({ policy, userInfo }) {
        policy.setPolicy(new VmPortalPermissionPolicy(userInfo));
      },
    });
  },
});
