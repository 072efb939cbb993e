import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import type {
  PowerAction,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import type { PendingAction } from '../../hooks/useVirtualMachine';
import { actionProgressLabel } from '../../lib/vmStatus';
import { PowerActionButton } from './PowerActionButton';

/** Props of {@link PowerControls}. */
export interface PowerControlsProps {
  view: VirtualMachineView;
  pending?: PendingAction;
  actionError?: Error;
  onAction(action: PowerAction, force: boolean): void;
}

/**
 * The power buttons of a VM: only the actions that make sense now, confirmed where
 * they interrupt the guest, disabled with the reason for users who are not owners,
 * and a progress bar while the VM moves to its new state.
 */
export function PowerControls(props: PowerControlsProps) {
  const { view, pending, actionError, onAction } = props;
  const deniedReason = view.power.allowed
    ? undefined
    : view.power.deniedReason ??
      'Only the owners of this virtual machine can start or stop it.';

  const buttons = (
    <Box display="flex" flexWrap="wrap" style={{ gap: 8 }}>
      {view.power.available.map(action => (
        <PowerActionButton
          key={action}
          action={action}
          vmName={view.name}
          disabled={Boolean(deniedReason) || Boolean(pending)}
          onAction={onAction}
        />
      ))}
    </Box>
  );

  return (
    <Box>
      {deniedReason ? (
        <Tooltip title={deniedReason}>
          {/* A disabled button gets no pointer events; the span shows the tooltip. */}
          <span>{buttons}</span>
        </Tooltip>
      ) : (
        buttons
      )}
      {deniedReason && (
        <Typography variant="body2" color="textSecondary">
          {deniedReason}
        </Typography>
      )}
      {view.power.available.length === 0 && !pending && (
        <Typography variant="body2" color="textSecondary">
          No power action is possible while the VM is {view.printableStatus}.
        </Typography>
      )}
      {pending && (
        <Box mt={1} role="status">
          <LinearProgress
            aria-label={`${actionProgressLabel(
              pending.action,
            )} the virtual machine`}
          />
          <Typography variant="body2">
            {actionProgressLabel(pending.action)} {view.name}: waiting for{' '}
            {pending.target} (now {view.printableStatus})
          </Typography>
        </Box>
      )}
      {actionError && (
        <Box mt={1}>
          <Alert severity="error">{actionError.message}</Alert>
        </Box>
      )}
    </Box>
  );
}
