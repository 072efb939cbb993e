import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import type { PowerAction } from '@vmportal/plugin-kubevirt-common';
import { actionLabel } from '../../lib/vmStatus';

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

/** Props of {@link PowerActionButton}. */
export interface PowerActionButtonProps {
  action: PowerAction;
  /** The VM's name, for the confirmation dialog. */
  vmName: string;
  disabled?: boolean;
  variant?: 'outlined' | 'contained';
  onAction(action: PowerAction, force: boolean): void;
}

/**
 * One power action's button: confirmed first where it interrupts the guest, with
 * "force" offered where the graceful shutdown can be skipped.
 */
export function PowerActionButton(props: PowerActionButtonProps) {
  const { action, vmName, disabled, variant = 'outlined', onAction } = props;
  const [open, setOpen] = useState(false);
  const [force, setForce] = useState(false);
  const label = actionLabel(action);

  const choose = () => {
    if (CONFIRMED.includes(action)) {
      setForce(false);
      setOpen(true);
    } else {
      onAction(action, false);
    }
  };
  const confirm = () => {
    onAction(action, FORCEABLE.includes(action) && force);
    setOpen(false);
  };
  const cancel = () => setOpen(false);
  const titleId = `kubevirt-power-dialog-title-${action}`;

  return (
    <>
      <Button
        variant={variant}
        color={
          action === 'start' || action === 'unpause' ? 'primary' : 'default'
        }
        size="small"
        disabled={disabled}
        onClick={choose}
      >
        {label}
      </Button>
      {CONFIRMED.includes(action) && (
        <Dialog open={open} onClose={cancel} aria-labelledby={titleId}>
          <DialogTitle id={titleId}>
            {label} {vmName}?
          </DialogTitle>
          <DialogContent>
            <DialogContentText>{CONSEQUENCES[action]}</DialogContentText>
            {FORCEABLE.includes(action) && (
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
              {label}
            </Button>
          </DialogActions>
        </Dialog>
      )}
    </>
  );
}
