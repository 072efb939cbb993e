import {
  createExtensionTester,
  renderInTestApp,
} from '@backstage/frontend-test-utils';
import {
  ApiBlueprint,
  coreExtensionData,
} from '@backstage/frontend-plugin-api';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import { screen } from '@testing-library/react';
import kubevirtPlugin, {
  entityTeamVirtualMachinesCard,
  entityVirtualMachineContent,
  entityVirtualMachineOverviewCard,
  kubevirtApi,
  virtualMachineSizePickerFormField,
} from './alpha';
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
