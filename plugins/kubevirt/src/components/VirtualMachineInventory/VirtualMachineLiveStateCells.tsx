import type {
  VirtualMachineLiveState,
  VirtualMachineStateGap,
} from '@vmportal/plugin-kubevirt-common';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import Skeleton from '@material-ui/lab/Skeleton';
import type { ReactNode } from 'react';
import { VirtualMachineStatus } from '../VirtualMachineStatus';
import { useVirtualMachineLiveState } from './useVirtualMachineLiveState';

const GAP_MESSAGES: Record<VirtualMachineStateGap, string> = {
  'not-allowed': "You may not see this VM's live state",
  'not-a-vm': 'This entity names no VM the portal manages',
  'not-found': 'The VM is no longer on its cluster',
  unavailable: "The VM's cluster could not be read",
};

/** A dash for a missing state, saying why in a tooltip (and to screen readers). */
function Gap(props: { why: string }) {
  return (
    <Tooltip title={props.why}>
      <Typography component="span" variant="body2" aria-label={props.why}>
        —
      </Typography>
    </Tooltip>
  );
}

function LiveCell(props: {
  entityRef: string;
  children: (state: VirtualMachineLiveState, status: string) => ReactNode;
}) {
  const result = useVirtualMachineLiveState(props.entityRef);
  if (result.loading) {
    return <Skeleton width={64} aria-label="Loading the live state" />;
  }
  if (result.error) {
    return (
      <Gap why={`Could not load the live state: ${result.error.message}`} />
    );
  }
  const state = result.state;
  if (!state?.printableStatus) {
    return (
      <Gap
        why={
          state?.message ??
          (state?.gap ? GAP_MESSAGES[state.gap] : 'No live state')
        }
      />
    );
  }
  return <>{props.children(state, state.printableStatus)}</>;
}

/** KubeVirt's printableStatus of a row's VM (Running, Stopped, ...), live. */
export function VirtualMachineStatusCell(props: { entityRef: string }) {
  return (
    <LiveCell entityRef={props.entityRef}>
      {(_state, status) => <VirtualMachineStatus status={status} />}
    </LiveCell>
  );
}

/** The guest's IP addresses of a row's VM, one a line, live. */
export function VirtualMachineAddressesCell(props: { entityRef: string }) {
  return (
    <LiveCell entityRef={props.entityRef}>
      {state =>
        state.ipAddresses?.length ? (
          state.ipAddresses.map(address => (
            <Typography key={address} variant="body2" noWrap>
              {address}
            </Typography>
          ))
        ) : (
          <Gap why="The guest reports no IP address" />
        )
      }
    </LiveCell>
  );
}
