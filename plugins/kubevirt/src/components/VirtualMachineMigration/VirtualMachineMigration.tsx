import {
  InfoCard,
  Progress,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import {
  kubevirtVmMigratePermission,
  MigrationStatus,
  VirtualMachineMigrationPlan,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import { useVirtualMachineMigration } from '../../hooks/useVirtualMachineMigration';
import { formatTimestamp } from '../../lib/format';
import { isMigrationEnded } from '../../lib/migrationPhase';
import { formatQuantity } from '../../lib/quantity';

function nodesWithRoom(plan: VirtualMachineMigrationPlan): string {
  const fitting = plan.nodes.filter(node => node.fits);
  if (fitting.length === 0) return 'none';
  return fitting
    .map(
      node =>
        `${node.name} (${formatQuantity(node.cpuFree, 'cpu')}, ${formatQuantity(
          node.memoryFree,
          'memory',
        )} free)`,
    )
    .join(', ');
}

/** The latest migration: under way with its phase, or how it ended. */
function LatestMigration(props: { migration: MigrationStatus }) {
  const { migration } = props;
  const route = `${migration.sourceNode ?? '?'} → ${
    migration.targetNode ?? 'a node not chosen yet'
  }`;
  if (!isMigrationEnded(migration)) {
    return (
      <Box mt={2} role="status">
        <LinearProgress aria-label="Migrating the virtual machine" />
        <Typography variant="body2">
          Migration {migration.name}: {migration.phase} ({route})
          {migration.reason ? ` — ${migration.reason}` : ''}
        </Typography>
      </Box>
    );
  }
  const when = migration.endedAt
    ? ` at ${formatTimestamp(migration.endedAt)}`
    : '';
  if (migration.phase === 'Failed') {
    return (
      <Box mt={2}>
        <Alert severity="error">
          Migration {migration.name} failed{when}
          {migration.reason ? `: ${migration.reason}` : ''}. The VM stays on{' '}
          {migration.sourceNode ?? 'its node'}.
        </Alert>
      </Box>
    );
  }
  return (
    <Box mt={2}>
      <Typography variant="body2">
        Last migration {migration.name} succeeded{when}: moved from{' '}
        {migration.sourceNode ?? '?'} to {migration.targetNode ?? '?'}.
      </Typography>
    </Box>
  );
}

/** Props of {@link VirtualMachineMigration}. */
export interface VirtualMachineMigrationProps {
  entityRef: string;
  view: VirtualMachineView;
}

/**
 * The VM page's "Migration" card: where the VM runs, what a target launcher pod
 * would ask for, which nodes have room for it and, when a migration would not fit,
 * why (the ResourceQuota or the nodes, with the fix) before anyone clicks. Owners
 * get Migrate, disabled while it would not fit; a migration under way shows its
 * phase until it ends on its new node.
 */
export function VirtualMachineMigration(props: VirtualMachineMigrationProps) {
  const { entityRef, view } = props;
  // The view carries no decision for migration; ask the policy for this entity.
  const permission = usePermission({
    permission: kubevirtVmMigratePermission,
    resourceRef: entityRef,
  });
  const state = useVirtualMachineMigration(entityRef, view);
  const plan = state.value;

  return (
    <InfoCard title="Migration" subheader="Live-migrate the VM to another node">
      {state.loading && <Progress />}
      {state.error && (
        <Alert severity="error">
          {plan
            ? `The migration plan could not refresh: ${state.error.message}`
            : state.error.message}
        </Alert>
      )}
      {plan && (
        <>
          <StructuredMetadataTable
            options={{ titleFormat: key => key }}
            metadata={{
              'Current node': plan.currentNode ?? view.node ?? '—',
              'Target pod': plan.targetPod
                ? `${formatQuantity(
                    plan.targetPod.cpu,
                    'cpu',
                  )}, ${formatQuantity(plan.targetPod.memory, 'memory')}`
                : '—',
              'Nodes with room': nodesWithRoom(plan),
            }}
          />
          {plan.problems.length > 0 && (
            <Box mt={2}>
              <Alert severity="warning">
                <AlertTitle>The VM cannot be migrated now</AlertTitle>
                {plan.problems.map(problem => (
                  <Typography key={problem} variant="body2" component="p">
                    {problem}
                  </Typography>
                ))}
              </Alert>
            </Box>
          )}
          {plan.latest && <LatestMigration migration={plan.latest} />}
          {permission.allowed && (
            <Box mt={2}>
              <Button
                variant="outlined"
                color="primary"
                size="small"
                disabled={!plan.fits || state.starting}
                onClick={() => state.start()}
              >
                Migrate
              </Button>
            </Box>
          )}
        </>
      )}
      {!permission.allowed && !permission.loading && (
        <Box mt={2}>
          <Typography variant="body2" color="textSecondary">
            Only the owners of this virtual machine can migrate it.
          </Typography>
        </Box>
      )}
      {state.startError && (
        <Box mt={2}>
          <Alert severity="error">{state.startError.message}</Alert>
        </Box>
      )}
    </InfoCard>
  );
}
