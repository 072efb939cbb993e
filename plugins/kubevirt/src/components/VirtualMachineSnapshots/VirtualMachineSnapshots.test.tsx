import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { VirtualMachineSnapshots as Snapshots } from '@vmportal/plugin-kubevirt-common';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import {
  RESTORE_BLOCKED_WHILE_RUNNING,
  viewRestore,
  viewSnapshot,
  virtualMachineSnapshots,
} from '../../__fixtures__/virtualMachineSnapshots';
import { mockKubevirtApi, vmView } from '../../__fixtures__/virtualMachineView';
import { SNAPSHOTS_REFRESH_INTERVAL_MS } from '../../hooks/useVirtualMachineSnapshots';
import { VirtualMachineSnapshots } from './VirtualMachineSnapshots';

type Api = ReturnType<typeof mockKubevirtApi>;

// usePermission caches decisions by permission and resource for the whole test
// file: each test asks about another entity, so none sees another's decisions.
let entityRef: string;
let tests = 0;
beforeEach(() => {
  tests += 1;
  entityRef = `component:default/web-frontend-${tests}`;
});
afterEach(() => {
  jest.useRealTimers();
});

async function renderSnapshots(
  api: Api,
  options: { status?: string; allowed?: boolean } = {},
) {
  const { status = 'Stopped', allowed = true } = options;
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [kubevirtApiRef, api],
        [
          permissionApiRef,
          mockApis.permission({
            authorize: request =>
              allowed &&
              request.permission.name === 'kubevirt.vm.snapshot' &&
              'resourceRef' in request &&
              request.resourceRef === entityRef
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY,
          }),
        ],
      ]}
    >
      <VirtualMachineSnapshots entityRef={entityRef} view={vmView(status)} />
    </TestApiProvider>,
  );
}

/** The row of a snapshot in the Snapshots table. */
async function snapshotRow(name: string): Promise<HTMLElement> {
  const table = await screen.findByRole('table', { name: 'Snapshots' });
  const row = within(table).getByText(name).closest('tr');
  if (!row) throw new Error(`no row for ${name}`);
  return row;
}

