import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  catalogApiRef,
  entityRouteRef,
  MockStarredEntitiesApi,
  starredEntitiesApiRef,
} from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import {
  inventoryEntity,
  runningState,
} from '../../__fixtures__/inventoryEntities';
import { mockKubevirtApi } from '../../__fixtures__/virtualMachineView';
import { VirtualMachinesPage } from './VirtualMachinesPage';

const web1 = inventoryEntity({ name: 'web-1' });
const app1 = inventoryEntity({ name: 'app-1', os: 'windows' });
const db1 = inventoryEntity({
  name: 'db-1',
  cluster: 'west',
  namespace: 'team-data',
  os: 'windows',
  runStrategy: 'Halted',
});
const service = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'web-service', namespace: 'default' },
  spec: {
    type: 'service',
    owner: 'group:default/team-web',
    lifecycle: 'production',
  },
};

async function renderPage() {
  const catalogApi = catalogApiMock({
    entities: [web1, app1, db1, service],
  });
  const api = mockKubevirtApi();
  api.getVirtualMachineStates.mockImplementation(async refs =>
    refs.map(ref =>
      ref === stringifyEntityRef(db1)
        ? { entityRef: ref, printableStatus: 'Stopped', ready: false }
        : runningState(ref),
    ),
  );
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [catalogApiRef, catalogApi],
        [kubevirtApiRef, api],
        [starredEntitiesApiRef, new MockStarredEntitiesApi()],
      ]}
    >
      <VirtualMachinesPage />
    </TestApiProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
  return { api, catalogApi };
}

const rowNames = () =>
  screen
    .getAllByRole('row')
    .slice(1)
    .map(r => within(r).queryAllByRole('link')[0]?.textContent)
    .filter(Boolean);

describe('VirtualMachinesPage', () => {
  it('lists only the VMs, with their live state, and narrows them by cluster', async () => {
    const { api } = await renderPage();
    expect(
      await screen.findByRole('link', { name: 'db-1' }),
    ).toBeInTheDocument();
    // In the catalog's order: by entity name (cluster-namespace-name).
    expect(rowNames()).toEqual(['app-1', 'web-1', 'db-1']);
    // The table re-renders its rows as the list settles: look the row up each time.
    await waitFor(() =>
      expect(
        within(
          screen.getByRole('link', { name: 'db-1' }).closest('tr')!,
        ).getByText('Stopped'),
      ).toBeInTheDocument(),
    );
    expect(api.getVirtualMachineStates).toHaveBeenCalledTimes(1);
    expect(
      screen.getByRole('button', { name: 'Request a virtual machine' }),
    ).toHaveAttribute(
      'href',
      '/create/templates/default/request-virtual-machine',
    );

    await userEvent.click(screen.getByTestId('vmCluster-picker-expand'));
    await userEvent.click(await screen.findByText('west (1)'));
    await waitFor(() => expect(rowNames()).toEqual(['db-1']));
  });

  it('searches by IP address through the backend, and says when no VM has it', async () => {
    const { api } = await renderPage();
    await screen.findByRole('link', { name: 'db-1' });
    api.searchVirtualMachineAddresses.mockImplementation(async q =>
      q.startsWith('10.244.')
        ? {
            items: [
              {
                entityRef: stringifyEntityRef(web1),
                cluster: 'east',
                namespace: 'team-web',
                name: 'web-1',
                ipAddresses: ['10.244.1.17'],
              },
            ],
            truncated: false,
            unsearchedClusters: [],
          }
        : { items: [], truncated: false, unsearchedClusters: [] },
    );

    const search = screen.getByRole('textbox', {
      name: 'Search by name or IP',
    });
    await userEvent.type(search, '10.244.1.');
    await waitFor(() => expect(rowNames()).toEqual(['web-1']));
    // Typing is debounced: one search for the whole address.
    expect(api.searchVirtualMachineAddresses).toHaveBeenCalledTimes(1);
    expect(api.searchVirtualMachineAddresses).toHaveBeenCalledWith('10.244.1.');

    await userEvent.clear(search);
    await userEvent.type(search, '192.168.');
    await waitFor(() =>
      expect(
        screen.getByText(
          'No VM you may see has an IP address starting with 192.168.',
        ),
      ).toBeInTheDocument(),
    );
    expect(screen.queryByRole('link', { name: /-1$/ })).not.toBeInTheDocument();

    await userEvent.clear(search);
    await userEvent.type(search, 'db');
    await waitFor(() => expect(rowNames()).toEqual(['db-1']));
    expect(api.searchVirtualMachineAddresses).toHaveBeenCalledTimes(2);
  });

  it("exports the page's filtered VMs as CSV", async () => {
    const { api, catalogApi } = await renderPage();
    await screen.findByRole('link', { name: 'db-1' });
    await userEvent.click(screen.getByTestId('vmOs-picker-expand'));
    await userEvent.click(await screen.findByText('windows (2)'));
    await waitFor(() => expect(rowNames()).toEqual(['app-1', 'db-1']));

    const blobs: Blob[] = [];
    URL.createObjectURL = jest.fn((blob: Blob) => {
      blobs.push(blob);
      return 'blob:virtual-machines';
    });
    URL.revokeObjectURL = jest.fn();
    const downloads: string[] = [];
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function download(this: HTMLAnchorElement) {
        downloads.push(this.download);
      });
    // The in-memory catalog of the tests ignores a filter after the first list of
    // values ('spec.type'): answer as the real catalog would.
    const streamEntities = jest
      .spyOn(catalogApi, 'streamEntities')
      .mockImplementation(async function* stream() {
        yield [app1, db1];
      });

    await userEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    click.mockRestore();
    expect(downloads).toEqual([
      expect.stringMatching(/^virtual-machines-\d{4}-\d{2}-\d{2}\.csv$/),
    ]);

    // The same filters as the table: VMs, and the OS chosen.
    expect(streamEntities.mock.calls[0][0]).toMatchObject({
      filter: {
        kind: 'component',
        'spec.type': ['virtual-machine'],
        'metadata.labels.kubevirt.vmportal.io/os': ['windows'],
      },
    });
    expect(blobs[0].type).toBe('text/csv; charset=utf-8');
    expect((await blobs[0].text()).split('\r\n')).toEqual([
      'Name,Entity,Owner,Cluster,Namespace,vCPUs,Memory,Instancetype,OS,Run strategy,Status,IP addresses,Node',
      'app-1,component:default/east-team-web-app-1,team-web,east,team-web,1,4 GiB,u1.medium,windows,Always,Running,10.244.1.17,node-a',
      'db-1,component:default/west-team-data-db-1,team-web,west,team-data,1,4 GiB,u1.medium,windows,Halted,Stopped,,',
      '',
    ]);
    expect(api.getVirtualMachineStates).toHaveBeenLastCalledWith([
      stringifyEntityRef(app1),
      stringifyEntityRef(db1),
    ]);
  });
});
