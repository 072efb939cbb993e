import { EntityTextFilter } from '@backstage/plugin-catalog-react';
import { MockEntityListContextProvider } from '@backstage/plugin-catalog-react/testUtils';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { mockKubevirtApi } from '../../__fixtures__/virtualMachineView';
import { VirtualMachineAddressFilter } from './VirtualMachineAddressFilter';
import { VirtualMachineSearchBar } from './VirtualMachineSearchBar';

async function renderSearchBar() {
  const api = mockKubevirtApi();
  const updateFilters = jest.fn();
  await renderInTestApp(
    <TestApiProvider apis={[[kubevirtApiRef, api]]}>
      <MockEntityListContextProvider value={{ updateFilters }}>
        <VirtualMachineSearchBar />
      </MockEntityListContextProvider>
    </TestApiProvider>,
  );
  return { api, updateFilters };
}

describe('VirtualMachineSearchBar', () => {
  it('sends the beginning of an IP address to the backend and filters on the VMs it names', async () => {
    const { api, updateFilters } = await renderSearchBar();
    api.searchVirtualMachineAddresses.mockResolvedValue({
      items: [
        {
          entityRef: 'component:default/east-team-web-web-1',
          cluster: 'east',
          namespace: 'team-web',
          name: 'web-1',
          ipAddresses: ['10.244.1.17'],
        },
      ],
      truncated: true,
      unsearchedClusters: ['west'],
    });
    await userEvent.type(
      screen.getByRole('textbox', { name: 'Search by name or IP' }),
      '10.244.1.',
    );
    await waitFor(() =>
      expect(updateFilters).toHaveBeenLastCalledWith({
        text: undefined,
        vmAddress: expect.any(VirtualMachineAddressFilter),
      }),
    );
    expect(api.searchVirtualMachineAddresses).toHaveBeenCalledTimes(1);
    const filter: VirtualMachineAddressFilter =
      updateFilters.mock.lastCall[0].vmAddress;
    expect(filter.getCatalogFilters()).toEqual({
      'metadata.name': ['east-team-web-web-1'],
      'metadata.namespace': ['default'],
    });
    expect(
      screen.getByText(
        'More VMs have an address starting with 10.244.1. than are shown: type more of it. Not searched, as they could not be read: west',
      ),
    ).toBeInTheDocument();
  });

  it("filters a name with the catalog's full-text search, without asking the backend", async () => {
    const { api, updateFilters } = await renderSearchBar();
    await userEvent.type(
      screen.getByRole('textbox', { name: 'Search by name or IP' }),
      'web-1',
    );
    await waitFor(() =>
      expect(updateFilters).toHaveBeenLastCalledWith({
        text: new EntityTextFilter('web-1'),
        vmAddress: undefined,
      }),
    );
    expect(api.searchVirtualMachineAddresses).not.toHaveBeenCalled();
  });

  it('says when the address search fails', async () => {
    const { api } = await renderSearchBar();
    api.searchVirtualMachineAddresses.mockRejectedValue(
      new Error('the kubevirt backend answered 503'),
    );
    await userEvent.type(
      screen.getByRole('textbox', { name: 'Search by name or IP' }),
      'fd00::',
    );
    expect(
      await screen.findByText(
        'Could not search by IP address: the kubevirt backend answered 503',
      ),
    ).toBeInTheDocument();
  });
});