describe('VirtualMachineSnapshots', () => {
  it('lists a snapshot with when, state, the disks saved and left out, and size', async () => {
    const api = mockKubevirtApi();
    api.listSnapshots.mockResolvedValue(
      virtualMachineSnapshots('Stopped', {
        snapshots: [
          viewSnapshot(),
          viewSnapshot({
            name: 'web-frontend-1-config',
            includedDisks: [],
            excludedDisks: ['rootdisk', 'scratch'],
            size: undefined,
          }),
        ],
      }),
    );
    await renderSnapshots(api);

    const row = await snapshotRow('web-frontend-1-snap-1');
    expect(api.listSnapshots).toHaveBeenCalledWith(entityRef);
    expect(
      within(row).getByText(new Date('2025-01-01T12:00:00Z').toLocaleString()),
    ).toBeInTheDocument();
    expect(within(row).getByText('Succeeded')).toBeInTheDocument();
    expect(within(row).getByText('Saved: rootdisk')).toBeInTheDocument();
    expect(
      within(row).getByText(
        'Left out: scratch (no VolumeSnapshotClass for their storage)',
      ),
    ).toBeInTheDocument();
    // The claims' 30Gi as people read it.
    expect(within(row).getByText('30 GiB')).toBeInTheDocument();

    const configOnly = await snapshotRow('web-frontend-1-config');
    expect(
      within(configOnly).getByText('VM configuration only'),
    ).toBeInTheDocument();
  });

  it('disables Restore on a running VM and says why', async () => {
    const api = mockKubevirtApi();
    api.listSnapshots.mockResolvedValue(virtualMachineSnapshots('Running'));
    await renderSnapshots(api, { status: 'Running' });

    const row = await snapshotRow('web-frontend-1-snap-1');
    expect(within(row).getByRole('button', { name: 'Restore' })).toBeDisabled();
    expect(within(row).getByRole('button', { name: 'Delete' })).toBeEnabled();
    expect(screen.getByText(RESTORE_BLOCKED_WHILE_RUNNING)).toBeVisible();
  });

  it('asks before restoring, then lists the restore until it completes', async () => {
    jest.useFakeTimers();
    const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
    const api = mockKubevirtApi();
    let current: Snapshots = virtualMachineSnapshots('Stopped');
    api.listSnapshots.mockImplementation(async () => current);
    api.restoreSnapshot.mockImplementation(async () => {
      current = {
        ...current,
        restores: [
          viewRestore({
            complete: false,
            restoredAt: undefined,
            reason: 'RestoreInProgress',
          }),
        ],
      };
      return { restore: 'web-frontend-1-restore-1' };
    });
    await renderSnapshots(api);

    const row = await snapshotRow('web-frontend-1-snap-1');
    await user.click(within(row).getByRole('button', { name: 'Restore' }));
    const dialog = screen.getByRole('dialog', {
      name: 'Restore web-frontend-1 from web-frontend-1-snap-1?',
    });
    expect(
      within(dialog).getByText(
        /configuration is replaced with the one saved in the snapshot.*Disk rootdisk is replaced with its saved copy.*Disk scratch keeps its current contents/,
      ),
    ).toBeInTheDocument();
    expect(api.restoreSnapshot).not.toHaveBeenCalled();

    await user.click(within(dialog).getByRole('button', { name: 'Restore' }));
    expect(api.restoreSnapshot).toHaveBeenCalledWith(
      entityRef,
      'web-frontend-1-snap-1',
    );
    const restores = await screen.findByRole('table', { name: 'Restores' });
    expect(within(restores).getByText('In progress')).toBeInTheDocument();
    expect(within(restores).getByText('RestoreInProgress')).toBeInTheDocument();

    // Read again while the restore is under way, until it is complete.
    current = { ...current, restores: [viewRestore()] };
    await act(() =>
      jest.advanceTimersByTimeAsync(SNAPSHOTS_REFRESH_INTERVAL_MS),
    );
    expect(within(restores).getByText('Complete')).toBeInTheDocument();
    const reads = api.listSnapshots.mock.calls.length;
    await act(() =>
      jest.advanceTimersByTimeAsync(SNAPSHOTS_REFRESH_INTERVAL_MS * 5),
    );
    expect(api.listSnapshots).toHaveBeenCalledTimes(reads);
  });

  it('asks before deleting, and deletes nothing on Cancel', async () => {
    const api = mockKubevirtApi();
    api.listSnapshots.mockResolvedValue(virtualMachineSnapshots('Running'));
    api.deleteSnapshot.mockResolvedValue(undefined);
    await renderSnapshots(api, { status: 'Running' });

    const row = await snapshotRow('web-frontend-1-snap-1');
    await userEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    let dialog = screen.getByRole('dialog', {
      name: 'Delete snapshot web-frontend-1-snap-1?',
    });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Cancel' }),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(api.deleteSnapshot).not.toHaveBeenCalled();

    await userEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    dialog = screen.getByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Delete' }),
    );
    await waitFor(() =>
      expect(api.deleteSnapshot).toHaveBeenCalledWith(
        entityRef,
        'web-frontend-1-snap-1',
      ),
    );
  });

  it('takes a snapshot and follows it until it has succeeded', async () => {
    jest.useFakeTimers();
    const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
    const api = mockKubevirtApi();
    let current: Snapshots = virtualMachineSnapshots('Running', {
      snapshots: [],
    });
    const taken = viewSnapshot({
      name: 'web-frontend-1-snap-2',
      phase: 'InProgress',
      readyToUse: false,
      createdAt: undefined,
      error: 'VolumeSnapshotsInProgress',
    });
    api.listSnapshots.mockImplementation(async () => current);
    api.takeSnapshot.mockImplementation(async () => {
      current = { ...current, snapshots: [taken] };
      return { snapshot: taken.name };
    });
    await renderSnapshots(api, { status: 'Running' });

    expect(await screen.findByText('No snapshots yet.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Take snapshot' }));
    expect(api.takeSnapshot).toHaveBeenCalledWith(entityRef);
    const row = await snapshotRow('web-frontend-1-snap-2');
    expect(within(row).getByText('In progress')).toBeInTheDocument();
    expect(
      within(row).getByText('VolumeSnapshotsInProgress'),
    ).toBeInTheDocument();

    current = {
      ...current,
      snapshots: [{ ...taken, phase: 'Succeeded', readyToUse: true }],
    };
    await act(() =>
      jest.advanceTimersByTimeAsync(SNAPSHOTS_REFRESH_INTERVAL_MS),
    );
    expect(within(row).getByText('Succeeded')).toBeInTheDocument();
  });

  it("shows the backend's message when it refuses", async () => {
    const api = mockKubevirtApi();
    api.listSnapshots.mockResolvedValue(virtualMachineSnapshots('Running'));
    api.takeSnapshot.mockRejectedValue(
      new Error(
        'You cannot take a snapshot of this virtual machine: Only members of group:default/team-web can take snapshots of component:default/web-frontend-1',
      ),
    );
    await renderSnapshots(api, { status: 'Running' });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Take snapshot' }),
    );
    expect(
      await screen.findByText(
        /Only members of group:default\/team-web can take snapshots/,
      ),
    ).toBeInTheDocument();
  });

  it('offers no action to users the policy does not allow', async () => {
    const api = mockKubevirtApi();
    api.listSnapshots.mockResolvedValue(virtualMachineSnapshots('Stopped'));
    await renderSnapshots(api, { allowed: false });

    expect(
      await screen.findByText(
        'Only the owners of this virtual machine can take, restore or delete its snapshots.',
      ),
    ).toBeInTheDocument();
    await snapshotRow('web-frontend-1-snap-1');
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });
});
