import {
  StatusAborted,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import type { TrackedVirtualMachineRequest } from '@vmportal/plugin-kubevirt-common';
import {
  notRunningSummary,
  REQUEST_STAGE_LABELS,
} from '../../lib/requestStage';

/**
 * A request's stage as a status: waiting on people (PR open), under way (merged,
 * applied), stuck (applied with a failing condition), done or declined.
 */
export function VirtualMachineRequestStatus(props: {
  request: TrackedVirtualMachineRequest;
}) {
  const { request } = props;
  const label = REQUEST_STAGE_LABELS[request.stage];
  switch (request.stage) {
    case 'pr-open':
      return <StatusPending>{label}</StatusPending>;
    case 'merged':
      return <StatusRunning>{label}</StatusRunning>;
    case 'declined':
      return <StatusAborted>{label}</StatusAborted>;
    case 'applied': {
      if (request.change) {
        const waiting = request.vm?.failingCondition;
        if (waiting?.type === 'RestartRequired') {
          return <StatusWarning>{`${label}, restart required`}</StatusWarning>;
        }
        if (waiting?.reason === 'LiveUpdatePending') {
          return (
            <StatusRunning>{`${label}, live update under way`}</StatusRunning>
          );
        }
        return <StatusRunning>{label}</StatusRunning>;
      }
      const why = notRunningSummary(request);
      if (request.vm?.failingCondition) {
        return <StatusWarning>{`${label}, not running: ${why}`}</StatusWarning>;
      }
      return <StatusRunning>{why ? `${label}: ${why}` : label}</StatusRunning>;
    }
    case 'running':
    case 'in-catalog':
    default:
      return <StatusOK>{label}</StatusOK>;
  }
}
