import {
  CodeSnippet,
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusWarning,
  StructuredMetadataTable,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import Accordion from '@material-ui/core/Accordion';
import AccordionDetails from '@material-ui/core/AccordionDetails';
import AccordionSummary from '@material-ui/core/AccordionSummary';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import MuiTable from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import {
  KUBEVIRT_ANNOTATIONS,
  PowerAction,
  ViewCondition,
  ViewDisk,
  ViewEvent,
  ViewInterface,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import { useVirtualMachine } from '../../hooks/useVirtualMachine';
import { formatAge } from '../../lib/format';
import { isVirtualMachineAvailable } from '../../lib/isVirtualMachineAvailable';
import { formatQuantity } from '../../lib/quantity';
import { restartRequiredCondition } from '../../lib/vmStatus';
import { PowerControls } from '../PowerControls';
import { VirtualMachineChanges } from '../VirtualMachineChanges';
import { hasConsole, VirtualMachineConsole } from '../VirtualMachineConsole';
import { VirtualMachineDiagnosisPanel } from '../VirtualMachineDiagnosisPanel';
import { VirtualMachineFacts } from '../VirtualMachineFacts';
import { VirtualMachineMigration } from '../VirtualMachineMigration';
import { VirtualMachineRequestLink } from '../VirtualMachineRequestLink';
import { VirtualMachineRestartRequired } from '../VirtualMachineRestartRequired';
import { VirtualMachineSnapshots } from '../VirtualMachineSnapshots';

const TABLE_OPTIONS = {
  paging: false,
  search: false,
  padding: 'dense',
  draggable: false,
} as const;

/** material-table writes into its rows; give it copies of the view's objects. */
function rows<T extends object>(items: T[]): T[] {
  return items.map(item => ({ ...item }));
}

const diskColumns: TableColumn<ViewDisk>[] = [
  { title: 'Name', field: 'name', highlight: true },
  { title: 'Type', field: 'type' },
  { title: 'Source', field: 'source', emptyValue: '—' },
  {
    title: 'Size',
    // Claims report bytes (68289980007); people read 63.6 GiB.
    render: disk =>
      disk.size ? formatQuantity(disk.size, 'requests.storage') : '—',
  },
  { title: 'Storage class', field: 'storageClass', emptyValue: '—' },
  { title: 'Bus', field: 'bus', emptyValue: '—' },
  {
    title: 'Phase',
    render: disk =>
      disk.phase
        ? `${disk.phase}${disk.progress ? ` (${disk.progress})` : ''}`
        : '—',
  },
  // Hot-plugged disks: how far KubeVirt has attached them to the running VM.
  { title: 'Hot-plug', field: 'hotplug', emptyValue: '—' },
];

const interfaceColumns: TableColumn<ViewInterface>[] = [
  { title: 'Name', field: 'name', highlight: true },
  { title: 'Network', field: 'network' },
  { title: 'Binding', field: 'binding', emptyValue: '—' },
  { title: 'Guest interface', field: 'interfaceName', emptyValue: '—' },
  { title: 'MAC', field: 'mac', emptyValue: '—' },
  {
    title: 'IP addresses',
    render: nic =>
      nic.ipAddresses.length > 0 ? nic.ipAddresses.join(', ') : '—',
  },
];

const conditionColumns: TableColumn<ViewCondition>[] = [
  { title: 'Type', field: 'type', highlight: true },
  { title: 'Status', field: 'status' },
  { title: 'Reason', field: 'reason', emptyValue: '—' },
  { title: 'Message', field: 'message', emptyValue: '—' },
  {
    title: 'Last transition',
    render: condition => formatAge(condition.lastTransitionTime, Date.now()),
  },
];

const eventColumns: TableColumn<ViewEvent>[] = [
  {
    title: 'Type',
    render: event =>
      event.type === 'Warning' ? (
        <StatusWarning>Warning</StatusWarning>
      ) : (
        event.type
      ),
  },
  { title: 'Reason', field: 'reason' },
  {
    title: 'Object',
    render: event => `${event.object.kind}/${event.object.name}`,
  },
  { title: 'Message', field: 'message' },
  { title: 'Count', field: 'count', type: 'numeric' },
  {
    title: 'Last seen',
    render: event => formatAge(event.lastTimestamp, Date.now()),
  },
];

function resources(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([resource, quantity]) => [
      resource,
      formatQuantity(quantity, resource),
    ]),
  );
}

