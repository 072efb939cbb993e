import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { signalApiRef, SignalApi } from '@backstage/plugin-signals-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { act, screen, within } from '@testing-library/react';
import type {
  TrackedVirtualMachineRequest,
  VirtualMachineRequestStage,
} from '@vmportal/plugin-kubevirt-common';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { STAGE_TIMES, trackedRequest } from '../../__fixtures__/trackedRequest';
import { mockKubevirtApi } from '../../__fixtures__/virtualMachineView';
import { REQUEST_REFRESH_INTERVAL_MS } from '../../hooks/useTrackedRequests';
import { formatTimestamp } from '../../lib/format';
import { requestsRouteRef } from '../../routes';
import { VirtualMachineRequestsPage } from '../VirtualMachineRequestsPage';
import { VirtualMachineRequestPage } from './VirtualMachineRequestPage';

type Api = ReturnType<typeof mockKubevirtApi>;

const mountedRoutes = {
  '/vm-requests': requestsRouteRef,
  '/catalog/:namespace/:kind/:name': entityRouteRef,
};

/** A signal API whose `kubevirt:requests` messages the test sends. */
function fakeSignals() {
  const listeners = new Map<string, (message: any) => void>();
  const api: SignalApi = {
    subscribe(channel, onMessage) {
      listeners.set(channel, onMessage as (message: any) => void);
      return { unsubscribe: () => listeners.delete(channel) };
    },
  };
  return {
    api,
    send(channel: string, message: object) {
      act(() => listeners.get(channel)?.(message));
    },
  };
}

async function renderRequest(
  api: Api,
  signals: SignalApi = fakeSignals().api,
  id = 'task-0001',
) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [kubevirtApiRef, api],
        [signalApiRef, signals],
      ]}
    >
      <VirtualMachineRequestPage id={id} />
    </TestApiProvider>,
    { mountedRoutes },
  );
}

function showing(request: TrackedVirtualMachineRequest) {
  const api = mockKubevirtApi();
  api.getRequest.mockResolvedValue(request);
  return api;
}

/** The timeline's step for a stage; its label says whether it is reached. */
function step(label: string): HTMLElement {
  return screen.getByLabelText(new RegExp(`^${label}: `));
}

let visibility: DocumentVisibilityState = 'visible';
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

