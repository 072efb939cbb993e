import type {
  TrackedVirtualMachineRequest,
  VirtualMachineRequestStage,
} from '@vmportal/plugin-kubevirt-common';

/** When each stage of the fixture's request was reached. */
export const STAGE_TIMES: Record<VirtualMachineRequestStage, string> = {
  'pr-open': '2025-03-01T09:00:00Z',
  merged: '2025-03-01T09:20:00Z',
  declined: '2025-03-01T09:25:00Z',
  applied: '2025-03-01T09:20:05Z',
  running: '2025-03-01T09:20:30Z',
  'in-catalog': '2025-03-01T09:21:00Z',
  'in-effect': '2025-03-01T09:21:00Z',
};

const PATHS: Record<VirtualMachineRequestStage, VirtualMachineRequestStage[]> =
  {
    'pr-open': ['pr-open'],
    merged: ['pr-open', 'merged'],
    declined: ['pr-open', 'declined'],
    applied: ['pr-open', 'merged', 'applied'],
    running: ['pr-open', 'merged', 'applied', 'running'],
    'in-catalog': ['pr-open', 'merged', 'applied', 'running', 'in-catalog'],
    'in-effect': ['pr-open', 'merged', 'applied', 'in-effect'],
  };

/** The quota table a plan's summary carries (Markdown). */
export const PLAN_SUMMARY = `**Fits the quota of team-web on east.**

| Quota | Resource | Used | This VM | After | Hard |
|---|---|---|---|---|---|
| team-quota | requests.memory | 12 GiB | 2.2 GiB | 14.2 GiB | 24 GiB |
`;

/** A request for `web-frontend-2` that has reached `stage`, as the backend sends it. */
export function trackedRequest(
  stage: VirtualMachineRequestStage,
  overrides: Partial<TrackedVirtualMachineRequest> = {},
): TrackedVirtualMachineRequest {
  const history = PATHS[stage].map(reached => ({
    stage: reached,
    at: STAGE_TIMES[reached],
  }));
  const applied = history.some(entry => entry.stage === 'applied');
  return {
    id: 'task-0001',
    owner: 'group:default/team-web',
    cluster: 'east',
    namespace: 'team-web',
    name: 'web-frontend-2',
    size: 'u1.medium: 1 vCPU, 4 GiB',
    planSummary: PLAN_SUMMARY,
    reviewers: ['group:default/team-web', 'octocat'],
    requestedBy: 'user:default/ada',
    requestedAt: STAGE_TIMES['pr-open'],
    pullRequest: {
      url: 'http://localhost:7080/vmportal-demo/vm-gitops/pull/2',
      number: 2,
    },
    stage,
    history,
    ...(applied
      ? {
          vm: {
            uid: '7d1c0a2e-0000-4000-8000-000000000002',
            printableStatus: stage === 'applied' ? 'Provisioning' : 'Running',
          },
        }
      : {}),
    ...(stage === 'in-catalog'
      ? { entityRef: 'component:default/web-frontend-2' }
      : {}),
    ...overrides,
  };
}
