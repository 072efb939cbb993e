import { stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogTable } from '@backstage/plugin-catalog';
import {
  EntityKindFilter,
  EntityTypeFilter,
  entityRouteRef,
  MockStarredEntitiesApi,
  starredEntitiesApiRef,
} from '@backstage/plugin-catalog-react';
import { MockEntityListContextProvider } from '@backstage/plugin-catalog-react/testUtils';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Entity } from '@backstage/catalog-model';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import {
  inventoryEntity,
  runningState,
} from '../../__fixtures__/inventoryEntities';
import { mockKubevirtApi } from '../../__fixtures__/virtualMachineView';
import { virtualMachineCatalogColumns } from './virtualMachineCatalogColumns';

function renderTable(
  api: ReturnType<typeof mockKubevirtApi>,
  entities: Entity[],
  type = 'virtual-machine',
) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [kubevirtApiRef, api],
        [starredEntitiesApiRef, new MockStarredEntitiesApi()],
      ]}
    >
      <MockEntityListContextProvider
        value={{
          entities,
          filters: {
            kind: new EntityKindFilter('component', 'Component'),
            type: new EntityTypeFilter(type),
          },
        }}
      >
        <CatalogTable columns={virtualMachineCatalogColumns} />
      </MockEntityListContextProvider>
    </TestApiProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}

const row = (name: string) =>
  screen.getByRole('link', { name }).closest('tr') as HTMLElement;

describe('virtualMachineCatalogColumns', () => {
  it('shows the VM columns, with the live state of all rows from one call', async () => {
    const entities = [
      ...Array.from({ length: 12 }, (_, i) =>
        inventoryEntity({ name: `web-${i}` }),
      ),
      inventoryEntity({
        name: 'db-1',
        cluster: 'west',
        namespace: 'team-data',
        os: 'windows',
        runStrategy: 'Halted',
        instancetype: 'cx1.large',
        vcpu: '2',
        memory: '8Gi',
      }),
    ];
    const api = mockKubevirtApi();
    api.getVirtualMachineStates.mockImplementation(async refs =>
      refs.map(ref =>
        ref.endsWith('db-1')
          ? { entityRef: ref, printableStatus: 'Stopped', ready: false }
          : runningState(ref, [`10.244.1.${ref.split('-').pop()}`]),
      ),
    );
    await renderTable(api, entities);

    expect(
      screen
        .getAllByRole('columnheader')
        .map(header => header.textContent)
        .filter(Boolean),
    ).toEqual(
      expect.arrayContaining([
        'Name',
        'Owner',
        'Cluster',
        'Namespace',
        'Size',
        'OS',
        'Run strategy',
        'Status',
        'IP addresses',
      ]),
    );
    const db = row('db-1');
    expect(within(db).getByText('west')).toBeInTheDocument();
    expect(within(db).getByText('team-data')).toBeInTheDocument();
    expect(within(db).getByText('2 vCPU · 8 GiB')).toBeInTheDocument();
    expect(within(db).getByText('cx1.large')).toBeInTheDocument();
    expect(within(db).getByText('windows')).toBeInTheDocument();
    expect(within(db).getByText('Halted')).toBeInTheDocument();
    expect(await within(db).findByText('Stopped')).toBeInTheDocument();
    expect(within(row('web-7')).getByText('Running')).toBeInTheDocument();
    expect(within(row('web-7')).getByText('10.244.1.7')).toBeInTheDocument();

    // 13 rows, two live cells each: one call.
    expect(api.getVirtualMachineStates).toHaveBeenCalledTimes(1);
    expect(api.getVirtualMachineStates.mock.calls[0][0]).toHaveLength(13);
    expect(api.getVirtualMachineStates.mock.calls[0][0]).toEqual(
      expect.arrayContaining(entities.map(e => stringifyEntityRef(e))),
    );
  });

  it('shows a dash, saying why, for a VM whose state the user may not see', async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachineStates.mockImplementation(async refs =>
      refs.map(ref =>
        ref.endsWith('secret-1')
          ? {
              entityRef: ref,
              gap: 'not-allowed' as const,
              message: "You may not see this VM's live state",
            }
          : runningState(ref),
      ),
    );
    await renderTable(api, [
      inventoryEntity({ name: 'web-1' }),
      inventoryEntity({ name: 'secret-1' }),
    ]);

    expect(
      await within(row('web-1')).findByText('Running'),
    ).toBeInTheDocument();
    const secret = row('secret-1');
    const dashes = within(secret).getAllByLabelText(
      "You may not see this VM's live state",
    );
    // Status and IP addresses.
    expect(dashes).toHaveLength(2);
    expect(dashes[0]).toHaveTextContent('—');
    expect(within(secret).queryByText('Running')).not.toBeInTheDocument();
    await userEvent.hover(dashes[0]);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      "You may not see this VM's live state",
    );
  });

  it("keeps the catalog's own columns for other types", async () => {
    const api = mockKubevirtApi();
    await renderTable(
      api,
      [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'web-service', namespace: 'default' },
          spec: { type: 'service', owner: 'team-web', lifecycle: 'production' },
        },
      ],
      'service',
    );
    expect(
      await screen.findByRole('link', { name: 'web-service' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('columnheader', { name: 'Cluster' }),
    ).not.toBeInTheDocument();
    expect(
      screen.getByRole('columnheader', { name: /Lifecycle/ }),
    ).toBeInTheDocument();
    expect(api.getVirtualMachineStates).not.toHaveBeenCalled();
  });
});
