import {
  InfoCard,
  Progress,
  StatusError,
  StatusOK,
  StatusPending,
} from '@backstage/core-components';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  kubevirtVmSnapshotPermission,
  ViewRestore,
  ViewSnapshot,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import { useVirtualMachineSnapshots } from '../../hooks/useVirtualMachineSnapshots';
import { formatTimestamp } from '../../lib/format';
import { formatQuantity } from '../../lib/quantity';
import { SnapshotActionButton } from './SnapshotActionButton';

/** KubeVirt's snapshot indications, in the owner's words. */
const INDICATIONS: Record<string, string> = {
  Online: 'taken while the VM ran',
  GuestAgent: 'file systems frozen by the guest agent',
  NoGuestAgent: 'no guest agent: file systems were not frozen',
  Paused: 'taken while the VM was paused',
  PartialSnapshot: 'some disks left out',
};

function SnapshotPhase(props: { snapshot: ViewSnapshot }) {
  const { phase, error, indications } = props.snapshot;
  const label = phase === 'InProgress' ? 'In progress' : phase;
  return (
    <>
      {phase === 'Succeeded' && <StatusOK>{label}</StatusOK>}
      {phase === 'Failed' && <StatusError>{label}</StatusError>}
      {phase !== 'Succeeded' && phase !== 'Failed' && (
        <StatusPending>{label}</StatusPending>
      )}
      {error && (
        <Typography variant="body2" color="error">
          {error}
        </Typography>
      )}
      {indications.length > 0 && (
        <Typography variant="caption" color="textSecondary" component="p">
          {indications.map(i => INDICATIONS[i] ?? i).join('; ')}
        </Typography>
      )}
    </>
  );
}

function SnapshotDisks(props: { snapshot: ViewSnapshot }) {
  const { includedDisks, excludedDisks } = props.snapshot;
  return (
    <>
      <Typography variant="body2">
        {includedDisks.length === 0
          ? 'VM configuration only'
          : `Saved: ${includedDisks.join(', ')}`}
      </Typography>
      {excludedDisks.length > 0 && (
        <Typography variant="caption" color="textSecondary" component="p">
          Left out: {excludedDisks.join(', ')} (no VolumeSnapshotClass for their
          storage)
        </Typography>
      )}
    </>
  );
}

function RestoreState(props: { restore: ViewRestore }) {
  const { restore } = props;
  if (restore.failed) return <StatusError>Failed</StatusError>;
  if (restore.complete) return <StatusOK>Complete</StatusOK>;
  return <StatusPending>In progress</StatusPending>;
}

/** What restoring does to the VM, for its confirmation. */
function restoreConsequence(snapshot: ViewSnapshot): string {
  const taken = snapshot.createdAt
    ? ` (taken ${formatTimestamp(snapshot.createdAt)})`
    : '';
  const config = `The VM's configuration is replaced with the one saved in the snapshot${taken}.`;
  if (snapshot.includedDisks.length === 0) {
    return `${config} No disk was saved with it: the disks keep their current contents.`;
  }
  const saved = snapshot.includedDisks;
  const disks =
    saved.length === 1
      ? `Disk ${saved[0]} is replaced with its saved copy: whatever changed on it since is lost.`
      : `Disks ${saved.join(
          ', ',
        )} are replaced with their saved copies: whatever changed on them since is lost.`;
  const left = snapshot.excludedDisks;
  let kept = '';
  if (left.length === 1) {
    kept = ` Disk ${left[0]} keeps its current contents (left out of the snapshot).`;
  } else if (left.length > 1) {
    kept = ` Disks ${left.join(
      ', ',
    )} keep their current contents (left out of the snapshot).`;
  }
  return `${config} ${disks}${kept}`;
}

/** Props of {@link VirtualMachineSnapshots}. */
export interface VirtualMachineSnapshotsProps {
  entityRef: string;
  view: VirtualMachineView;
}

/**
 * The VM page's "Snapshots" card: the VM's snapshots (when, state, which disks were
 * saved and which left out, size) and its restores, with Take snapshot, Restore and
 * Delete for the users the policy allows. Restore and Delete are confirmed first;
 * Restore waits for the VM to be stopped, as KubeVirt does.
 */
