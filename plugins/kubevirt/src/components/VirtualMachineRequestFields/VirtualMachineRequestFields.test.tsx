import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { Stepper } from '@backstage/plugin-scaffolder-react/alpha';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type {
  NamespaceQuotaSummary,
  OsImage,
  VirtualMachineSize,
} from '@vmportal/plugin-kubevirt-common';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { mockKubevirtApi } from '../../__fixtures__/virtualMachineView';
import { VIRTUAL_MACHINE_SIZE_PICKER } from '../VirtualMachineSizePicker/fieldName';
import { VirtualMachineSizePicker } from '../VirtualMachineSizePicker/VirtualMachineSizePicker';
import {
  VIRTUAL_MACHINE_CLUSTER_PICKER,
  VIRTUAL_MACHINE_IMAGE_PICKER,
  VIRTUAL_MACHINE_NAMESPACE_PICKER,
} from './fieldNames';
import { VirtualMachineClusterPicker } from './VirtualMachineClusterPicker';
import { VirtualMachineImagePicker } from './VirtualMachineImagePicker';
import { VirtualMachineNamespacePicker } from './VirtualMachineNamespacePicker';

const namespaces: NamespaceQuotaSummary[] = [
  {
    cluster: 'east',
    namespace: 'team-web',
    quotas: [
      {
        quota: 'team-quota',
        resource: 'requests.memory',
        hard: '32Gi',
        used: '24Gi',
        fraction: 0.75,
      },
      {
        quota: 'team-quota',
        resource: 'requests.cpu',
        hard: '8',
        used: '2',
        fraction: 0.25,
      },
    ],
  },
  { cluster: 'east', namespace: 'team-web-lab', quotas: [] },
];

const images: OsImage[] = [
  {
    name: 'fedora',
    namespace: 'kubevirt-os-images',
    title: 'Fedora 41',
    os: 'Fedora',
    version: '41',
    defaultInstancetype: 'u1.medium',
    defaultPreference: 'fedora',
    size: '5Gi',
    ready: true,
  },
  {
    name: 'win2k22',
    namespace: 'kubevirt-os-images',
    title: 'Windows Server 2022',
    ready: false,
    notReadyReason: 'import in progress',
  },
];

const size = (
  name: string,
  vcpus: number,
  memory: string,
  offered: boolean,
): VirtualMachineSize => {
  const [series, rest] = name.split('.');
  return {
    name,
    kind: 'VirtualMachineClusterInstancetype',
    series,
    size: rest,
    vcpus,
    memory,
    offered,
  };
};

const sizes = [
  size('u1.small', 1, '2Gi', true),
  size('u1.medium', 1, '4Gi', true),
  size('cx1.large', 2, '4Gi', false),
  size('rt1.large', 2, '8Gi', false),
];

const template = {
  title: 'Request a virtual machine',
  steps: [
    {
      title: 'Who and where',
      schema: {
        type: 'object',
        required: ['owner', 'cluster', 'namespace'],
        properties: {
          owner: { type: 'string', title: 'Owning team' },
          cluster: {
            type: 'string',
            title: 'Cluster',
            'ui:field': VIRTUAL_MACHINE_CLUSTER_PICKER,
          },
          namespace: {
            type: 'string',
            title: 'Namespace',
            'ui:field': VIRTUAL_MACHINE_NAMESPACE_PICKER,
          },
        },
      },
    },
    {
      title: 'Operating system and size',
      schema: {
        type: 'object',
        required: ['os', 'instancetype'],
        properties: {
          os: {
            type: 'object',
            title: 'Operating system',
            'ui:field': VIRTUAL_MACHINE_IMAGE_PICKER,
            'ui:options': {
              ephemeralImages: [
                {
                  title: 'Fedora 41',
                  image: 'quay.io/containerdisks/fedora:41',
                  preference: 'fedora',
                },
              ],
            },
          },
          instancetype: {
            type: 'string',
            title: 'Size',
            'ui:field': VIRTUAL_MACHINE_SIZE_PICKER,
            'ui:options': { imageField: 'os' },
          },
        },
      },
    },
  ],
};

function api() {
  const mock = mockKubevirtApi();
  mock.listClusters.mockResolvedValue([{ name: 'east' }]);
  mock.listOwnedNamespaces.mockImplementation(async (_cluster, owner) =>
    owner === 'group:default/team-web' ? namespaces : [],
  );
  mock.listOsImages.mockResolvedValue(images);
  mock.listSizes.mockResolvedValue(sizes);
  mock.planRequest.mockResolvedValue({
    fits: true,
    rows: [],
    shortfalls: [],
    problems: [],
    disks: [],
  });
  return mock;
}

async function renderForm(kubevirt: ReturnType<typeof api>) {
  await renderInTestApp(
    <TestApiProvider apis={[[kubevirtApiRef, kubevirt]]}>
      <Stepper
        manifest={template}
        extensions={[
          {
            name: VIRTUAL_MACHINE_CLUSTER_PICKER,
            component: VirtualMachineClusterPicker,
          },
          {
            name: VIRTUAL_MACHINE_NAMESPACE_PICKER,
            component: VirtualMachineNamespacePicker,
          },
          {
            name: VIRTUAL_MACHINE_IMAGE_PICKER,
            component: VirtualMachineImagePicker,
          },
          {
            name: VIRTUAL_MACHINE_SIZE_PICKER,
            component: VirtualMachineSizePicker,
          },
        ]}
        onCreate={jest.fn(async () => {})}
      />
    </TestApiProvider>,
  );
}

