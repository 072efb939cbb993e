import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { VirtualMachineMigrationPlan } from '@vmportal/plugin-kubevirt-common';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import {
  migrationPlan,
  QUOTA_PROBLEM,
  quotaBlockedMigrationPlan,
} from '../../__fixtures__/migrationPlan';
import { mockKubevirtApi, vmView } from '../../__fixtures__/virtualMachineView';
import { MIGRATION_REFRESH_INTERVAL_MS } from '../../hooks/useVirtualMachineMigration';
import { VirtualMachineMigration } from './VirtualMachineMigration';

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

async function renderMigration(api: Api, allowed = true) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [kubevirtApiRef, api],
        [
          permissionApiRef,
          mockApis.permission({
            authorize: request =>
              allowed &&
              request.permission.name === 'kubevirt.vm.migrate' &&
              'resourceRef' in request &&
              request.resourceRef === entityRef
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY,
          }),
        ],
      ]}
    >
      <VirtualMachineMigration entityRef={entityRef} view={vmView('Running')} />
    </TestApiProvider>,
  );
}

/** The value beside a title of the plan's table ("Current node", …). */
function fact(title: string): HTMLElement {
  const row = screen.getByText(title, { selector: 'td' }).closest('tr');
  if (!row) throw new Error(`no row for ${title}`);
  return row;
}

describe('VirtualMachineMigration', () => {
  it('names the quota that keeps the VM from migrating, with Migrate disabled', async () => {
    const api = mockKubevirtApi();
    api.getMigrationPlan.mockResolvedValue(quotaBlockedMigrationPlan());
    await renderMigration(api);

    expect(await screen.findByText(QUOTA_PROBLEM)).toBeVisible();
    expect(
      screen.getByText('The VM cannot be migrated now'),
    ).toBeInTheDocument();
    expect(
      await screen.findByRole('button', { name: 'Migrate' }),
    ).toBeDisabled();
    expect(api.getMigrationPlan).toHaveBeenCalledWith(entityRef);
  });

  it('shows the plan before the click, then the migration until it ends on its new node', async () => {
    jest.useFakeTimers();
    const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
    const api = mockKubevirtApi();
    const latest = {
      name: 'kubevirt-migrate-vm-x2k9q',
      phase: 'Running',
      sourceNode: 'node-a',
      targetNode: 'node-b',
      startedAt: '2025-01-01T12:00:00Z',
    };
    let current: VirtualMachineMigrationPlan = migrationPlan();
    api.getMigrationPlan.mockImplementation(async () => current);
    api.startMigration.mockImplementation(async () => {
      const plan = current;
      current = migrationPlan({
        fits: false,
        problems: [
          'A migration (kubevirt-migrate-vm-x2k9q) is already Running. Wait for it to end.',
        ],
        latest,
      });
      return { migration: latest.name, plan };
    });
    await renderMigration(api);

    const migrate = await screen.findByRole('button', { name: 'Migrate' });
    expect(
      within(fact('Current node')).getByText('node-a'),
    ).toBeInTheDocument();
    expect(
      within(fact('Target pod')).getByText('0.105 CPU, 2.2 GiB'),
    ).toBeInTheDocument();
    expect(
      within(fact('Nodes with room')).getByText(
        'node-b (3.5 CPUs, 12 GiB free)',
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByText('The VM cannot be migrated now'),
    ).not.toBeInTheDocument();

    await user.click(migrate);
    expect(api.startMigration).toHaveBeenCalledWith(entityRef);
    expect(
      await screen.findByText(
        'Migration kubevirt-migrate-vm-x2k9q: Running (node-a → node-b)',
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('progressbar')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Migrate' })).toBeDisabled();

    current = migrationPlan({
      currentNode: 'node-b',
      latest: {
        ...latest,
        phase: 'Succeeded',
        endedAt: '2025-01-01T12:00:20Z',
      },
    });
    await act(() =>
      jest.advanceTimersByTimeAsync(MIGRATION_REFRESH_INTERVAL_MS),
    );
    expect(
      screen.getByText(
        /Last migration kubevirt-migrate-vm-x2k9q succeeded .*: moved from node-a to node-b\./,
      ),
    ).toBeInTheDocument();
    expect(
      within(fact('Current node')).getByText('node-b'),
    ).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();

    // Ended: the plan is not read again on its own.
    const reads = api.getMigrationPlan.mock.calls.length;
    await act(() =>
      jest.advanceTimersByTimeAsync(MIGRATION_REFRESH_INTERVAL_MS * 5),
    );
    expect(api.getMigrationPlan).toHaveBeenCalledTimes(reads);
  });

  it("shows the backend's reason when it refuses to migrate", async () => {
    const api = mockKubevirtApi();
    api.getMigrationPlan.mockResolvedValue(migrationPlan());
    api.startMigration.mockRejectedValue(
      new Error(
        `Could not migrate this virtual machine: component:default/web-frontend-1 was not migrated: ${QUOTA_PROBLEM}`,
      ),
    );
    await renderMigration(api);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Migrate' }),
    );
    expect(
      await screen.findByText(/was not migrated: ResourceQuota team-quota/),
    ).toBeInTheDocument();
  });

  it('shows the plan but no Migrate to users the policy does not allow', async () => {
    const api = mockKubevirtApi();
    api.getMigrationPlan.mockResolvedValue(migrationPlan());
    await renderMigration(api, false);
    expect(
      await screen.findByText(
        'Only the owners of this virtual machine can migrate it.',
      ),
    ).toBeInTheDocument();
    expect(
      within(fact('Current node')).getByText('node-a'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Migrate' }),
    ).not.toBeInTheDocument();
  });
});
