import { renderInTestApp } from '@backstage/test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { vmView } from '../../__fixtures__/virtualMachineView';
import { PowerControls } from './PowerControls';

describe('PowerControls', () => {
  it('does nothing when the user cancels, and offers no force for pause', async () => {
    const onAction = jest.fn();
    await renderInTestApp(
      <PowerControls view={vmView('Running')} onAction={onAction} />,
    );

    await userEvent.click(screen.getByRole('button', { name: 'Stop' }));
    await userEvent.click(
      within(screen.getByRole('dialog')).getByRole('button', {
        name: 'Cancel',
      }),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(onAction).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole('button', { name: 'Pause' }));
    const dialog = screen.getByRole('dialog');
    expect(
      within(dialog).queryByRole('checkbox', { name: /Force/ }),
    ).not.toBeInTheDocument();
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Pause' }),
    );
    expect(onAction).toHaveBeenCalledWith('pause', false);
  });

  it('forgets "force" between confirmations', async () => {
    const onAction = jest.fn();
    await renderInTestApp(
      <PowerControls view={vmView('Running')} onAction={onAction} />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Restart' }));
    await userEvent.click(screen.getByRole('checkbox', { name: /Force/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );

    await userEvent.click(screen.getByRole('button', { name: 'Restart' }));
    expect(screen.getByRole('checkbox', { name: /Force/ })).not.toBeChecked();
    await userEvent.click(
      within(screen.getByRole('dialog')).getByRole('button', {
        name: 'Restart',
      }),
    );
    expect(onAction).toHaveBeenCalledWith('restart', false);
  });

  it('says when no action is possible', async () => {
    await renderInTestApp(
      <PowerControls view={vmView('Stopping')} onAction={jest.fn()} />,
    );
    expect(
      screen.getByText('No power action is possible while the VM is Stopping.'),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });
});