describe('the request form pickers', () => {
  it('owner → cluster → namespace with headroom → golden image → its suggested size, counted with the root disk', async () => {
    const kubevirt = api();
    const user = userEvent.setup();
    await renderForm(kubevirt);

    // The only cluster is preselected; the namespaces wait for the owner.
    const cluster = await screen.findByRole('combobox', { name: /Cluster/ });
    await waitFor(() => expect(cluster).toHaveValue('east'));
    expect(
      screen.getByText('Choose the owning team and the cluster first.'),
    ).toBeInTheDocument();

    await user.type(
      screen.getByRole('textbox', { name: 'Owning team' }),
      'group:default/team-nobody',
    );
    expect(
      await screen.findByText(
        /group:default\/team-nobody owns no namespace on east\. Ask the platform team to give it one \(a namespace labelled vmportal\.io\/owner=team-nobody\)/,
      ),
    ).toBeInTheDocument();

    const owner = screen.getByRole('textbox', { name: 'Owning team' });
    await user.clear(owner);
    await user.type(owner, 'group:default/team-web');
    const namespace = screen.getByRole('combobox', { name: /Namespace/ });
    // The tightest quota of each namespace, in words.
    expect(
      await within(namespace).findByRole('option', {
        name: 'team-web · Memory requests: 24 GiB of 32 GiB used',
      }),
    ).toBeInTheDocument();
    expect(
      within(namespace).getByRole('option', {
        name: 'team-web-lab · no quota',
      }),
    ).toBeInTheDocument();
    await user.selectOptions(namespace, 'team-web');
    expect(
      await screen.findByRole('progressbar', { name: /Memory requests/ }),
    ).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Next' }));

    // Golden images first (persistent), the ephemeral container disk apart.
    const os = await screen.findByRole('combobox', {
      name: /Operating system/,
    });
    await within(os).findByRole('option', { name: 'Fedora 41 · 5 GiB' });
    expect(
      within(os).getByRole('option', {
        name: 'Windows Server 2022 (not ready: import in progress)',
      }),
    ).toBeDisabled();
    expect(
      within(os).getByRole('group', {
        name: 'Ephemeral root disk (reset at every restart)',
      }),
    ).toBeInTheDocument();
    await user.selectOptions(os, 'ds:kubevirt-os-images/fedora');

    // The image's size is preselected, and the plan counts its 5 GiB root disk.
    const picker = screen.getByRole('combobox', { name: /Size/ });
    await waitFor(() => expect(picker).toHaveValue('u1.medium'));
    await waitFor(() =>
      expect(kubevirt.planRequest).toHaveBeenLastCalledWith(
        'east',
        'team-web',
        {
          instancetype: 'u1.medium',
          preference: 'fedora',
          image: {
            dataSource: { name: 'fedora', namespace: 'kubevirt-os-images' },
            size: '5Gi',
          },
        },
      ),
    );

    // A larger root disk on request, never smaller than the image.
    const root = screen.getByRole('spinbutton', {
      name: 'Root disk size (GiB)',
    });
    await user.clear(root);
    await user.type(root, '3');
    expect(
      screen.getByText(
        'The root disk must hold the image: give 5 GiB or more (whole GiB); the request keeps 5 GiB until then.',
      ),
    ).toBeInTheDocument();
    await user.clear(root);
    await user.type(root, '20');
    await waitFor(() =>
      expect(kubevirt.planRequest).toHaveBeenLastCalledWith(
        'east',
        'team-web',
        expect.objectContaining({
          image: {
            dataSource: { name: 'fedora', namespace: 'kubevirt-os-images' },
            size: '20Gi',
          },
        }),
      ),
    );
  });

  it('offers the general-purpose series first and the rest behind "Show all sizes"', async () => {
    const kubevirt = api();
    const user = userEvent.setup();
    await renderForm(kubevirt);
    await user.type(
      await screen.findByRole('textbox', { name: 'Owning team' }),
      'group:default/team-web',
    );
    const namespace = screen.getByRole('combobox', { name: /Namespace/ });
    await within(namespace).findByRole('option', { name: /^team-web · / });
    await user.selectOptions(namespace, 'team-web');
    await user.click(screen.getByRole('button', { name: 'Next' }));

    const picker = await screen.findByRole('combobox', { name: /Size/ });
    await within(picker).findByRole('option', { name: /^u1\.small/ });
    expect(
      within(picker).queryByRole('option', { name: /^cx1\.large/ }),
    ).toBeNull();
    await user.click(
      screen.getByRole('checkbox', { name: /Show all sizes \(2 more/ }),
    );
    expect(
      within(picker).getByRole('option', { name: /^rt1\.large/ }),
    ).toBeInTheDocument();

    // An ephemeral root disk is chosen knowingly.
    const os = screen.getByRole('combobox', { name: /Operating system/ });
    await user.selectOptions(os, 'cd:quay.io/containerdisks/fedora:41');
    expect(
      screen.getByText(
        /An ephemeral root disk starts from the image at every restart/,
      ),
    ).toBeInTheDocument();
  });
});
