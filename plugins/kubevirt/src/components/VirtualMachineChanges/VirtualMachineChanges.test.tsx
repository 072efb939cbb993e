import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { vmView } from '../../__fixtures__/virtualMachineView';
import { VirtualMachineChanges } from './VirtualMachineChanges';

// usePermission caches decisions by permission and resource for the whole test
// file: each test asks about another entity, so none sees another's decisions.
let entityRef: string;
let tests = 0;
beforeEach(() => {
  tests += 1;
  entityRef = `component:default/web-frontend-${tests}`;
});

/** A permission API that allows the named permissions on this VM, and nothing else. */
function permissions(...allowed: string[]) {
  return mockApis.permission({
    authorize: request =>
      allowed.includes(request.permission.name) &&
      'resourceRef' in request &&
      request.resourceRef === entityRef
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
  });
}

async function renderChanges(
  allowed: string[],
  view = vmView('Running', { requestId: 'task-0001' }),
) {
  // The backend decides with the view, for this VM's entity.
  const changes = {
    change: allowed.includes('kubevirt.vm.change'),
    decommission: allowed.includes('kubevirt.vm.decommission'),
    adopt: allowed.includes('kubevirt.vm.adopt'),
  };
  return renderInTestApp(
    <TestApiProvider apis={[[permissionApiRef, permissions()]]}>
      <VirtualMachineChanges
        entityRef={entityRef}
        view={{ ...view, changes }}
      />
    </TestApiProvider>,
  );
}

/** The change links (Backstage's LinkButton: a link with the button role). */
function changeLinks(): HTMLElement[] {
  return screen.queryAllByRole('button');
}

/** The template a link opens, and the form data it preselects. */
function target(link: HTMLElement) {
  const url = new URL(link.getAttribute('href')!, 'http://app');
  return {
    path: url.pathname,
    formData: JSON.parse(url.searchParams.get('formData')!),
  };
}

describe('VirtualMachineChanges', () => {
  it("links each change of a portal VM to its template with the VM preselected, for the VM's owners", async () => {
    await renderChanges(['kubevirt.vm.change', 'kubevirt.vm.decommission']);

    await screen.findByRole('button', { name: 'Resize' });
    const links = changeLinks();
    expect(links.map(link => [link.textContent, target(link)])).toEqual([
      [
        'Resize',
        {
          path: '/create/templates/default/resize-virtual-machine',
          formData: { vm: entityRef },
        },
      ],
      [
        'Add a disk',
        {
          path: '/create/templates/default/add-virtual-machine-disk',
          formData: { vm: entityRef },
        },
      ],
      [
        'Change run strategy',
        {
          path: '/create/templates/default/change-virtual-machine-run-strategy',
          formData: { vm: entityRef },
        },
      ],
      [
        'Decommission',
        {
          path: '/create/templates/default/decommission-virtual-machine',
          formData: { vm: entityRef },
        },
      ],
    ]);
    expect(
      screen.getByText(
        /Each change is a pull request to the GitOps repository: the owners of team-web review it/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Adopt into GitOps' }),
    ).not.toBeInTheDocument();
  });

  it('resizes a VM without an instancetype by its vCPUs and memory', async () => {
    const view = vmView('Running', { requestId: 'task-0001' });
    await renderChanges(['kubevirt.vm.change'], {
      ...view,
      size: { ...view.size, instancetype: undefined },
    });
    const resize = screen.getByRole('button', { name: 'Resize' });
    expect(target(resize)).toEqual({
      path: '/create/templates/default/resize-virtual-machine-custom',
      formData: { vm: entityRef },
    });
  });

  it('offers each change only to users its permission allows', async () => {
    await renderChanges(['kubevirt.vm.change']);
    expect(
      await screen.findByRole('button', { name: 'Resize' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Decommission' }),
    ).not.toBeInTheDocument();
  });

  it('offers nothing to users who may not change the VM, and says who may', async () => {
    await renderChanges([]);
    expect(
      await screen.findByText(
        'Only the owners of this virtual machine can ask for changes to it.',
      ),
    ).toBeInTheDocument();
    expect(changeLinks()).toEqual([]);
  });

  it('offers only "Adopt into GitOps" for a VM made by hand', async () => {
    await renderChanges(
      ['kubevirt.vm.change', 'kubevirt.vm.decommission', 'kubevirt.vm.adopt'],
      vmView('Running'),
    );
    const adopt = await screen.findByRole('button', {
      name: 'Adopt into GitOps',
    });
    expect(target(adopt)).toEqual({
      path: '/create/templates/default/adopt-virtual-machine',
      formData: { vm: entityRef },
    });
    expect(changeLinks()).toEqual([adopt]);
    expect(
      screen.getByText(/This VM was not made through the portal/),
    ).toBeInTheDocument();
  });

  it('does not offer adoption to users the adopt permission refuses', async () => {
    await renderChanges(['kubevirt.vm.change'], vmView('Running'));
    expect(
      await screen.findByText(
        'Only the owners of this virtual machine can ask for changes to it.',
      ),
    ).toBeInTheDocument();
    expect(changeLinks()).toEqual([]);
  });
});