/** A quantity for people; a missing limit is said, a missing request is a dash. */
function amount(
  values: Record<string, string>,
  resource: string,
  missing: string,
): string {
  const quantity = values[resource];
  return quantity === undefined ? missing : formatQuantity(quantity, resource);
}

const NO_LIMIT = 'no limit';

function LauncherPodCard(props: { view: VirtualMachineView }) {
  const pod = props.view.launcherPod;
  if (!pod) {
    return (
      <InfoCard
        title="Launcher pod"
        subheader="What the running VM asks of the cluster"
      >
        <Typography variant="body2" color="textSecondary">
          No launcher pod: the VM is not running.
        </Typography>
      </InfoCard>
    );
  }
  // cpu and memory always say whether the pod is limited; others show when limited.
  const podLimits = {
    cpu: amount(pod.limits, 'cpu', NO_LIMIT),
    memory: amount(pod.limits, 'memory', NO_LIMIT),
    ...resources(pod.limits),
  };
  return (
    <InfoCard
      title="Launcher pod"
      subheader="What the running VM asks of the cluster"
    >
      <StructuredMetadataTable
        options={{ titleFormat: key => key }}
        metadata={{
          Pod: pod.name,
          Phase: pod.phase,
          'QoS class': pod.qosClass ?? '—',
          'Pod requests':
            Object.keys(pod.requests).length > 0
              ? resources(pod.requests)
              : '—',
          'Pod limits': podLimits,
        }}
      />
      <Box mt={2}>
        <MuiTable size="small" aria-label="Containers of the launcher pod">
          <TableHead>
            <TableRow>
              <TableCell>Container</TableCell>
              <TableCell>CPU request</TableCell>
              <TableCell>CPU limit</TableCell>
              <TableCell>Memory request</TableCell>
              <TableCell>Memory limit</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {pod.containers.map(container => (
              <TableRow key={container.name}>
                <TableCell component="th" scope="row">
                  {container.name}
                  {container.kind === 'container' ? '' : ` (${container.kind})`}
                </TableCell>
                <TableCell>{amount(container.requests, 'cpu', '—')}</TableCell>
                <TableCell>
                  {amount(container.limits, 'cpu', NO_LIMIT)}
                </TableCell>
                <TableCell>
                  {amount(container.requests, 'memory', '—')}
                </TableCell>
                <TableCell>
                  {amount(container.limits, 'memory', NO_LIMIT)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </MuiTable>
      </Box>
    </InfoCard>
  );
}

function ManifestView(props: { manifest: string }) {
  return (
    <Accordion TransitionProps={{ unmountOnExit: true }}>
      <AccordionSummary
        expandIcon={<ExpandMoreIcon />}
        aria-controls="kubevirt-vm-yaml"
        id="kubevirt-vm-yaml-header"
      >
        <Typography variant="h6">YAML</Typography>
      </AccordionSummary>
      <AccordionDetails id="kubevirt-vm-yaml">
        <Box width="100%">
          <CodeSnippet
            text={props.manifest}
            language="yaml"
            showCopyCodeButton
          />
        </Box>
      </AccordionDetails>
    </Accordion>
  );
}

function VirtualMachineDetails(props: { entityRef: string }) {
  const { view, error, loading, pending, actionError, runAction } =
    useVirtualMachine(props.entityRef);

  if (loading && !view) {
    return <Progress />;
  }
  if (!view) {
    return error ? <ResponseErrorPanel error={error} /> : null;
  }
  const onAction = (action: PowerAction, force: boolean) => {
    runAction(action, force);
  };
  return (
    <Grid container spacing={3}>
      {error && (
        <Grid item xs={12}>
          <ResponseErrorPanel
            title={`The page could not refresh: ${error.message}`}
            error={error}
          />
        </Grid>
      )}
      {restartRequiredCondition(view) && (
        <Grid item xs={12}>
          <VirtualMachineRestartRequired
            view={view}
            pending={pending}
            onAction={onAction}
          />
        </Grid>
      )}
      {view.diagnosis && (
        <Grid item xs={12}>
          <VirtualMachineDiagnosisPanel diagnosis={view.diagnosis} />
        </Grid>
      )}
      <Grid item xs={12} md={6}>
        <InfoCard
          title={view.name}
          subheader={`VirtualMachine in ${view.namespace} on ${view.cluster}`}
        >
          <VirtualMachineFacts view={view} />
          {view.requestId && (
            <Box mt={2}>
              <VirtualMachineRequestLink requestId={view.requestId} />
            </Box>
          )}
          <Box mt={2}>
            <PowerControls
              view={view}
              pending={pending}
              actionError={actionError}
              onAction={onAction}
            />
          </Box>
        </InfoCard>
        <Box mt={3}>
          <VirtualMachineMigration entityRef={props.entityRef} view={view} />
        </Box>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard title="Size">
          <StructuredMetadataTable
            options={{ titleFormat: key => key }}
            metadata={{
              Instancetype: view.size.instancetype ?? '— (set on the VM)',
              Preference: view.size.preference ?? '—',
              vCPUs: view.size.vcpus,
              Memory: view.size.memory,
              'Guest OS': view.guestOS?.prettyName ?? view.guestOS?.name ?? '—',
              Kernel: view.guestOS?.kernelRelease ?? '—',
            }}
          />
        </InfoCard>
        <Box mt={3}>
          <VirtualMachineChanges entityRef={props.entityRef} view={view} />
        </Box>
      </Grid>
      {hasConsole(view) && (
        <Grid item xs={12}>
          <VirtualMachineConsole
            entityRef={props.entityRef}
            vmName={view.name}
          />
        </Grid>
      )}
      <Grid item xs={12}>
        <Table
          title="Disks"
          options={TABLE_OPTIONS}
          columns={diskColumns}
          data={rows(view.disks)}
        />
      </Grid>
      <Grid item xs={12}>
        <VirtualMachineSnapshots entityRef={props.entityRef} view={view} />
      </Grid>
      <Grid item xs={12}>
        <Table
          title="Network interfaces"
          options={TABLE_OPTIONS}
          columns={interfaceColumns}
          data={rows(view.interfaces)}
        />
      </Grid>
      <Grid item xs={12} md={6}>
        <Table
          title="Conditions"
          options={TABLE_OPTIONS}
          columns={conditionColumns}
          data={rows(view.conditions)}
        />
      </Grid>
      <Grid item xs={12} md={6}>
        <LauncherPodCard view={view} />
      </Grid>
      <Grid item xs={12}>
        <Table
          title="Recent events"
          options={TABLE_OPTIONS}
          columns={eventColumns}
          data={rows(view.events)}
          emptyContent={
            <Box p={2}>
              <Typography variant="body2" color="textSecondary">
                No recent events.
              </Typography>
            </Box>
          }
        />
      </Grid>
      <Grid item xs={12}>
        <ManifestView manifest={view.manifest} />
      </Grid>
    </Grid>
  );
}

/**
 * The VM tab of a `virtual-machine` Component: why the VM is not running (when
 * something keeps it from running), live state, power actions, live migration,
 * disks, snapshots, NICs, conditions, events, the launcher pod and the VM's YAML.
 */
export function VirtualMachineContent() {
  const { entity } = useEntity();
  if (!isVirtualMachineAvailable(entity)) {
    return (
      <EmptyState
        missing="field"
        title="No virtual machine"
        description={`This entity does not name a KubeVirt virtual machine: it needs the ${[
          KUBEVIRT_ANNOTATIONS.cluster,
          KUBEVIRT_ANNOTATIONS.namespace,
          KUBEVIRT_ANNOTATIONS.name,
        ].join(', ')} annotations, which the KubeVirt catalog provider sets.`}
      />
    );
  }
  const entityRef = stringifyEntityRef(entity);
  // A new entity starts from scratch rather than showing the last one's VM.
  return <VirtualMachineDetails key={entityRef} entityRef={entityRef} />;
}
