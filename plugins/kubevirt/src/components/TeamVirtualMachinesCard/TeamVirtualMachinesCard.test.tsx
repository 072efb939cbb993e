import { EntityProvider } from '@backstage/plugin-catalog-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import type { Entity } from '@backstage/catalog-model';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { mockKubevirtApi } from '../../__fixtures__/virtualMachineView';
import { TeamVirtualMachinesCard } from './TeamVirtualMachinesCard';

const team: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'team-web', namespace: 'default' },
  spec: { type: 'team', children: [] },
};

describe('TeamVirtualMachinesCard', () => {
  it("shows the team's VM count and its quota use as bars, red from 90%", async () => {
    const api = mockKubevirtApi();
    api.getTeamQuota.mockResolvedValue({
      team: 'group:default/team-web',
      vmCount: 5,
      runningCount: 3,
      namespaces: [
        {
          cluster: 'east',
          namespace: 'team-web',
          quotas: [
            {
              quota: 'team-quota',
              resource: 'requests.cpu',
              hard: '6',
              used: '5500m',
              fraction: 5.5 / 6,
            },
            {
              quota: 'team-quota',
              resource: 'requests.memory',
              hard: '24Gi',
              used: '12Gi',
              fraction: 0.5,
            },
          ],
        },
        {
          cluster: 'west',
          namespace: 'team-web',
          quotas: [
            {
              quota: 'team-quota',
              resource: 'count/virtualmachines.kubevirt.io',
              hard: '8',
              used: '8',
              fraction: 1,
            },
          ],
        },
      ],
    });
    await renderInTestApp(
      <TestApiProvider apis={[[kubevirtApiRef, api]]}>
        <EntityProvider entity={team}>
          <TeamVirtualMachinesCard />
        </EntityProvider>
      </TestApiProvider>,
    );

    expect(await screen.findByText('3 of 5 running')).toBeInTheDocument();
    expect(api.getTeamQuota).toHaveBeenCalledWith('group:default/team-web');

    const east = screen.getByRole('region', {
      name: 'Quota of team-web on east',
    });
    const cpu = within(east).getByRole('progressbar', { name: /CPU requests/ });
    expect(cpu).toHaveAttribute('aria-valuenow', '92');
    expect(cpu).toHaveAccessibleName(
      'CPU requests: 5.5 CPUs of 6 CPUs (92%), nearly full',
    );
    expect(
      within(east).getByText('5.5 CPUs of 6 CPUs (92%)'),
    ).toBeInTheDocument();
    const memory = within(east).getByRole('progressbar', { name: /Memory/ });
    expect(memory).toHaveAttribute('aria-valuenow', '50');
    expect(memory).toHaveAccessibleName(
      'Memory requests: 12 GiB of 24 GiB (50%)',
    );
    // Only the CPU bar of east is in trouble.
    expect(within(east).getAllByText(/nearly full/)).toHaveLength(1);

    const west = screen.getByRole('region', {
      name: 'Quota of team-web on west',
    });
    expect(
      within(west).getByRole('progressbar', {
        name: 'Virtual machines: 8 of 8 (100%), full',
      }),
    ).toHaveAttribute('aria-valuenow', '100');
  });

  it('explains a failure', async () => {
    const api = mockKubevirtApi();
    api.getTeamQuota.mockRejectedValue(
      new Error("Could not load the team's virtual machines: boom"),
    );
    await renderInTestApp(
      <TestApiProvider apis={[[kubevirtApiRef, api]]}>
        <EntityProvider entity={team}>
          <TeamVirtualMachinesCard />
        </EntityProvider>
      </TestApiProvider>,
    );
    expect(
      (await screen.findAllByText(/Could not load the team's virtual machines/))
        .length,
    ).toBeGreaterThan(0);
  });
});
