import { consoleProtocols } from '@vmportal/plugin-kubevirt-common';
import {
  mockApis,
  MockFetchApi,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { KubevirtBackendClient } from '../../api/KubevirtBackendClient';
import { ConsoleBackend } from '../../__fixtures__/consoleBackend';
import { VirtualMachineConsole } from './VirtualMachineConsole';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyOmRlZmF1bHQvYWRhIn0.c2ln';
const ENTITY_REF = 'component:default/web-frontend-1';
const SERIAL_PATH =
  '/api/kubevirt/v1/entities/default/component/web-frontend-1/console/serial';

let backend: ConsoleBackend;

beforeAll(async () => {
  backend = await ConsoleBackend.start({ token: TOKEN });
  // jsdom has neither; xterm.js asks for the pixel ratio, the terminal for resizes.
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener() {},
      removeListener() {},
      addEventListener() {},
      removeEventListener() {},
      dispatchEvent: () => false,
    } as MediaQueryList);
  window.ResizeObserver = class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
});

afterAll(async () => {
  await backend.stop();
});

beforeEach(() => {
  backend.availability = { status: 200 };
  backend.sessions.length = 0;
  backend.checks.length = 0;
});

/** The VM page's console, on the real client against the stand-in backend; opened. */
async function openConsole() {
  const user = userEvent.setup();
  const identityApi = mockApis.identity({ token: TOKEN });
  const api = new KubevirtBackendClient({
    discoveryApi: { getBaseUrl: async () => backend.baseUrl },
    fetchApi: new MockFetchApi({ injectIdentityAuth: { identityApi } }),
    identityApi,
  });
  const rendered = await renderInTestApp(
    <TestApiProvider apis={[[kubevirtApiRef, api]]}>
      <VirtualMachineConsole entityRef={ENTITY_REF} vmName="web-frontend-1" />
    </TestApiProvider>,
  );
  await user.click(screen.getByRole('button', { name: 'Console' }));
  return { user, ...rendered };
}

/** What the terminal shows, row by row, as xterm.js renders it. */
function terminalText(): string {
  const terminal = screen.getByRole('region', {
    name: 'Serial console of web-frontend-1',
  });
  const rows = terminal.querySelector('.xterm-rows');
  return Array.from(rows?.children ?? [], row => row.textContent?.trimEnd())
    .filter(Boolean)
    .join('\n');
}

describe('VirtualMachineConsole', () => {
  it("shows the backend's reason instead of a terminal when the user may not open it", async () => {
    const message =
      'Only members of group:default/team-web can open the console of component:default/web-frontend-1';
    backend.availability = { status: 403, name: 'NotAllowedError', message };
    await openConsole();

    expect(
      await screen.findByText(
        `You cannot open the serial console of this virtual machine: ${message}`,
      ),
    ).toBeVisible();
    expect(
      screen.queryByRole('region', {
        name: 'Serial console of web-frontend-1',
      }),
    ).not.toBeInTheDocument();
    // Trying again does not make the user an owner.
    expect(
      screen.queryByRole('button', { name: /Try again|Reconnect/ }),
    ).not.toBeInTheDocument();
    expect(backend.checks).toEqual([SERIAL_PATH]);
    expect(backend.sessions).toHaveLength(0);
  });

  it('says why a stopped VM has no console, and tries again', async () => {
    backend.availability = {
      status: 409,
      name: 'ConflictError',
      message: 'The VM is Stopped: start it to use its console',
    };
    const { user } = await openConsole();
    expect(
      await screen.findByText(
        'Could not open the serial console of this virtual machine: The VM is Stopped: start it to use its console',
      ),
    ).toBeVisible();

    backend.availability = { status: 200 };
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('Connected')).toBeInTheDocument();
    expect(backend.sessions).toHaveLength(1);
  });

  it("shows the guest's serial console and sends what the user types as binary frames", async () => {
    const { user } = await openConsole();

    expect(await screen.findByText('Connected')).toBeInTheDocument();
    const [session] = backend.sessions;
    // The token travels as a subprotocol, never in the URL.
    expect(session.protocols).toEqual(consoleProtocols(TOKEN));
    expect(session.path).toBe(SERIAL_PATH);
    await waitFor(() => expect(terminalText()).toBe('web-frontend-1 login:'));

    await user.click(screen.getByRole('textbox', { name: 'Terminal input' }));
    await user.keyboard('ubuntu{Enter}');
    await waitFor(() => expect(session.received).toBe('ubuntu\r'));
    expect(session.allBinary).toBe(true);
    await waitFor(() =>
      expect(terminalText()).toBe('web-frontend-1 login: ubuntu\nPassword:'),
    );
  });

  it('says why the backend closed the console, and reconnects', async () => {
    const { user } = await openConsole();
    expect(await screen.findByText('Connected')).toBeInTheDocument();

    backend.sessions[0].socket.close(
      4408,
      'Closed after 15 min without activity',
    );
    const status = await screen.findByRole('status');
    await waitFor(() =>
      expect(status).toHaveTextContent(
        'Disconnected: Closed after 15 min without activity',
      ),
    );

    await user.click(screen.getByRole('button', { name: 'Reconnect' }));
    expect(await screen.findByText('Connected')).toBeInTheDocument();
    expect(backend.sessions).toHaveLength(2);
    await waitFor(() =>
      expect(terminalText()).toContain('web-frontend-1 login:'),
    );
  });

  it('closes the session when the user closes the console', async () => {
    const { user } = await openConsole();
    expect(await screen.findByText('Connected')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Console' }));
    await backend.sessions[0].closed;
    await waitFor(() =>
      expect(screen.queryByText('Connected')).not.toBeInTheDocument(),
    );
  });

  it('ends the serial session when the user switches to VNC, and checks VNC on its own', async () => {
    const { user } = await openConsole();
    expect(await screen.findByText('Connected')).toBeInTheDocument();
    backend.availability = {
      status: 409,
      name: 'ConflictError',
      message: 'The VM is Stopped: start it to use its console',
    };
    await user.click(screen.getByRole('tab', { name: 'VNC' }));
    await backend.sessions[0].closed;
    expect(
      await screen.findByText(
        'Could not open the VNC display of this virtual machine: The VM is Stopped: start it to use its console',
      ),
    ).toBeVisible();
    expect(backend.checks).toEqual([
      SERIAL_PATH,
      SERIAL_PATH.replace(/serial$/, 'vnc'),
    ]);
    expect(screen.queryByText('Connected')).not.toBeInTheDocument();
  });
});
