import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import type {
  PowerAction,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import type { PendingAction } from '../../hooks/useVirtualMachine';
import { restartRequiredCondition } from '../../lib/vmStatus';
import { PowerActionButton } from '../PowerControls';

/** Props of {@link VirtualMachineRestartRequired}. */
export interface VirtualMachineRestartRequiredProps {
  view: VirtualMachineView;
  pending?: PendingAction;
  onAction(action: PowerAction, force: boolean): void;
}

/**
 * "Restart required", when KubeVirt says a change (a new size, say) waits for the
 * VM's next restart: KubeVirt's own message, and for owners the Restart button of
 * the power controls. Nothing otherwise.
 */
export function VirtualMachineRestartRequired(
  props: VirtualMachineRestartRequiredProps,
) {
  const { view, pending, onAction } = props;
  const condition = restartRequiredCondition(view);
  if (!condition) {
    return null;
  }
  const canRestart =
    view.power.allowed && view.power.available.includes('restart');
  return (
    <section aria-label="Restart required">
      <Alert
        severity="warning"
        action={
          canRestart ? (
            <PowerActionButton
              action="restart"
              vmName={view.name}
              variant="contained"
              disabled={Boolean(pending)}
              onAction={onAction}
            />
          ) : undefined
        }
      >
        <AlertTitle>
          Restart required: the VM runs with its old settings until it restarts
        </AlertTitle>
        {condition.message && (
          <Typography variant="body2" component="p">
            KubeVirt: {condition.message}
          </Typography>
        )}
        {!view.power.allowed && (
          <Box mt={1}>
            <Typography variant="body2" component="p">
              {view.power.deniedReason ??
                'Only the owners of this virtual machine can restart it.'}
            </Typography>
          </Box>
        )}
      </Alert>
    </section>
  );
}
