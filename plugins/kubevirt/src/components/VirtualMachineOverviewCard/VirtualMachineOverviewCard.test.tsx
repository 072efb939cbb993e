import { EntityProvider } from '@backstage/plugin-catalog-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import {
  mockKubevirtApi,
  vmEntity,
  vmView,
} from '../../__fixtures__/virtualMachineView';
import { VirtualMachineOverviewCard } from './VirtualMachineOverviewCard';

describe('VirtualMachineOverviewCard', () => {
  it('shows the state, size, IPs, OS and node, and restarts after confirmation', async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(vmView('Running'));
    api.powerAction.mockResolvedValue({
      action: 'restart',
      via: 'subresource',
      previousStatus: 'Running',
    });
    await renderInTestApp(
      <TestApiProvider apis={[[kubevirtApiRef, api]]}>
        <EntityProvider entity={vmEntity}>
          <VirtualMachineOverviewCard />
        </EntityProvider>
      </TestApiProvider>,
    );

    expect(await screen.findByText('Running')).toBeInTheDocument();
    expect(screen.getByText('u1.small · 1 vCPU · 2Gi')).toBeInTheDocument();
    expect(screen.getByText('10.244.1.17')).toBeInTheDocument();
    expect(screen.getByText('Ubuntu 24.04 LTS')).toBeInTheDocument();
    expect(screen.getByText('node-a')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Restart' }));
    const dialog = screen.getByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Restart' }),
    );
    expect(api.powerAction).toHaveBeenCalledWith(
      'component:default/web-frontend-1',
      { action: 'restart' },
    );
    // A restarted VM is Running before and after; the card waits for the new run.
    expect(
      await screen.findByText(/Restarting web-frontend-1: waiting for Running/),
    ).toBeInTheDocument();
  });

  it('says so on an entity that names no VM', async () => {
    const api = mockKubevirtApi();
    await renderInTestApp(
      <TestApiProvider apis={[[kubevirtApiRef, api]]}>
        <EntityProvider
          entity={{
            ...vmEntity,
            metadata: { name: 'x', namespace: 'default' },
          }}
        >
          <VirtualMachineOverviewCard />
        </EntityProvider>
      </TestApiProvider>,
    );
    expect(
      screen.getByText('This entity does not name a KubeVirt virtual machine.'),
    ).toBeInTheDocument();
    expect(api.getVirtualMachine).not.toHaveBeenCalled();
  });
});
