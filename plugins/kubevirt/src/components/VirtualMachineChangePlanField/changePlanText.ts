import type { VirtualMachineChangeTiming } from '@vmportal/plugin-kubevirt-common';
import type { VirtualMachineChangePlan } from '../../api/KubevirtApi';

/** When a change takes effect once its pull request is merged, for the owner. */
export const TAKES_EFFECT: Record<VirtualMachineChangeTiming, string> = {
  live: 'Takes effect live: once the pull request is merged, KubeVirt applies it to the running VM without a restart.',
  restart:
    'Takes effect at the next restart: once the pull request is merged, the VM runs on with its old settings and its page says "Restart required" until you restart it.',
  'next-start':
    'Takes effect when the VM next starts: it is stopped now, and starts with the change.',
  'on-apply': 'Takes effect as soon as the pull request is merged and applied.',
};

/**
 * Why a change cannot be asked for: the plan's problems (quota shortfalls among
 * them), then any quota shortfall they do not already say, then, should neither say
 * anything, each quota row that does not fit.
 */
export function changePlanProblems(plan: VirtualMachineChangePlan): string[] {
  const problems = [...plan.problems];
  for (const shortfall of [...plan.quota.shortfalls, ...plan.quota.problems]) {
    if (!problems.includes(shortfall)) problems.push(shortfall);
  }
  if (problems.length === 0 && !plan.fits) {
    for (const row of plan.quota.rows.filter(r => !r.fits)) {
      problems.push(
        `${row.resource} in ${row.quota} would be ${row.after} of ${row.hard}`,
      );
    }
  }
  return problems;
}
