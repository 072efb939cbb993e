import {
  createExtensionTester,
  renderInTestApp,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import {
  ApiBlueprint,
  coreExtensionData,
} from '@backstage/frontend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import {
  catalogApiRef,
  EntityProvider,
  entityRouteRef,
  MockStarredEntitiesApi,
  starredEntitiesApiRef,
} from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import userEvent from '@testing-library/user-event';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import { screen, waitFor, within } from '@testing-library/react';
import kubevirtPlugin, {
  entityTeamVirtualMachineRequestsCard,
  entityTeamVirtualMachinesCard,
  entityUserVirtualMachineRequestsCard,
  entityVirtualMachineContent,
  entityVirtualMachineOverviewCard,
  kubevirtApi,
  virtualMachineCatalogFilters,
  virtualMachineInventoryExportConfig,
  virtualMachineRequestsPage,
  virtualMachinesPage,
  virtualMachineChangePlanFormField,
  virtualMachineSizePickerFormField,
} from './alpha';
import { trackedRequest } from './__fixtures__/trackedRequest';
import { requestsRouteRef, virtualMachinesRouteRef } from './routes';
import {
  inventoryEntity,
  runningState,
} from './__fixtures__/inventoryEntities';
import { kubevirtApiRef } from './api/KubevirtApi';
import {
  mockKubevirtApi,
  vmEntity,
  vmView,
} from './__fixtures__/virtualMachineView';

