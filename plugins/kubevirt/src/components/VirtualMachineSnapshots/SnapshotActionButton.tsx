import { useId, useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import Tooltip from '@material-ui/core/Tooltip';

/** Props of {@link SnapshotActionButton}. */
export interface SnapshotActionButtonProps {
  /** The button's text, and the confirming button's: `Restore`, `Delete`. */
  label: string;
  /** The confirmation dialog's question. */
  question: string;
  /** What confirming does, in the dialog. */
  consequence: string;
  /** Why the button is disabled, as its tooltip; enabled when absent. */
  disabledReason?: string;
  /** Disabled without a reason of its own (another action is under way). */
  busy?: boolean;
  onConfirm(): void;
}

/**
 * A snapshot's Restore or Delete: both replace or lose something, so the user
 * confirms first. Disabled with the reason as its tooltip.
 */
export function SnapshotActionButton(props: SnapshotActionButtonProps) {
  const { label, question, consequence, disabledReason, busy, onConfirm } =
    props;
  const [open, setOpen] = useState(false);
  // One dialog per row: an id that tells them apart.
  const titleId = useId();
  const cancel = () => setOpen(false);
  const confirm = () => {
    setOpen(false);
    onConfirm();
  };
  const button = (
    <Button
      variant="outlined"
      size="small"
      disabled={Boolean(disabledReason) || busy}
      onClick={() => setOpen(true)}
    >
      {label}
    </Button>
  );
  return (
    <>
      {disabledReason ? (
        <Tooltip title={disabledReason}>
          {/* A disabled button gets no pointer events; the span shows the tooltip. */}
          <span>{button}</span>
        </Tooltip>
      ) : (
        button
      )}
      <Dialog open={open} onClose={cancel} aria-labelledby={titleId}>
        <DialogTitle id={titleId}>{question}</DialogTitle>
        <DialogContent>
          <DialogContentText>{consequence}</DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={cancel}>Cancel</Button>
          <Button color="secondary" variant="contained" onClick={confirm}>
            {label}
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
