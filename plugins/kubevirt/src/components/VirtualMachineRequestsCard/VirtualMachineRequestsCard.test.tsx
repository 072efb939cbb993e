import type { Entity } from '@backstage/catalog-model';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { trackedRequest } from '../../__fixtures__/trackedRequest';
import { mockKubevirtApi } from '../../__fixtures__/virtualMachineView';
import { requestsRouteRef } from '../../routes';
import {
  REQUESTS_CARD_LIMIT,
  VirtualMachineRequestsCard,
} from './VirtualMachineRequestsCard';

const user: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name: 'ada', namespace: 'default' },
  spec: { memberOf: ['team-web'] },
};

const team: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'team-web', namespace: 'default' },
  spec: { type: 'team', children: [] },
};

async function renderCard(
  api: ReturnType<typeof mockKubevirtApi>,
  entity: Entity,
) {
  return renderInTestApp(
    <TestApiProvider apis={[[kubevirtApiRef, api]]}>
      <EntityProvider entity={entity}>
        <VirtualMachineRequestsCard />
      </EntityProvider>
    </TestApiProvider>,
    {
      mountedRoutes: {
        '/vm-requests': requestsRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
}

describe('VirtualMachineRequestsCard', () => {
  it("lists a person's requests with their stages, linking to each request's page", async () => {
    const api = mockKubevirtApi();
    api.listRequests.mockResolvedValue([
      trackedRequest('applied', {
        id: 'task-0004',
        name: 'web-frontend-4',
        vm: {
          uid: 'u-4',
          printableStatus: 'ErrorUnschedulable',
          failingCondition: { type: 'Synchronized', reason: 'FailedCreate' },
        },
      }),
      trackedRequest('in-catalog'),
    ]);
    await renderCard(api, user);

    const list = await screen.findByRole('list', { name: 'VM requests' });
    expect(api.listRequests).toHaveBeenCalledWith({
      requestedBy: 'user:default/ada',
    });
    const items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(
      within(items[0]).getByRole('link', { name: 'web-frontend-4' }),
    ).toHaveAttribute('href', '/vm-requests/task-0004');
    expect(
      within(items[0]).getByText(
        'Applied, not running: ErrorUnschedulable (FailedCreate)',
      ),
    ).toBeInTheDocument();
    expect(
      within(items[1]).getByRole('link', { name: 'web-frontend-2' }),
    ).toHaveAttribute('href', '/vm-requests/task-0001');
    expect(within(items[1]).getByText('In the catalog')).toBeInTheDocument();
    // A person's own card does not repeat who asked.
    expect(within(list).queryByText(/by ada/)).not.toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: /All VM requests/ }),
    ).toHaveAttribute('href', '/vm-requests');
  });

  it("lists a team's requests with who asked, the first few of many", async () => {
    const api = mockKubevirtApi();
    const many = Array.from({ length: REQUESTS_CARD_LIMIT + 2 }, (_, i) =>
      trackedRequest('running', {
        id: `task-${i}`,
        name: `web-${i}`,
        requestedBy: 'user:default/grace',
      }),
    );
    api.listRequests.mockResolvedValue(many);
    await renderCard(api, team);

    const list = await screen.findByRole('list', { name: 'VM requests' });
    expect(api.listRequests).toHaveBeenCalledWith({
      owner: 'group:default/team-web',
    });
    const items = within(list).getAllByRole('listitem');
    expect(
      items.map(item => within(item).getByRole('link').textContent),
    ).toEqual(['web-0', 'web-1', 'web-2', 'web-3', 'web-4']);
    expect(within(items[0]).getByText(/by grace/)).toBeInTheDocument();
    expect(
      screen.getByText(`${REQUESTS_CARD_LIMIT} of ${many.length} shown.`),
    ).toBeInTheDocument();
  });

  it('says when the team has none', async () => {
    const api = mockKubevirtApi();
    api.listRequests.mockResolvedValue([]);
    await renderCard(api, team);
    expect(
      await screen.findByText('The team has no VM requests.'),
    ).toBeInTheDocument();
  });
});