describe('the new frontend system plugin', () => {
  it('puts the VM tab on virtual-machine Components and renders it lazily', async () => {
    const tester = createExtensionTester(entityVirtualMachineContent);
    expect(tester.get(EntityContentBlueprint.dataRefs.filterExpression)).toBe(
      'kind:component,spec.type:virtual-machine',
    );
    expect(tester.get(coreExtensionData.routePath)).toBe('/virtual-machine');
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe(
      'Virtual machine',
    );

    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(vmView('Stopped'));
    renderInTestApp(
      <EntityProvider entity={vmEntity}>
        {tester.reactElement()}
      </EntityProvider>,
      { apis: [[kubevirtApiRef, api]] },
    );
    expect(
      await screen.findByRole('button', { name: 'Start' }),
    ).toBeInTheDocument();
  });

  it('adds the overview card to VMs and the team card to Groups', () => {
    expect(
      createExtensionTester(entityVirtualMachineOverviewCard).get(
        EntityCardBlueprint.dataRefs.filterExpression,
      ),
    ).toBe('kind:component,spec.type:virtual-machine');
    expect(
      createExtensionTester(entityTeamVirtualMachinesCard).get(
        EntityCardBlueprint.dataRefs.filterExpression,
      ),
    ).toBe('kind:group');
  });

  it('adds the VM requests cards to Users and Groups', () => {
    expect(
      createExtensionTester(entityUserVirtualMachineRequestsCard).get(
        EntityCardBlueprint.dataRefs.filterExpression,
      ),
    ).toBe('kind:user');
    expect(
      createExtensionTester(entityTeamVirtualMachineRequestsCard).get(
        EntityCardBlueprint.dataRefs.filterExpression,
      ),
    ).toBe('kind:group');
  });

  it('mounts the VM requests page at /vm-requests with a sidebar item', async () => {
    const page = createExtensionTester(virtualMachineRequestsPage);
    expect(page.get(coreExtensionData.routePath)).toBe('/vm-requests');
    expect(page.get(coreExtensionData.routeRef)).toBe(requestsRouteRef);
    expect(page.get(coreExtensionData.title)).toBe('VM requests');

    const api = mockKubevirtApi();
    api.listRequests.mockResolvedValue([trackedRequest('running')]);
    renderTestApp({
      features: [kubevirtPlugin],
      apis: [[kubevirtApiRef, api]],
      initialRouteEntries: ['/vm-requests'],
      // The catalog plugin's entity pages, which the rows link owners to.
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });
    const row =
      // The page and its table load lazily: on a busy machine, more than a second.
      (
        await screen.findByRole(
          'link',
          { name: 'web-frontend-2' },
          { timeout: 15_000 },
        )
      ).closest('tr') as HTMLElement;
    expect(within(row).getByText('Running')).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'web-frontend-2' }),
    ).toHaveAttribute('href', '/vm-requests/task-0001');
    const navItem = screen
      .getAllByRole('link', { name: /VM requests/ })
      .find(link => link.closest('nav'));
    expect(navItem).toHaveAttribute('href', '/vm-requests');
  });

  it('mounts the VM inventory at /virtual-machines with a sidebar item', async () => {
    const page = createExtensionTester(virtualMachinesPage);
    expect(page.get(coreExtensionData.routePath)).toBe('/virtual-machines');
    expect(page.get(coreExtensionData.routeRef)).toBe(virtualMachinesRouteRef);
    expect(page.get(coreExtensionData.title)).toBe('Virtual machines');

    const vm = inventoryEntity({ name: 'web-1' });
    const api = mockKubevirtApi();
    api.getVirtualMachineStates.mockImplementation(async refs =>
      refs.map(ref => runningState(ref)),
    );
    renderTestApp({
      features: [kubevirtPlugin],
      apis: [
        [kubevirtApiRef, api],
        [catalogApiRef, catalogApiMock({ entities: [vm] })],
        [starredEntitiesApiRef, new MockStarredEntitiesApi()],
      ],
      initialRouteEntries: ['/virtual-machines'],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });
    await screen.findByRole('link', { name: 'web-1' }, { timeout: 15_000 });
    // The table re-renders its rows as the list settles: look the row up each time.
    await waitFor(() =>
      expect(
        within(
          screen.getByRole('link', { name: 'web-1' }).closest('tr')!,
        ).getByText('Running'),
      ).toBeInTheDocument(),
    );
    expect(api.getVirtualMachineStates).toHaveBeenCalledWith([
      stringifyEntityRef(vm),
    ]);
    const navItem = screen
      .getAllByRole('link', { name: /Virtual machines/ })
      .find(link => link.closest('nav'));
    expect(navItem).toHaveAttribute('href', '/virtual-machines');
  });

  describe("the catalog's own page", () => {
    const service = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'web-service', namespace: 'default' },
      spec: { type: 'service', owner: 'group:default/team-web' },
    };
    function renderCatalogPage(initialRouteEntries?: string[]) {
      const tester = createExtensionTester(
        catalogPlugin.getExtension('page:catalog'),
        { config: { exportSettings: { enabled: true } } },
      )
        .add(catalogPlugin.getExtension('catalog-filter:catalog/kind'))
        .add(catalogPlugin.getExtension('catalog-filter:catalog/type'))
        .add(virtualMachineCatalogFilters)
        .add(virtualMachineInventoryExportConfig);
      renderInTestApp(tester.reactElement(), {
        apis: [
          [kubevirtApiRef, mockKubevirtApi()],
          [
            catalogApiRef,
            catalogApiMock({
              entities: [
                inventoryEntity({ name: 'web-1' }),
                inventoryEntity({ name: 'db-1', cluster: 'west' }),
                service,
              ],
            }),
          ],
          [starredEntitiesApiRef, new MockStarredEntitiesApi()],
        ],
        initialRouteEntries,
        mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      });
    }

    it('offers the VM inventory CSV in its export', async () => {
      renderCatalogPage();
      await screen.findByRole(
        'link',
        { name: 'web-service' },
        { timeout: 15_000 },
      );
      await userEvent.click(
        screen.getByRole('button', { name: 'Export selection' }),
      );
      // The format select's options, as the browser's own select holds them.
      expect(
        await screen.findByRole('option', {
          name: 'VM inventory (CSV)',
          hidden: true,
        }),
      ).toHaveValue('vm-csv');
    });

    it('shows the VM filters only while the type is virtual-machine', async () => {
      renderCatalogPage();
      await screen.findByRole(
        'link',
        { name: 'web-service' },
        { timeout: 15_000 },
      );
      expect(screen.queryByText('Cluster')).not.toBeInTheDocument();
    });

    it('filters the VMs by cluster there', async () => {
      renderCatalogPage(['/?filters%5Btype%5D=virtual-machine']);
      expect(
        await screen.findByText('Operating system', undefined, {
          timeout: 15_000,
        }),
      ).toBeInTheDocument();
      await waitFor(() =>
        expect(
          screen.queryByRole('link', { name: 'web-service' }),
        ).not.toBeInTheDocument(),
      );
      expect(screen.getByRole('link', { name: 'web-1' })).toBeInTheDocument();

      await userEvent.click(screen.getByTestId('vmCluster-picker-expand'));
      await userEvent.click(await screen.findByText('west (1)'));
      await waitFor(() =>
        expect(
          screen.queryByRole('link', { name: 'web-1' }),
        ).not.toBeInTheDocument(),
      );
      expect(screen.getByRole('link', { name: 'db-1' })).toBeInTheDocument();
    });
  });

  it('offers the size picker and the change plan field to the scaffolder, and its API to the app', async () => {
    const loader = createExtensionTester(virtualMachineSizePickerFormField).get(
      FormFieldBlueprint.dataRefs.formFieldLoader,
    );
    await expect(loader()).resolves.toBeDefined();
    const changePlanLoader = createExtensionTester(
      virtualMachineChangePlanFormField,
    ).get(FormFieldBlueprint.dataRefs.formFieldLoader);
    await expect(changePlanLoader()).resolves.toBeDefined();
    expect(
      createExtensionTester(kubevirtApi).get(ApiBlueprint.dataRefs.factory).api
        .id,
    ).toBe('plugin.kubevirt.service');
    expect(kubevirtPlugin.id).toBe('kubevirt');
  });
});
