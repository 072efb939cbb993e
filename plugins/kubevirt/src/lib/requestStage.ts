import type {
  TrackedVirtualMachineRequest,
  VirtualMachineRequestStage,
} from '@vmportal/plugin-kubevirt-common';

/** Each stage as the pages name it. */
export const REQUEST_STAGE_LABELS: Record<VirtualMachineRequestStage, string> =
  {
    'pr-open': 'PR open',
    merged: 'Merged',
    declined: 'Declined',
    applied: 'Applied',
    running: 'Running',
    'in-catalog': 'In the catalog',
    'in-effect': 'In effect',
  };

/** Whether a request can move no further: declined, or its VM is in the catalog. */
export function isRequestFinished(
  request: Pick<TrackedVirtualMachineRequest, 'stage'>,
): boolean {
  return (
    request.stage === 'declined' ||
    request.stage === 'in-catalog' ||
    request.stage === 'in-effect'
  );
}

/** When the request first reached `stage`, if it did. */
export function stageReachedAt(
  request: Pick<TrackedVirtualMachineRequest, 'history'>,
  stage: VirtualMachineRequestStage,
): string | undefined {
  return request.history.find(entry => entry.stage === stage)?.at;
}

/**
 * Why an applied VM is not running, in a line: its status and the failing
 * condition's reason, e.g. `ErrorUnschedulable (FailedCreate)`. Undefined for a
 * request whose VM is not applied, or already running.
 */
export function notRunningSummary(
  request: Pick<TrackedVirtualMachineRequest, 'stage' | 'vm'>,
): string | undefined {
  if (request.stage !== 'applied' || !request.vm) {
    return undefined;
  }
  const status = request.vm.printableStatus ?? 'status unknown';
  const reason = request.vm.failingCondition?.reason;
  return reason ? `${status} (${reason})` : status;
}

/** The pull request as people name it: `PR #2`, or `the pull request`. */
export function pullRequestLabel(
  request: Pick<TrackedVirtualMachineRequest, 'pullRequest'>,
): string {
  const { number } = request.pullRequest;
  return number === undefined ? 'the pull request' : `PR #${number}`;
}