describe('VirtualMachineRequestPage', () => {
  it('shows an open PR with its link, its reviewers and what comes next', async () => {
    const api = showing(trackedRequest('pr-open'));
    await renderRequest(api);

    expect(
      await screen.findByText('web-frontend-2 on east'),
    ).toBeInTheDocument();
    expect(api.getRequest).toHaveBeenCalledWith('task-0001');
    const prOpen = step('PR open');
    expect(prOpen).toHaveAccessibleName('PR open: reached');
    expect(
      within(prOpen).getByRole('link', { name: /^PR #2/ }),
    ).toHaveAttribute(
      'href',
      'http://localhost:7080/vmportal-demo/vm-gitops/pull/2',
    );
    expect(prOpen).toHaveTextContent(/asks team-web, octocat to review\./);
    expect(
      within(prOpen).getByRole('link', { name: 'team-web' }),
    ).toHaveAttribute('href', '/catalog/default/group/team-web');
    expect(
      within(prOpen).getByText(formatTimestamp(STAGE_TIMES['pr-open'])),
    ).toBeInTheDocument();
    expect(step('Merged')).toHaveAccessibleName('Merged: not yet');
    expect(
      within(step('Merged')).getByText(/Waiting for a reviewer to merge/),
    ).toBeInTheDocument();
    expect(step('In the catalog')).toHaveAccessibleName(
      'In the catalog: not yet',
    );
    expect(screen.getAllByText('PR open').length).toBeGreaterThan(1);
  });

  it('renders the plan summary as Markdown, its quota table a table', async () => {
    await renderRequest(showing(trackedRequest('pr-open')));
    const header = await screen.findByRole('columnheader', {
      name: 'This VM',
    });
    const table = header.closest('table') as HTMLElement;
    expect(
      within(table).getByRole('cell', { name: '2.2 GiB' }),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Fits the quota of team-web on east.').tagName,
    ).toBe('STRONG');
    expect(screen.queryByText(/\|---/)).not.toBeInTheDocument();
  });

  it('shows a merged request waiting to be applied', async () => {
    await renderRequest(showing(trackedRequest('merged')));
    expect(await screen.findByLabelText('Merged: reached')).toBeInTheDocument();
    expect(
      within(step('Merged')).getByText(formatTimestamp(STAGE_TIMES.merged)),
    ).toBeInTheDocument();
    expect(step('Applied')).toHaveAccessibleName('Applied: not yet');
    expect(
      within(step('Applied')).getByText(/Waiting for the cluster to apply/),
    ).toBeInTheDocument();
  });

  it('shows a declined request as declined, with nothing after it', async () => {
    await renderRequest(showing(trackedRequest('declined')));
    expect(
      await screen.findByLabelText('Declined: failed'),
    ).toBeInTheDocument();
    expect(
      within(step('Declined')).getByText(/closed without merging/),
    ).toBeInTheDocument();
    expect(screen.queryByLabelText(/^Merged: /)).not.toBeInTheDocument();
    expect(screen.queryByLabelText(/^Applied: /)).not.toBeInTheDocument();
    expect(screen.queryByLabelText(/^Running: /)).not.toBeInTheDocument();
  });

  it('says why an applied VM does not run: its status and the failing condition', async () => {
    await renderRequest(
      showing(
        trackedRequest('applied', {
          vm: {
            uid: '7d1c0a2e-0000-4000-8000-000000000002',
            printableStatus: 'ErrorUnschedulable',
            failingCondition: {
              type: 'Synchronized',
              reason: 'FailedCreate',
              message:
                'pods "virt-launcher-web-frontend-2-abcde" is forbidden: exceeded quota: team-quota',
            },
          },
        }),
      ),
    );
    expect(
      await screen.findByLabelText('Applied: reached'),
    ).toBeInTheDocument();
    expect(
      within(step('Applied')).getByText('7d1c0a2e-0000-4000-8000-000000000002'),
    ).toBeInTheDocument();
    const running = step('Running');
    expect(running).toHaveAccessibleName('Running: failed');
    expect(
      within(running).getByText('Not running: ErrorUnschedulable'),
    ).toBeInTheDocument();
    expect(
      within(running).getByText(
        'Synchronized: FailedCreate — pods "virt-launcher-web-frontend-2-abcde" is forbidden: exceeded quota: team-quota',
      ),
    ).toBeInTheDocument();
    // The stage in the summary says it too.
    expect(
      screen.getByText(
        'Applied, not running: ErrorUnschedulable (FailedCreate)',
      ),
    ).toBeInTheDocument();
  });

  it('shows a resize waiting for its live update, and for a restart, as waiting, not failed', async () => {
    const change = (type: string, reason: string, message: string) =>
      showing({
        ...trackedRequest('applied', {
          vm: {
            uid: '7d1c0a2e-0000-4000-8000-000000000002',
            printableStatus: 'Running',
            failingCondition: { type, reason, message },
          },
        }),
        change: 'resize',
      });
    const live = await renderRequest(
      change(
        'HotMemoryChange',
        'LiveUpdatePending',
        'KubeVirt is moving the VM to a launcher pod of the new size',
      ),
    );
    const inEffect = await screen.findByLabelText('In effect: not yet');
    expect(
      within(inEffect).getByText(
        'Live update under way: KubeVirt is moving the VM to a launcher pod of the new size. Restart it from its page if it does not finish.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Applied, live update under way'),
    ).toBeInTheDocument();
    live.unmount();

    await renderRequest(
      change(
        'RestartRequired',
        'RestartRequired',
        'a non-live-updatable field was changed in the template spec',
      ),
    );
    const restart = await screen.findByLabelText('In effect: not yet');
    expect(
      within(restart).getByText(
        /^Restart required: a non-live-updatable field/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('Applied, restart required')).toBeInTheDocument();
  });

  it('shows a running VM, then its VM page once it is in the catalog', async () => {
    await renderRequest(showing(trackedRequest('running')));
    expect(
      await screen.findByLabelText('Running: reached'),
    ).toBeInTheDocument();
    expect(
      within(step('Running')).getByText(formatTimestamp(STAGE_TIMES.running)),
    ).toBeInTheDocument();
    expect(step('In the catalog')).toHaveAccessibleName(
      'In the catalog: not yet',
    );
  });

  it('links a request in the catalog to its VM page', async () => {
    await renderRequest(showing(trackedRequest('in-catalog')));
    const inCatalog = await screen.findByLabelText('In the catalog: reached');
    expect(
      within(inCatalog).getByRole('link', { name: 'Open the VM page' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/web-frontend-2/virtual-machine',
    );
    for (const label of ['PR open', 'Merged', 'Applied', 'Running']) {
      expect(step(label)).toHaveAccessibleName(`${label}: reached`);
    }
  });

  it('says so when there is no such request, or the user may not see it', async () => {
    const api = mockKubevirtApi();
    api.getRequest.mockResolvedValue(undefined);
    await renderRequest(api, undefined, 'someone-elses');
    expect(
      await screen.findByText('No such request, or you may not see it'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'All VM requests' }),
    ).toHaveAttribute('href', '/vm-requests');
  });

  it('explains a failure to load', async () => {
    const api = mockKubevirtApi();
    api.getRequest.mockRejectedValue(
      new Error('Could not load this VM request: the database is down'),
    );
    await renderRequest(api);
    expect(
      (await screen.findAllByText(/the database is down/)).length,
    ).toBeGreaterThan(0);
  });

  it('reads the request again when a signal names it', async () => {
    const signals = fakeSignals();
    const api = mockKubevirtApi();
    api.getRequest
      .mockResolvedValueOnce(trackedRequest('pr-open'))
      .mockResolvedValue(trackedRequest('merged'));
    await renderRequest(api, signals.api);
    expect(await screen.findByLabelText('Merged: not yet')).toBeInTheDocument();

    signals.send('kubevirt:requests', { id: 'task-0002', stage: 'merged' });
    signals.send('kubevirt:requests', { id: 'task-0001', stage: 'merged' });
    expect(await screen.findByLabelText('Merged: reached')).toBeInTheDocument();
    expect(api.getRequest).toHaveBeenCalledTimes(2);
  });

  it('polls while the request is under way and the page visible, and stops once it is finished', async () => {
    jest.useFakeTimers();
    const stages: VirtualMachineRequestStage[] = [
      'pr-open',
      'merged',
      'in-catalog',
    ];
    const api = mockKubevirtApi();
    api.getRequest.mockImplementation(async () =>
      trackedRequest(stages.length > 1 ? stages.shift()! : stages[0]),
    );
    await renderRequest(api);
    expect(await screen.findByLabelText('Merged: not yet')).toBeInTheDocument();

    // Hidden: no reads.
    visibility = 'hidden';
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    act(() => {
      jest.advanceTimersByTime(REQUEST_REFRESH_INTERVAL_MS * 3);
    });
    expect(api.getRequest).toHaveBeenCalledTimes(1);

    // Visible again: it reads at once, then on schedule.
    visibility = 'visible';
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    expect(await screen.findByLabelText('Merged: reached')).toBeInTheDocument();
    act(() => {
      jest.advanceTimersByTime(REQUEST_REFRESH_INTERVAL_MS);
    });
    expect(
      await screen.findByLabelText('In the catalog: reached'),
    ).toBeInTheDocument();
    const reads = api.getRequest.mock.calls.length;
    act(() => {
      jest.advanceTimersByTime(REQUEST_REFRESH_INTERVAL_MS * 5);
    });
    expect(api.getRequest).toHaveBeenCalledTimes(reads);
  });

  it('is the page below /vm-requests/:id', async () => {
    const api = showing(trackedRequest('running'));
    await renderInTestApp(
      <TestApiProvider apis={[[kubevirtApiRef, api]]}>
        <VirtualMachineRequestsPage />
      </TestApiProvider>,
      { mountedRoutes, routeEntries: ['/task-0001'] },
    );
    expect(
      await screen.findByLabelText('Running: reached'),
    ).toBeInTheDocument();
    expect(api.getRequest).toHaveBeenCalledWith('task-0001');
  });
});
