import type { VirtualMachineChangePlan } from '../api/KubevirtApi';

/**
 * What the backend's change-plan route answers for resizing web-frontend-1 (1 vCPU,
 * 2 GiB, running) from u1.small to u1.medium in team-web, whose quota has 16 of
 * 24 GiB of memory requests used: the launcher pod grows by 2 GiB, applied live.
 */
export function resizePlan(
  overrides: Partial<VirtualMachineChangePlan> = {},
): VirtualMachineChangePlan {
  return {
    change: { kind: 'resize', instancetype: 'u1.medium' },
    vm: { cluster: 'east', namespace: 'team-web', name: 'web-frontend-1' },
    summary: 'u1.small (1 vCPU, 2 GiB) → u1.medium (1 vCPU, 4 GiB)',
    quota: {
      fits: true,
      rows: [
        {
          quota: 'team-quota',
          resource: 'requests.memory',
          hard: '24Gi',
          used: '16Gi',
          thisVm: '2Gi',
          duringImportOnly: '0',
          after: '18Gi',
          fits: true,
        },
      ],
      shortfalls: [],
      problems: [],
      disks: [],
    },
    fits: true,
    problems: [],
    notes: [
      'While KubeVirt migrates the VM to apply the new memory, both launcher pods run.',
    ],
    takesEffect: 'live',
    ...overrides,
  };
}
