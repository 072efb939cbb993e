import { useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import LinearProgress from '@material-ui/core/LinearProgress';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import type {
  PowerAction,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import type { PendingAction } from '../../hooks/useVirtualMachine';
import { actionLabel, actionProgressLabel } from '../../lib/vmStatus';

/** What the confirmation dialog says each action does. */
const CONSEQUENCES: Partial<Record<PowerAction, string>> = {
  stop: 'The guest operating system is asked to shut down; KubeVirt stops the VM when it has, or when its grace period ends.',
  restart:
    'The guest operating system is asked to shut down, then the VM starts again on a fresh launcher pod.',
  pause:
    'The guest is frozen where it is, and stays frozen until you unpause it. Its memory and CPU stay reserved.',
};

/** Actions that interrupt the guest: the user confirms them first. */
const CONFIRMED: readonly PowerAction[] = ['stop', 'restart', 'pause'];
/** Actions that can skip the guest's graceful shutdown. */
const FORCEABLE: readonly PowerAction[] = ['stop', 'restart'];

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
  // The dialog keeps its action while it fades out after closing.
  const [dialogAction, setDialogAction] = useState<PowerAction>();
  const [dialogOpen, setDialogOpen] = useState(false);
  const [force, setForce] = useState(false);
  const deniedReason = view.power.allowed
    ? undefined
    : view.power.deniedReason ??
      'Only the owners of this virtual machine can start or stop it.';

  const choose = (action: PowerAction) => {
    if (CONFIRMED.includes(action)) {
      setForce(false);
      setDialogAction(action);
      setDialogOpen(true);
    } else {
      onAction(action, false);
    }
  };
  const confirm = () => {
    if (dialogAction) {
      onAction(dialogAction, FORCEABLE.includes(dialogAction) && force);
    }
    setDialogOpen(false);
  };
  const cancel = () => setDialogOpen(false);

  const buttons = (
    <Box display="flex" flexWrap="wrap" style={{ gap: 8 }}>
      {view.power.available.map(action => (
        <Button
          key={action}
          variant="outlined"
          color={
            action === 'start' || action === 'unpause' ? 'primary' : 'default'
          }
          size="small"
          disabled={Boolean(deniedReason) || Boolean(pending)}
          onClick={() => choose(action)}
        >
          {actionLabel(action)}
        </Button>
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
      <Dialog
        open={dialogOpen}
        onClose={cancel}
        aria-labelledby="kubevirt-power-dialog-title"
      >
        {dialogAction && (
          <>
            <DialogTitle id="kubevirt-power-dialog-title">
              {actionLabel(dialogAction)} {view.name}?
            </DialogTitle>
            <DialogContent>
              <DialogContentText>
                {CONSEQUENCES[dialogAction]}
              </DialogContentText>
              {FORCEABLE.includes(dialogAction) && (
                <FormControlLabel
                  control={
                    <Checkbox
                      checked={force}
                      onChange={event => setForce(event.target.checked)}
                    />
                  }
                  label="Force: skip the graceful shutdown (like pulling the power cord)"
                />
              )}
            </DialogContent>
            <DialogActions>
              <Button onClick={cancel}>Cancel</Button>
              <Button color="secondary" variant="contained" onClick={confirm}>
                {actionLabel(dialogAction)}
              </Button>
            </DialogActions>
          </>
        )}
      </Dialog>
    </Box>
  );
}
