import {
  Link,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import type { TrackedVirtualMachineRequest } from '@vmportal/plugin-kubevirt-common';
import { useTrackedRequests } from '../../hooks/useTrackedRequests';
import { formatAge, formatTimestamp } from '../../lib/format';
import { requestRouteRef } from '../../routes';
import { VirtualMachineRequestStatus } from '../VirtualMachineRequestStatus';

/**
 * Every VM request the user may see, in the backend's order (the user's own first,
 * then the newest), live; each row links to the request's page.
 */
export function VirtualMachineRequestsTable() {
  const { value, error, loading } = useTrackedRequests();
  const requestLink = useRouteRef(requestRouteRef);

  const columns: TableColumn<TrackedVirtualMachineRequest>[] = [
    {
      title: 'Name',
      highlight: true,
      render: request => (
        <Link to={requestLink({ id: request.id })}>{request.name}</Link>
      ),
    },
    {
      title: 'Cluster / namespace',
      render: request => `${request.cluster} / ${request.namespace}`,
    },
    {
      title: 'Owner',
      render: request => <EntityRefLink entityRef={request.owner} />,
    },
    {
      title: 'Requested by',
      render: request => <EntityRefLink entityRef={request.requestedBy} />,
    },
    {
      title: 'When',
      render: request => (
        <time
          dateTime={request.requestedAt}
          title={formatTimestamp(request.requestedAt)}
        >
          {formatAge(request.requestedAt, Date.now())}
        </time>
      ),
    },
    { title: 'Size', field: 'size' },
    {
      title: 'Stage',
      render: request => <VirtualMachineRequestStatus request={request} />,
    },
  ];

  if (error && !value) {
    return <ResponseErrorPanel error={error} />;
  }
  return (
    <>
      {error && (
        <ResponseErrorPanel
          title={`The list could not refresh: ${error.message}`}
          error={error}
        />
      )}
      <Table
        title="VM requests"
        isLoading={loading}
        options={{
          paging: true,
          pageSize: 20,
          emptyRowsWhenPaging: false,
          search: true,
          sorting: false,
          padding: 'dense',
          draggable: false,
        }}
        columns={columns}
        // material-table writes into its rows; give it copies.
        data={(value ?? []).map(request => ({ ...request }))}
        emptyContent={
          <Box p={2}>
            <Typography variant="body2" color="textSecondary">
              No VM requests you may see yet. Request a virtual machine from
              Create; its request shows here once its pull request opens.
            </Typography>
          </Box>
        }
      />
    </>
  );
}