export function VirtualMachineSnapshots(props: VirtualMachineSnapshotsProps) {
  const { entityRef, view } = props;
  // The view carries no decision for snapshots; ask the policy for this entity.
  const permission = usePermission({
    permission: kubevirtVmSnapshotPermission,
    resourceRef: entityRef,
  });
  const state = useVirtualMachineSnapshots(entityRef, view.printableStatus);
  const list = state.value;
  const canAct = permission.allowed;

  const notReady = (snapshot: ViewSnapshot) =>
    snapshot.readyToUse
      ? undefined
      : `Snapshot ${snapshot.name} is ${snapshot.phase}: it can be restored once it has succeeded.`;

  return (
    <InfoCard
      title="Snapshots"
      subheader="The VM's configuration and the disks whose storage can be snapshotted, at one moment"
    >
      {canAct && (
        <Box mb={2}>
          <Button
            variant="contained"
            color="primary"
            size="small"
            disabled={state.busy}
            onClick={() => state.take()}
          >
            Take snapshot
          </Button>
        </Box>
      )}
      {!canAct && !permission.loading && (
        <Typography variant="body2" color="textSecondary" paragraph>
          Only the owners of this virtual machine can take, restore or delete
          its snapshots.
        </Typography>
      )}
      {state.actionError && (
        <Box mb={2}>
          <Alert severity="error">{state.actionError.message}</Alert>
        </Box>
      )}
      {state.error && (
        <Box mb={2}>
          <Alert severity="error">
            {list
              ? `The snapshots could not refresh: ${state.error.message}`
              : state.error.message}
          </Alert>
        </Box>
      )}
      {state.loading && <Progress />}
      {list &&
        canAct &&
        list.restoreBlockedReason &&
        list.snapshots.length > 0 && (
          <Typography variant="body2" color="textSecondary" paragraph>
            {list.restoreBlockedReason}
          </Typography>
        )}
      {list && list.snapshots.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          No snapshots yet.
        </Typography>
      )}
      {list && list.snapshots.length > 0 && (
        <Table size="small" aria-label="Snapshots">
          <TableHead>
            <TableRow>
              <TableCell>Name</TableCell>
              <TableCell>Taken at</TableCell>
              <TableCell>Phase</TableCell>
              <TableCell>Disks</TableCell>
              <TableCell>Size</TableCell>
              {canAct && <TableCell>Actions</TableCell>}
            </TableRow>
          </TableHead>
          <TableBody>
            {list.snapshots.map(snapshot => (
              <TableRow key={snapshot.name}>
                <TableCell component="th" scope="row">
                  {snapshot.name}
                </TableCell>
                <TableCell>
                  {snapshot.createdAt
                    ? formatTimestamp(snapshot.createdAt)
                    : '—'}
                </TableCell>
                <TableCell>
                  <SnapshotPhase snapshot={snapshot} />
                </TableCell>
                <TableCell>
                  <SnapshotDisks snapshot={snapshot} />
                </TableCell>
                <TableCell>
                  {snapshot.size
                    ? formatQuantity(snapshot.size, 'requests.storage')
                    : '—'}
                </TableCell>
                {canAct && (
                  <TableCell>
                    <Box display="flex" style={{ gap: 8 }}>
                      <SnapshotActionButton
                        label="Restore"
                        question={`Restore ${view.name} from ${snapshot.name}?`}
                        consequence={restoreConsequence(snapshot)}
                        disabledReason={
                          list.restoreBlockedReason ?? notReady(snapshot)
                        }
                        busy={state.busy}
                        onConfirm={() => state.restore(snapshot.name)}
                      />
                      <SnapshotActionButton
                        label="Delete"
                        question={`Delete snapshot ${snapshot.name}?`}
                        consequence={`The snapshot and its saved disk copies are deleted: ${view.name} can no longer be restored to it. The VM itself does not change.`}
                        busy={state.busy}
                        onConfirm={() => state.remove(snapshot.name)}
                      />
                    </Box>
                  </TableCell>
                )}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {list && list.restores.length > 0 && (
        <Box mt={3}>
          <Typography variant="subtitle2" component="h3" gutterBottom>
            Restores
          </Typography>
          <Table size="small" aria-label="Restores">
            <TableHead>
              <TableRow>
                <TableCell>Snapshot</TableCell>
                <TableCell>State</TableCell>
                <TableCell>Restored at</TableCell>
                <TableCell>Reason</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {list.restores.map(restore => (
                <TableRow key={restore.name}>
                  <TableCell component="th" scope="row">
                    {restore.snapshot}
                  </TableCell>
                  <TableCell>
                    <RestoreState restore={restore} />
                  </TableCell>
                  <TableCell>
                    {restore.restoredAt
                      ? formatTimestamp(restore.restoredAt)
                      : '—'}
                  </TableCell>
                  <TableCell>{restore.reason ?? '—'}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
    </InfoCard>
  );
}
