import type { VirtualMachineMigrationPlan } from '@vmportal/plugin-kubevirt-common';

/**
 * The backend's migration plan for web-frontend-1 running on node-a: its launcher
 * pod (0.105 CPU, 2270 MiB) fits team-web's quota and node-b has room.
 */
export function migrationPlan(
  overrides: Partial<VirtualMachineMigrationPlan> = {},
): VirtualMachineMigrationPlan {
  return {
    fits: true,
    problems: [],
    targetPod: { cpu: '105m', memory: '2270Mi' },
    quotaShortfalls: [],
    nodes: [
      { name: 'node-b', fits: true, cpuFree: '3500m', memoryFree: '12Gi' },
      {
        name: 'node-c',
        fits: false,
        cpuFree: '50m',
        memoryFree: '1Gi',
        reason: 'needs 0.105 CPU, 0.05 CPU free',
      },
    ],
    currentNode: 'node-a',
    ...overrides,
  };
}

/** What planMigration says when team-quota has no room for a second launcher pod. */
export const QUOTA_PROBLEM =
  'ResourceQuota team-quota: the target launcher pod needs 2.2 GiB of requests.memory while the running one keeps its own, and 1 GiB is free (short by 1.2 GiB). KubeVirt would leave the migration Pending: free quota in the namespace or ask its owners for more.';

/** A plan that does not fit: team-quota is short of memory for the target pod. */
export function quotaBlockedMigrationPlan(): VirtualMachineMigrationPlan {
  return migrationPlan({
    fits: false,
    problems: [QUOTA_PROBLEM],
    quotaShortfalls: [
      {
        quota: 'team-quota',
        resource: 'requests.memory',
        needs: '2270Mi',
        free: '1Gi',
        short: '1246Mi',
      },
    ],
  });
}
