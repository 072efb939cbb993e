import { catalogApiRef } from '@backstage/plugin-catalog-react';
import {
  catalogApiMock,
  MockEntityListContextProvider,
} from '@backstage/plugin-catalog-react/testUtils';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { KUBEVIRT_ENTITY_LABELS } from '@vmportal/plugin-kubevirt-common';
import { VirtualMachineLabelFilter } from './VirtualMachineLabelFilter';
import { VirtualMachineLabelPicker } from './VirtualMachineLabelPicker';
import {
  VIRTUAL_MACHINE_LABEL_FILTERS,
  type VirtualMachineEntityFilters,
} from './virtualMachineFilters';

const definition = (key: string) =>
  VIRTUAL_MACHINE_LABEL_FILTERS.find(d => d.key === key)!;

function catalogWithFacets(values: Record<string, number>) {
  return catalogApiMock.mock({
    getEntityFacets: jest.fn(async ({ facets }) => ({
      facets: {
        [facets[0]]: Object.entries(values).map(([value, count]) => ({
          value,
          count,
        })),
      },
    })),
  });
}

describe('VirtualMachineLabelPicker', () => {
  it("lists the VMs' values of its label with counts, and filters on the chosen ones", async () => {
    const catalogApi = catalogWithFacets({ windows: 1, fedora: 2 });
    const updateFilters = jest.fn();
    await renderInTestApp(
      <TestApiProvider apis={[[catalogApiRef, catalogApi]]}>
        <MockEntityListContextProvider value={{ updateFilters }}>
          <VirtualMachineLabelPicker definition={definition('vmOs')} />
        </MockEntityListContextProvider>
      </TestApiProvider>,
    );

    expect(catalogApi.getEntityFacets).toHaveBeenCalledWith({
      filter: { kind: 'component', 'spec.type': 'virtual-machine' },
      facets: ['metadata.labels.kubevirt.vmportal.io/os'],
    });
    expect(screen.getByText('Operating system')).toBeInTheDocument();
    await userEvent.click(screen.getByTestId('vmOs-picker-expand'));
    const options = await screen.findAllByRole('option');
    expect(options.map(o => o.textContent)).toEqual([
      'fedora (2)',
      'windows (1)',
    ]);

    await userEvent.click(screen.getByText('windows (1)'));
    await userEvent.click(screen.getByText('fedora (2)'));
    expect(updateFilters).toHaveBeenLastCalledWith({
      vmOs: new VirtualMachineLabelFilter(KUBEVIRT_ENTITY_LABELS.os, [
        'windows',
        'fedora',
      ]),
    });
    expect(updateFilters.mock.lastCall[0].vmOs.getCatalogFilters()).toEqual({
      'metadata.labels.kubevirt.vmportal.io/os': ['windows', 'fedora'],
    });

    await userEvent.click(screen.getByText('windows (1)'));
    await userEvent.click(screen.getByText('fedora (2)'));
    expect(updateFilters).toHaveBeenLastCalledWith({ vmOs: undefined });
  });

  it("starts from the page's URL, and says which namespace it means", async () => {
    const updateFilters = jest.fn();
    await renderInTestApp(
      <TestApiProvider
        apis={[[catalogApiRef, catalogWithFacets({ 'team-web': 3 })]]}
      >
        <MockEntityListContextProvider<VirtualMachineEntityFilters>
          value={{
            updateFilters,
            queryParameters: { vmNamespace: 'team-web' },
          }}
        >
          <VirtualMachineLabelPicker definition={definition('vmNamespace')} />
        </MockEntityListContextProvider>
      </TestApiProvider>,
    );
    expect(
      screen.getByText('Kubernetes namespace of the VM'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'team-web' }),
    ).toBeInTheDocument();
    expect(updateFilters).toHaveBeenCalledWith({
      vmNamespace: new VirtualMachineLabelFilter(
        KUBEVIRT_ENTITY_LABELS.namespace,
        ['team-web'],
      ),
    });
  });
});
