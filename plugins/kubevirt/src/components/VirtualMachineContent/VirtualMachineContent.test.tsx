import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Entity } from '@backstage/catalog-model';
import type { PowerActionRequest } from '@vmportal/plugin-kubevirt-common';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import {
  mockKubevirtApi,
  vmEntity,
  vmView,
} from '../../__fixtures__/virtualMachineView';
import { trackedRequest } from '../../__fixtures__/trackedRequest';
import { migrationPlan } from '../../__fixtures__/migrationPlan';
import { virtualMachineSnapshots } from '../../__fixtures__/virtualMachineSnapshots';
import { requestsRouteRef } from '../../routes';
import { VirtualMachineContent } from './VirtualMachineContent';

type Api = ReturnType<typeof mockKubevirtApi>;

async function renderContent(api: Api, entity: Entity = vmEntity) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [kubevirtApiRef, api],
        // The signed-in user owns the VM: every change is allowed.
        [permissionApiRef, mockApis.permission()],
      ]}
    >
      <EntityProvider entity={entity}>
        <VirtualMachineContent />
      </EntityProvider>
    </TestApiProvider>,
    {
      mountedRoutes: {
        '/vm-requests': requestsRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
}

/** The value cell beside a metadata title ("Status", "Node", …). */
function fact(title: string): HTMLElement {
  const row = screen.getByText(title, { selector: 'td' }).closest('tr');
  if (!row) {
    throw new Error(`no row for ${title}`);
  }
  return row;
}

/**
 * A running VM whose stop the backend accepts (it is then Stopping until the test sets
 * `vm.status`), with Stop clicked: the confirmation dialog is open. Fake timers.
 */
async function clickStopOnRunningVm() {
  jest.useFakeTimers();
  const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
  const api = mockKubevirtApi();
  const vm = { status: 'Running' };
  api.getVirtualMachine.mockImplementation(async () => vmView(vm.status));
  api.powerAction.mockImplementation(async () => {
    vm.status = 'Stopping';
    return { action: 'stop', via: 'subresource', previousStatus: 'Running' };
  });
  await renderContent(api);
  await user.click(await screen.findByRole('button', { name: 'Stop' }));
  return { user, api, vm };
}

let visibility: DocumentVisibilityState = 'visible';
function setVisibility(next: DocumentVisibilityState) {
  visibility = next;
  act(() => {
    document.dispatchEvent(new Event('visibilitychange'));
  });
}

beforeAll(() => {
  Object.defineProperty(document, 'visibilityState', {
    configurable: true,
    get: () => visibility,
  });
});
afterAll(() => {
  delete (document as { visibilityState?: unknown }).visibilityState;
});
afterEach(() => {
  visibility = 'visible';
  jest.useRealTimers();
});

describe('VirtualMachineContent', () => {
  it('explains above the details why the VM is not running, with the fix', async () => {
    const api = mockKubevirtApi();
    const detail =
      'ResourceQuota team-quota: requests.memory short by 1.3 GiB (needs 3.3 GiB, 2 GiB free).';
    api.getVirtualMachine.mockResolvedValue(
      vmView('Starting', {
        diagnosis: {
          cause: 'quota',
          title: "The namespace's quota has no room for this VM",
          detail,
          fix: "Stop or delete a VM you no longer need in team-web, or ask the namespace's owners to raise requests.memory by at least 1.3 GiB in ResourceQuota team-quota; KubeVirt retries by itself and the VM starts once it fits.",
          shortfalls: [
            {
              quota: 'team-quota',
              resource: 'requests.memory',
              needs: '3512Mi',
              free: '2Gi',
              short: '1464Mi',
            },
          ],
          evidence: {
            object: { kind: 'VirtualMachine', name: 'web-frontend-1' },
            what: 'condition',
            name: 'Synchronized',
            reason: 'FailedCreate',
            message:
              'failed to create virtual machine pod: pods "virt-launcher-web-frontend-1-x7k2p" is forbidden: exceeded quota: team-quota, requested: requests.memory=3512Mi, used: requests.memory=0, limited: requests.memory=2Gi',
          },
        },
      }),
    );
    await renderContent(api);

    const panel = await screen.findByRole(
      'region',
      { name: 'Why is it not running?' },
      { timeout: 5000 },
    );
    expect(
      within(panel).getByText(
        "Warning: The namespace's quota has no room for this VM",
      ),
    ).toBeVisible();
    expect(within(panel).getByText(detail)).toBeVisible();
    expect(
      within(panel).getByText(/raise requests\.memory by at least 1\.3 GiB/),
    ).toBeVisible();
    // Above the VM's details, where the owner looks first.
    const [details] = screen.getAllByText('Size');
    expect(
      panel.compareDocumentPosition(details) & Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();
  });

  it('shows no diagnosis for a VM that runs', async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(vmView('Running'));
    await renderContent(api);
    expect(
      await screen.findByText('Network interfaces', undefined, {
        timeout: 5000,
      }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('region', { name: 'Why is it not running?' }),
    ).not.toBeInTheDocument();
  });

  it('offers the console of a running VM only', async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(vmView('Running'));
    const { unmount } = await renderContent(api);
    expect(
      await screen.findByRole('button', { name: 'Console' }),
    ).toBeInTheDocument();
    unmount();

    api.getVirtualMachine.mockResolvedValue(vmView('Stopped'));
    await renderContent(api);
    expect(await screen.findByText('Network interfaces')).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Console' }),
    ).not.toBeInTheDocument();
  });

  it('shows the state, size, disks, NICs, conditions, events and launcher pod', async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(vmView('Running'));
    await renderContent(api);

    expect(await screen.findByText('Network interfaces')).toBeInTheDocument();
    expect(api.getVirtualMachine).toHaveBeenCalledWith(
      'component:default/web-frontend-1',
    );
    expect(within(fact('Status')).getByText('Running')).toBeInTheDocument();
    expect(
      within(fact('Run strategy')).getByText('Always'),
    ).toBeInTheDocument();
    expect(within(fact('Node')).getByText('node-a')).toBeInTheDocument();
    expect(within(fact('Uptime')).queryByText('—')).not.toBeInTheDocument();
    expect(
      within(fact('Size')).getByText('u1.small · 1 vCPU · 2Gi'),
    ).toBeInTheDocument();
    expect(
      within(fact('IP addresses')).getByText('10.244.1.17'),
    ).toBeInTheDocument();
    expect(screen.getAllByText('Ubuntu 24.04 LTS').length).toBeGreaterThan(0);
    // A disk's size reads as people write it, not as the claim's bytes.
    expect(screen.getByText('30 GiB')).toBeInTheDocument();
    expect(screen.queryByText('32212254720')).not.toBeInTheDocument();
    // Disks, NICs, conditions and events are tables with their rows.
    expect(screen.getByText('web-frontend-1-root')).toBeInTheDocument();
    expect(screen.getByText('cloudInitNoCloud')).toBeInTheDocument();
    expect(screen.getByText('02:00:00:aa:bb:01')).toBeInTheDocument();
    expect(screen.getByText('Ready')).toBeInTheDocument();
    expect(
      screen.getByText('0/3 nodes are available: 3 Insufficient memory.'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('virt-launcher-web-frontend-1-x7k2p'),
    ).toBeInTheDocument();
    // The launcher pod's effective requests, memory in binary units.
    expect(
      within(fact('Pod requests')).getByText('2.3 GiB'),
    ).toBeInTheDocument();
    expect(
      within(fact('Pod requests')).getByText('0.105 CPU'),
    ).toBeInTheDocument();
    // Only the actions that make sense for a running VM.
    expect(screen.getByRole('button', { name: 'Stop' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Restart' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Pause' })).toBeEnabled();
    expect(
      screen.queryByRole('button', { name: 'Start' }),
    ).not.toBeInTheDocument();
  });

  it('says how far a hot-plugged disk is attached to the running VM', async () => {
    const api = mockKubevirtApi();
    const view = vmView('Running');
    api.getVirtualMachine.mockResolvedValue({
      ...view,
      disks: [
        ...view.disks,
        {
          name: 'data2',
          type: 'dataVolume',
          source: 'web-frontend-1-data2',
          size: '5Gi',
          phase: 'Succeeded',
          hotplug: 'AttachedToNode',
        },
      ],
    });
    await renderContent(api);
    const row = (await screen.findByText('data2')).closest('tr')!;
    expect(within(row).getByText('AttachedToNode')).toBeInTheDocument();
    expect(within(row).getByText('5 GiB')).toBeInTheDocument();
    expect(
      screen.getByRole('columnheader', { name: 'Hot-plug' }),
    ).toBeInTheDocument();
  });

  it("shows each container's requests and limits, and no pod limit when the compute container has none", async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(vmView('Running'));
    await renderContent(api);

    const containers = await screen.findByRole('table', {
      name: 'Containers of the launcher pod',
    });
    expect(
      within(containers)
        .getAllByRole('row')
        .map(row =>
          Array.from(row.querySelectorAll('th, td'), c => c.textContent),
        ),
    ).toEqual([
      [
        'Container',
        'CPU request',
        'CPU limit',
        'Memory request',
        'Memory limit',
      ],
      ['compute', '0.1 CPU', 'no limit', '2.2 GiB', 'no limit'],
      [
        'guest-console-log (sidecar)',
        '0.005 CPU',
        '0.015 CPU',
        '33.4 MiB',
        '57.2 MiB',
      ],
    ]);
    // The sidecar's limits are not the pod's: the pod is not limited.
    const podLimits = fact('Pod limits');
    expect(within(podLimits).getAllByText('no limit')).toHaveLength(2);
    expect(within(podLimits).queryByText('0.015 CPU')).not.toBeInTheDocument();
    expect(within(podLimits).queryByText('57.2 MiB')).not.toBeInTheDocument();
  });

  it('shows the pod limit when every container has one', async () => {
    const api = mockKubevirtApi();
    const view = vmView('Running');
    const pod = view.launcherPod;
    if (!pod) throw new Error('the running fixture has a launcher pod');
    api.getVirtualMachine.mockResolvedValue({
      ...view,
      launcherPod: {
        ...pod,
        containers: pod.containers.map(c =>
          c.name === 'compute' ? { ...c, limits: { memory: '2294Mi' } } : c,
        ),
        limits: { memory: '2465433344' },
      },
    });
    await renderContent(api);

    const podLimits = await waitFor(() => fact('Pod limits'));
    expect(within(podLimits).getByText('2.3 GiB')).toBeInTheDocument();
    expect(within(podLimits).getAllByText('no limit')).toHaveLength(1);
  });

  it('shows an empty state for an entity without the KubeVirt annotations', async () => {
    const api = mockKubevirtApi();
    await renderContent(api, {
      ...vmEntity,
      metadata: { name: 'not-a-vm', namespace: 'default' },
    });
    expect(screen.getByText('No virtual machine')).toBeInTheDocument();
    expect(api.getVirtualMachine).not.toHaveBeenCalled();
  });

  it('explains a failure to load', async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockRejectedValue(
      new Error(
        'Could not load this virtual machine: nothing answered at http://localhost/api/kubevirt. Is the kubevirt backend installed?',
      ),
    );
    await renderContent(api);
    expect(
      await screen.findAllByText(/Is the kubevirt backend installed\?/),
    ).not.toHaveLength(0);
  });

  it('disables the power buttons for users who are not owners, and says why', async () => {
    const api = mockKubevirtApi();
    const reason =
      'Only members of group:default/team-web can start or stop this VM';
    api.getVirtualMachine.mockResolvedValue(
      vmView('Running', {
        power: {
          allowed: false,
          deniedReason: reason,
          available: ['stop', 'restart', 'pause'],
        },
      }),
    );
    await renderContent(api);

    expect(await screen.findByText(reason)).toBeInTheDocument();
    for (const name of ['Stop', 'Restart', 'Pause']) {
      expect(screen.getByRole('button', { name })).toBeDisabled();
    }
  });

  it('asks before stopping, then shows progress until the VM is Stopped', async () => {
    const { user, api, vm } = await clickStopOnRunningVm();

    const dialog = screen.getByRole('dialog');
    expect(
      within(dialog).getByText('Stop web-frontend-1?'),
    ).toBeInTheDocument();
    expect(api.powerAction).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole('checkbox', { name: /Force/ }));
    await user.click(within(dialog).getByRole('button', { name: 'Stop' }));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );

    expect(api.powerAction).toHaveBeenCalledWith(
      'component:default/web-frontend-1',
      { action: 'stop', force: true } satisfies PowerActionRequest,
    );
    // The backend accepted; the page refreshes at once and waits for Stopped.
    expect(
      await screen.findByText(
        'Stopping web-frontend-1: waiting for Stopped (now Stopping)',
      ),
    ).toBeInTheDocument();
    expect(within(fact('Status')).getByText('Stopping')).toBeInTheDocument();
    expect(screen.getByRole('progressbar')).toBeInTheDocument();

    // One second later, not five: the page polls faster while an action is under way.
    vm.status = 'Stopped';
    await act(() => jest.advanceTimersByTimeAsync(1_000));
    expect(within(fact('Status')).getByText('Stopped')).toBeInTheDocument();
    expect(screen.queryByText(/waiting for Stopped/)).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Start' })).toBeEnabled();
    expect(
      screen.queryByRole('button', { name: 'Stop' }),
    ).not.toBeInTheDocument();
  });

  it('waits for the new run after a restart, not for the old one', async () => {
    jest.useFakeTimers();
    const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
    const api = mockKubevirtApi();
    let current = vmView('Running');
    api.getVirtualMachine.mockImplementation(async () => current);
    api.powerAction.mockResolvedValue({
      action: 'restart',
      via: 'subresource',
      previousStatus: 'Running',
    });
    await renderContent(api);
    await user.click(await screen.findByRole('button', { name: 'Restart' }));
    await user.click(
      within(screen.getByRole('dialog')).getByRole('button', {
        name: 'Restart',
      }),
    );
    expect(api.powerAction).toHaveBeenCalledWith(
      'component:default/web-frontend-1',
      { action: 'restart' },
    );

    // Right after the restart KubeVirt still reports the old run as Running.
    const calls = api.getVirtualMachine.mock.calls.length;
    await act(() => jest.advanceTimersByTimeAsync(1_000));
    expect(api.getVirtualMachine.mock.calls.length).toBeGreaterThan(calls);
    expect(
      screen.getByText(
        'Restarting web-frontend-1: waiting for Running (now Running)',
      ),
    ).toBeInTheDocument();

    current = vmView('Starting');
    await act(() => jest.advanceTimersByTimeAsync(1_000));
    expect(
      screen.getByText(
        'Restarting web-frontend-1: waiting for Running (now Starting)',
      ),
    ).toBeInTheDocument();

    current = vmView('Running', { startedAt: '2025-01-01T11:00:00Z' });
    await act(() => jest.advanceTimersByTimeAsync(1_000));
    expect(screen.queryByText(/waiting for Running/)).not.toBeInTheDocument();
    expect(within(fact('Status')).getByText('Running')).toBeInTheDocument();
  }, 20_000);

  it('starts a stopped VM without asking', async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(vmView('Stopped'));
    api.powerAction.mockResolvedValue({
      action: 'start',
      via: 'subresource',
      previousStatus: 'Stopped',
    });
    await renderContent(api);
    await userEvent.click(await screen.findByRole('button', { name: 'Start' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(api.powerAction).toHaveBeenCalledWith(
      'component:default/web-frontend-1',
      { action: 'start' },
    );
    expect(
      await screen.findByText(/Starting web-frontend-1: waiting for Running/),
    ).toBeInTheDocument();
  });

  it('says so when the VM does not reach its state within 2 minutes', async () => {
    const { user, api } = await clickStopOnRunningVm();
    await user.click(
      within(screen.getByRole('dialog')).getByRole('button', { name: 'Stop' }),
    );
    expect(api.powerAction).toHaveBeenCalledWith(
      'component:default/web-frontend-1',
      { action: 'stop' },
    );
    await screen.findByText(/waiting for Stopped/);

    await act(() => jest.advanceTimersByTimeAsync(110_000));
    expect(screen.getByText(/waiting for Stopped/)).toBeInTheDocument();
    await act(() => jest.advanceTimersByTimeAsync(11_000));
    expect(screen.queryByText(/waiting for Stopped/)).not.toBeInTheDocument();
    expect(
      screen.getByText(
        /did not reach Stopped within 2 minutes; it is Stopping/,
      ),
    ).toBeInTheDocument();
  });

  it('shows why a power action was refused', async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(vmView('Stopped'));
    api.powerAction.mockRejectedValue(
      new Error(
        'You cannot start this virtual machine: Only members of group:default/team-web can start or stop this VM',
      ),
    );
    await renderContent(api);
    await userEvent.click(await screen.findByRole('button', { name: 'Start' }));
    expect(
      await screen.findByText(/You cannot start this virtual machine/),
    ).toBeInTheDocument();
    expect(screen.queryByText(/waiting for/)).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Start' })).toBeEnabled();
  });

  it('refreshes every 5 seconds while visible, and not while the page is hidden', async () => {
    jest.useFakeTimers();
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(vmView('Running'));
    await renderContent(api);
    await screen.findByText('Network interfaces');
    expect(api.getVirtualMachine).toHaveBeenCalledTimes(1);

    await act(() => jest.advanceTimersByTimeAsync(5_000));
    expect(api.getVirtualMachine).toHaveBeenCalledTimes(2);

    setVisibility('hidden');
    await act(() => jest.advanceTimersByTimeAsync(60_000));
    expect(api.getVirtualMachine).toHaveBeenCalledTimes(2);

    // Back in view: refresh at once, then on the schedule again.
    setVisibility('visible');
    await act(() => jest.advanceTimersByTimeAsync(0));
    expect(api.getVirtualMachine).toHaveBeenCalledTimes(3);
    await act(() => jest.advanceTimersByTimeAsync(5_000));
    expect(api.getVirtualMachine).toHaveBeenCalledTimes(4);
  });

  it('links back to the request that created the VM, and to its PR', async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(
      vmView('Running', { requestId: 'task-0001' }),
    );
    api.getRequest.mockResolvedValue(trackedRequest('in-catalog'));
    await renderContent(api);

    const line = await screen.findByText(/^Requested by/);
    expect(api.getRequest).toHaveBeenCalledWith('task-0001');
    expect(line).toHaveTextContent(/^Requested by ada in PR #2/);
    expect(within(line).getByRole('link', { name: 'ada' })).toHaveAttribute(
      'href',
      '/catalog/default/user/ada',
    );
    expect(within(line).getByRole('link', { name: /^PR #2/ })).toHaveAttribute(
      'href',
      'http://localhost:7080/vmportal-demo/vm-gitops/pull/2',
    );
    expect(
      within(line).getByRole('link', { name: 'see the request' }),
    ).toHaveAttribute('href', '/vm-requests/task-0001');
  });

  it('says nothing of a request the user may not see', async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(
      vmView('Running', { requestId: 'task-0001' }),
    );
    api.getRequest.mockResolvedValue(undefined);
    await renderContent(api);
    expect(await screen.findByText('Network interfaces')).toBeInTheDocument();
    await waitFor(() => expect(api.getRequest).toHaveBeenCalled());
    expect(screen.queryByText(/Requested by/)).not.toBeInTheDocument();
  });

  it('says at the top when a change waits for a restart, and restarts the VM from there', async () => {
    jest.useFakeTimers();
    const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
    const api = mockKubevirtApi();
    const restartRequired = {
      type: 'RestartRequired',
      status: 'True',
      message: 'a non-live-updatable field was changed in the template spec',
    };
    const before = vmView('Running');
    let current = {
      ...before,
      conditions: [...before.conditions, restartRequired],
    };
    api.getVirtualMachine.mockImplementation(async () => current);
    api.powerAction.mockResolvedValue({
      action: 'restart',
      via: 'subresource',
      previousStatus: 'Running',
    });
    await renderContent(api);

    const alert = await screen.findByRole('region', {
      name: 'Restart required',
    });
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
    // Above everything else on the page.
    const [details] = screen.getAllByText('Size');
    expect(
      alert.compareDocumentPosition(details) & Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();

    await user.click(within(alert).getByRole('button', { name: 'Restart' }));
    await user.click(
      within(screen.getByRole('dialog')).getByRole('button', {
        name: 'Restart',
      }),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(api.powerAction).toHaveBeenCalledWith(
      'component:default/web-frontend-1',
      { action: 'restart' },
    );
    // The power controls follow the restart, as for their own button.
    expect(
      await screen.findByText(
        'Restarting web-frontend-1: waiting for Running (now Running)',
      ),
    ).toBeInTheDocument();
    expect(
      within(alert).getByRole('button', { name: 'Restart' }),
    ).toBeDisabled();

    // Restarted with the new settings: KubeVirt drops the condition.
    current = vmView('Running', { startedAt: '2025-01-01T11:00:00Z' });
    await act(() => jest.advanceTimersByTimeAsync(1_000));
    await act(() => jest.advanceTimersByTimeAsync(1_000));
    expect(
      screen.queryByRole('region', { name: 'Restart required' }),
    ).not.toBeInTheDocument();
  }, 20_000);

  it('offers the changes by pull request beside the size', async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(
      vmView('Running', {
        requestId: 'task-0001',
        // What the backend's policy allows this user, decided with the view.
        changes: { change: true, decommission: true, adopt: true },
      }),
    );
    api.getRequest.mockResolvedValue(undefined);
    await renderContent(api);
    const resize = await screen.findByRole('button', { name: 'Resize' });
    expect(resize).toHaveAttribute(
      'href',
      `/create/templates/default/resize-virtual-machine?formData=${encodeURIComponent(
        '{"vm":"component:default/web-frontend-1"}',
      )}`,
    );
    expect(
      screen.getByRole('button', { name: 'Decommission' }),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/the owners of team-web review it/),
    ).toBeInTheDocument();
  });

  it("offers the VM's snapshots and its migration on the page", async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(vmView('Running'));
    api.listSnapshots.mockResolvedValue(virtualMachineSnapshots('Running'));
    api.getMigrationPlan.mockResolvedValue(migrationPlan());
    await renderContent(api);

    expect(
      await screen.findByRole(
        'button',
        { name: 'Take snapshot' },
        { timeout: 5000 },
      ),
    ).toBeEnabled();
    expect(
      await screen.findByRole('table', { name: 'Snapshots' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Restore' })).toBeDisabled();
    expect(
      await screen.findByRole('button', { name: 'Migrate' }),
    ).toBeEnabled();
    expect(api.listSnapshots).toHaveBeenCalledWith(
      'component:default/web-frontend-1',
    );
    expect(api.getMigrationPlan).toHaveBeenCalledWith(
      'component:default/web-frontend-1',
    );
  });

  it('shows the YAML on demand', async () => {
    const api = mockKubevirtApi();
    api.getVirtualMachine.mockResolvedValue(vmView('Running'));
    await renderContent(api);
    const toggle = await screen.findByRole('button', { name: 'YAML' });
    expect(screen.queryByText(/runStrategy: Always/)).not.toBeInTheDocument();

    await userEvent.click(toggle);
    const yaml = await screen.findByText((_, element) =>
      Boolean(
        element?.tagName === 'CODE' &&
          element.textContent?.includes('kind: VirtualMachine') &&
          element.textContent.includes('runStrategy: Always'),
      ),
    );
    expect(yaml).toBeVisible();
  });
});
