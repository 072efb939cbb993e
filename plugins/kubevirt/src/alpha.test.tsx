import {
  createExtensionTester,
  renderInTestApp,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import {
  ApiBlueprint,
  coreExtensionData,
} from '@backstage/frontend-plugin-api';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import { screen, within } from '@testing-library/react';
import kubevirtPlugin, {
  entityTeamVirtualMachineRequestsCard,
  entityTeamVirtualMachinesCard,
  entityUserVirtualMachineRequestsCard,
  entityVirtualMachineContent,
  entityVirtualMachineOverviewCard,
  kubevirtApi,
  virtualMachineRequestsPage,
  virtualMachineSizePickerFormField,
} from './alpha';
import { trackedRequest } from './__fixtures__/trackedRequest';
import { requestsRouteRef } from './routes';
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

  it('offers the size picker to the scaffolder and its API to the app', async () => {
    const loader = createExtensionTester(virtualMachineSizePickerFormField).get(
      FormFieldBlueprint.dataRefs.formFieldLoader,
    );
    await expect(loader()).resolves.toBeDefined();
    expect(
      createExtensionTester(kubevirtApi).get(ApiBlueprint.dataRefs.factory).api
        .id,
    ).toBe('plugin.kubevirt.service');
    expect(kubevirtPlugin.id).toBe('kubevirt');
  });
});
