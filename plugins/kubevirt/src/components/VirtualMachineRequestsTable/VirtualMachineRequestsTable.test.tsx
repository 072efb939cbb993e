import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { trackedRequest } from '../../__fixtures__/trackedRequest';
import { mockKubevirtApi } from '../../__fixtures__/virtualMachineView';
import { requestsRouteRef } from '../../routes';
import { VirtualMachineRequestsPage } from '../VirtualMachineRequestsPage';

const mountedRoutes = {
  '/vm-requests': requestsRouteRef,
  '/catalog/:namespace/:kind/:name': entityRouteRef,
};

async function renderList(api: ReturnType<typeof mockKubevirtApi>) {
  return renderInTestApp(
    <TestApiProvider apis={[[kubevirtApiRef, api]]}>
      <VirtualMachineRequestsPage />
    </TestApiProvider>,
    { mountedRoutes, routeEntries: ['/'] },
  );
}

/** The table's body rows, each as the texts of its cells. */
function rows(): HTMLElement[] {
  const table = screen
    .getByRole('columnheader', { name: 'Requested by' })
    .closest('table') as HTMLElement;
  return within(table).getAllByRole('row').slice(1);
}

describe('VirtualMachineRequestsTable', () => {
  it('lists the requests in the order the backend gave, each row linking to its page', async () => {
    const api = mockKubevirtApi();
    api.listRequests.mockResolvedValue([
      // The user's own first (older), then the newest of others.
      trackedRequest('pr-open', {
        id: 'task-0003',
        name: 'web-frontend-3',
        requestedAt: '2025-03-01T08:00:00Z',
      }),
      trackedRequest('in-catalog', {
        id: 'task-0009',
        name: 'billing-db-1',
        owner: 'group:default/team-billing',
        requestedBy: 'user:default/grace',
        cluster: 'west',
        namespace: 'team-billing',
        requestedAt: '2025-03-02T08:00:00Z',
      }),
      trackedRequest('applied', {
        id: 'task-0004',
        name: 'web-frontend-4',
        vm: {
          uid: 'u-4',
          printableStatus: 'ErrorUnschedulable',
          failingCondition: { type: 'Synchronized', reason: 'FailedCreate' },
        },
      }),
      trackedRequest('declined', { id: 'task-0005', name: 'web-frontend-5' }),
      trackedRequest('merged', { id: 'task-0006', name: 'web-frontend-6' }),
      trackedRequest('running', { id: 'task-0007', name: 'web-frontend-7' }),
    ]);
    await renderList(api);

    expect(await screen.findByText('web-frontend-3')).toBeInTheDocument();
    expect(api.listRequests).toHaveBeenCalledWith({});
    const names = rows().map(
      row => within(row).getAllByRole('link')[0].textContent,
    );
    expect(names).toEqual([
      'web-frontend-3',
      'billing-db-1',
      'web-frontend-4',
      'web-frontend-5',
      'web-frontend-6',
      'web-frontend-7',
    ]);
    expect(screen.getByRole('link', { name: 'billing-db-1' })).toHaveAttribute(
      'href',
      '/vm-requests/task-0009',
    );

    const [open, inCatalog, stuck, declined, merged, running] = rows();
    expect(within(open).getByText('PR open')).toBeInTheDocument();
    expect(within(open).getByText('east / team-web')).toBeInTheDocument();
    expect(
      within(open).getByText('u1.medium: 1 vCPU, 4 GiB'),
    ).toBeInTheDocument();
    expect(within(open).getByText('ada')).toBeInTheDocument();
    expect(within(inCatalog).getByText('In the catalog')).toBeInTheDocument();
    expect(
      within(inCatalog).getByText('west / team-billing'),
    ).toBeInTheDocument();
    expect(within(inCatalog).getByText('team-billing')).toBeInTheDocument();
    expect(within(inCatalog).getByText('grace')).toBeInTheDocument();
    expect(
      within(stuck).getByText(
        'Applied, not running: ErrorUnschedulable (FailedCreate)',
      ),
    ).toBeInTheDocument();
    expect(within(declined).getByText('Declined')).toBeInTheDocument();
    expect(within(merged).getByText('Merged')).toBeInTheDocument();
    expect(within(running).getByText('Running')).toBeInTheDocument();
  });

  it('says when there is nothing to show', async () => {
    const api = mockKubevirtApi();
    api.listRequests.mockResolvedValue([]);
    await renderList(api);
    expect(
      await screen.findByText(/No VM requests you may see yet/),
    ).toBeInTheDocument();
  });

  it('explains a failure', async () => {
    const api = mockKubevirtApi();
    api.listRequests.mockRejectedValue(
      new Error('Could not list the VM requests: the database is down'),
    );
    await renderList(api);
    expect(
      (await screen.findAllByText(/the database is down/)).length,
    ).toBeGreaterThan(0);
  });
});
