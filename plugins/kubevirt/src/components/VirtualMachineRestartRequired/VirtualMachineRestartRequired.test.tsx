import { renderInTestApp } from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ViewCondition } from '@vmportal/plugin-kubevirt-common';
import { vmView } from '../../__fixtures__/virtualMachineView';
import { VirtualMachineRestartRequired } from './VirtualMachineRestartRequired';

/** The condition KubeVirt sets when a change cannot be applied to the running VM. */
const restartRequired: ViewCondition = {
  type: 'RestartRequired',
  status: 'True',
  message: 'a non-live-updatable field was changed in the template spec',
  lastTransitionTime: '2025-01-01T12:00:00Z',
};

function runningWith(
  conditions: ViewCondition[],
  overrides: Parameters<typeof vmView>[1] = {},
) {
  const view = vmView('Running', overrides);
  return { ...view, conditions: [...view.conditions, ...conditions] };
}

describe('VirtualMachineRestartRequired', () => {
  it("says the VM runs with its old settings, in KubeVirt's words, and restarts it after asking", async () => {
    const onAction = jest.fn();
    await renderInTestApp(
      <VirtualMachineRestartRequired
        view={runningWith([restartRequired])}
        onAction={onAction}
      />,
    );
    const alert = screen.getByRole('region', { name: 'Restart required' });
    expect(
      within(alert).getByText(
        'Restart required: the VM runs with its old settings until it restarts',
      ),
    ).toBeVisible();
    expect(
      within(alert).getByText(
        'KubeVirt: a non-live-updatable field was changed in the template spec',
      ),
    ).toBeVisible();

    await userEvent.click(
      within(alert).getByRole('button', { name: 'Restart' }),
    );
    const dialog = screen.getByRole('dialog');
    expect(
      within(dialog).getByText('Restart web-frontend-1?'),
    ).toBeInTheDocument();
    expect(onAction).not.toHaveBeenCalled();
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Restart' }),
    );
    expect(onAction).toHaveBeenCalledWith('restart', false);
  });

  it('offers no Restart to users who are not owners, and says why', async () => {
    const reason =
      'Only members of group:default/team-web can start or stop this VM';
    await renderInTestApp(
      <VirtualMachineRestartRequired
        view={runningWith([restartRequired], {
          power: {
            allowed: false,
            deniedReason: reason,
            available: ['stop', 'restart', 'pause'],
          },
        })}
        onAction={jest.fn()}
      />,
    );
    const alert = screen.getByRole('region', { name: 'Restart required' });
    expect(within(alert).getByText(reason)).toBeVisible();
    expect(within(alert).queryByRole('button')).not.toBeInTheDocument();
  });

  it('disables Restart while a power action is under way', async () => {
    await renderInTestApp(
      <VirtualMachineRestartRequired
        view={runningWith([restartRequired])}
        pending={{
          action: 'restart',
          target: 'Running',
          since: Date.now(),
          leftRunning: false,
        }}
        onAction={jest.fn()}
      />,
    );
    expect(screen.getByRole('button', { name: 'Restart' })).toBeDisabled();
  });

  it('shows nothing without the condition, or when it is not True', async () => {
    await renderInTestApp(
      <>
        <VirtualMachineRestartRequired
          view={runningWith([])}
          onAction={jest.fn()}
        />
        <VirtualMachineRestartRequired
          view={runningWith([{ ...restartRequired, status: 'False' }])}
          onAction={jest.fn()}
        />
      </>,
    );
    expect(
      screen.queryByRole('region', { name: 'Restart required' }),
    ).not.toBeInTheDocument();
  });
});
