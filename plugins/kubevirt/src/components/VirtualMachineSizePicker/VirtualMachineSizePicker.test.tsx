import {
  renderInTestApp,
  TestApiProvider,
  TestApiRegistry,
} from '@backstage/test-utils';
import {
  createFieldValidation,
  Stepper,
} from '@backstage/plugin-scaffolder-react/alpha';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type {
  QuotaPlanRequest,
  VirtualMachineSize,
} from '@vmportal/plugin-kubevirt-common';
import { kubevirtApiRef, QuotaPlan } from '../../api/KubevirtApi';
import { mockKubevirtApi } from '../../__fixtures__/virtualMachineView';
import { VIRTUAL_MACHINE_SIZE_PICKER } from './fieldName';
import { validateVirtualMachineSize } from './validation';
import { VirtualMachineSizePicker } from './VirtualMachineSizePicker';

const sizes: VirtualMachineSize[] = [
  {
    name: 'u1.small',
    kind: 'VirtualMachineClusterInstancetype',
    series: 'u1',
    size: 'small',
    vcpus: 1,
    memory: '2Gi',
    description: 'General purpose, small',
  },
  {
    name: 'u1.2xlarge',
    kind: 'VirtualMachineClusterInstancetype',
    series: 'u1',
    size: '2xlarge',
    vcpus: 8,
    memory: '32Gi',
  },
  {
    name: 'cx1.medium',
    kind: 'VirtualMachineClusterInstancetype',
    series: 'cx1',
    size: 'medium',
    vcpus: 1,
    memory: '2Gi',
  },
];

/** team-web's quota on east: 4 of 6 cores and 16 of 24Gi used. */
function plan(request: QuotaPlanRequest): QuotaPlan {
  const size = sizes.find(s => s.name === request.instancetype)!;
  const cpuAfter = 4 + size.vcpus;
  const memoryAfter = 16 + Number(size.memory.replace('Gi', ''));
  const rows = [
    {
      quota: 'team-quota',
      resource: 'requests.cpu',
      hard: '6',
      used: '4',
      thisVm: String(size.vcpus),
      duringImportOnly: '0',
      after: String(cpuAfter),
      fits: cpuAfter <= 6,
    },
    {
      quota: 'team-quota',
      resource: 'requests.memory',
      hard: '24Gi',
      used: '16Gi',
      thisVm: size.memory,
      duringImportOnly: '0',
      after: `${memoryAfter}Gi`,
      fits: memoryAfter <= 24,
    },
  ];
  const shortfalls = rows
    .filter(row => !row.fits)
    .map(
      row =>
        `${row.resource} in ${row.quota} would be ${row.after} of ${row.hard}`,
    );
  return {
    fits: shortfalls.length === 0,
    rows,
    shortfalls,
    problems: [],
    disks: [],
  };
}

function apiWithQuota() {
  const api = mockKubevirtApi();
  api.listSizes.mockResolvedValue(sizes);
  api.planRequest.mockImplementation(async (_cluster, _namespace, request) =>
    plan(request),
  );
  return api;
}

const template = {
  title: 'Request a virtual machine',
  steps: [
    {
      title: 'Where',
      schema: {
        type: 'object',
        required: ['cluster', 'namespace'],
        properties: {
          cluster: { type: 'string', title: 'Cluster', enum: ['east', 'west'] },
          namespace: { type: 'string', title: 'Namespace' },
        },
      },
    },
    {
      title: 'Size',
      schema: {
        type: 'object',
        required: ['size'],
        properties: {
          size: {
            type: 'string',
            title: 'Size',
            'ui:field': VIRTUAL_MACHINE_SIZE_PICKER,
          },
        },
      },
    },
  ],
};

async function renderRequestForm(api: ReturnType<typeof apiWithQuota>) {
  const onCreate = jest.fn(async () => {});
  await renderInTestApp(
    <TestApiProvider apis={[[kubevirtApiRef, api]]}>
      <Stepper
        manifest={template}
        extensions={[
          {
            name: VIRTUAL_MACHINE_SIZE_PICKER,
            component: VirtualMachineSizePicker,
            validation: validateVirtualMachineSize,
          },
        ]}
        onCreate={onCreate}
      />
    </TestApiProvider>,
  );
  return onCreate;
}

describe('VirtualMachineSizePicker', () => {
  it("lists the cluster's sizes, shows the quota bars live and refuses a size that does not fit", async () => {
    const api = apiWithQuota();
    const user = userEvent.setup();
    await renderRequestForm(api);

    // Step 1: where the VM goes; the size picker reads it from the form.
    await user.click(screen.getByRole('button', { name: /Cluster/ }));
    await user.click(await screen.findByRole('option', { name: 'east' }));
    await user.type(
      screen.getByRole('textbox', { name: 'Namespace' }),
      'team-web',
    );
    await user.click(screen.getByRole('button', { name: 'Next' }));

    // Step 2: the sizes of east, grouped by series.
    const picker = await screen.findByRole('combobox', { name: /Size/ });
    await waitFor(() =>
      expect(
        within(picker).getByRole('option', {
          name: 'u1.2xlarge · 8 vCPUs · 32Gi',
        }),
      ).toBeInTheDocument(),
    );
    expect(api.listSizes).toHaveBeenCalledWith('east');
    expect(
      within(picker).getByRole('group', { name: 'cx1' }),
    ).toBeInTheDocument();

    // Too large: both bars go red, and the form will not move on.
    await user.selectOptions(picker, 'u1.2xlarge');
    const cpu = await screen.findByRole('progressbar', {
      name: /CPU requests/,
    });
    expect(cpu).toHaveAccessibleName(
      'CPU requests (team-quota): 4 CPUs → 12 CPUs of 6 CPUs (200%), does not fit',
    );
    expect(api.planRequest).toHaveBeenLastCalledWith('east', 'team-web', {
      instancetype: 'u1.2xlarge',
    });
    await user.click(screen.getByRole('button', { name: 'Review' }));
    expect(
      (
        await screen.findAllByText(
          /u1\.2xlarge does not fit the quota of team-web on east: requests\.cpu in team-quota would be 12 of 6; requests\.memory in team-quota would be 48Gi of 24Gi/,
        )
      ).length,
    ).toBeGreaterThan(0);
    expect(
      screen.queryByRole('button', { name: 'Create' }),
    ).not.toBeInTheDocument();

    // A size that fits: the bars stay clear and the review step opens.
    await user.selectOptions(picker, 'u1.small');
    expect(
      await screen.findByRole('progressbar', {
        name: 'CPU requests (team-quota): 4 CPUs → 5 CPUs of 6 CPUs (83%)',
      }),
    ).toHaveAttribute('aria-valuenow', '67');
    expect(screen.getByText('General purpose, small')).toBeInTheDocument();
    expect(
      screen.getByText('u1.small fits the quota of team-web.'),
    ).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Review' }));
    expect(
      await screen.findByRole('button', { name: 'Create' }),
    ).toBeInTheDocument();
    expect(screen.getByText('u1.small')).toBeInTheDocument();
  }, 30_000);

  it('asks for the cluster first when the form has none', async () => {
    const api = apiWithQuota();
    await renderInTestApp(
      <TestApiProvider apis={[[kubevirtApiRef, api]]}>
        <Stepper
          manifest={{ title: 'x', steps: [template.steps[1]] }}
          extensions={[
            {
              name: VIRTUAL_MACHINE_SIZE_PICKER,
              component: VirtualMachineSizePicker,
              validation: validateVirtualMachineSize,
            },
          ]}
          onCreate={jest.fn()}
        />
      </TestApiProvider>,
    );
    expect(
      screen.getByText('Choose a cluster first: the sizes depend on it.'),
    ).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: /Size/ })).toBeDisabled();
    expect(api.listSizes).not.toHaveBeenCalled();
  });
});

describe('validateVirtualMachineSize', () => {
  async function validate(
    value: string,
    formData: Parameters<typeof validateVirtualMachineSize>[2]['formData'],
    api = apiWithQuota(),
  ) {
    const validation = createFieldValidation();
    await validateVirtualMachineSize(value, validation, {
      apiHolder: TestApiRegistry.from([kubevirtApiRef, api]),
      formData,
      schema: {},
      uiSchema: {
        'ui:options': { clusterField: 'where.cluster', diskSizeField: 'disk' },
      },
    });
    return { errors: validation.__errors ?? [], api };
  }

  it('checks the size against the quota of the nested cluster field, counting the disk', async () => {
    const { errors, api } = await validate('u1.small', {
      where: { cluster: 'east' },
      namespace: 'team-web',
      disk: 60,
    });
    expect(errors).toEqual([]);
    expect(api.planRequest).toHaveBeenCalledWith('east', 'team-web', {
      instancetype: 'u1.small',
      disks: [{ name: 'data', size: '60Gi' }],
    });
  });

  it('refuses a size that does not fit, with the shortfall', async () => {
    const { errors } = await validate('u1.2xlarge', {
      where: { cluster: 'east' },
      namespace: 'team-web',
    });
    expect(errors).toEqual([
      'u1.2xlarge does not fit the quota of team-web on east: requests.cpu in team-quota would be 12 of 6; requests.memory in team-quota would be 48Gi of 24Gi',
    ]);
  });

  it('refuses a size the backend would not admit for another reason, with the reason', async () => {
    const api = apiWithQuota();
    api.planRequest.mockResolvedValue({
      ...plan({ instancetype: 'u1.small' }),
      fits: false,
      problems: [
        'The size u1.small is not offered on cluster east; choose one of its sizes.',
      ],
    });
    const { errors } = await validate(
      'u1.small',
      { where: { cluster: 'east' }, namespace: 'team-web' },
      api,
    );
    expect(errors).toEqual([
      'u1.small does not fit the quota of team-web on east: The size u1.small is not offered on cluster east; choose one of its sizes.',
    ]);
  });

  it('refuses when there is no cluster to check against, or the check fails', async () => {
    expect(
      (await validate('u1.small', { namespace: 'team-web' })).errors,
    ).toEqual([
      'Choose a cluster and a namespace first: the size is checked against their quota.',
    ]);
    const failing = apiWithQuota();
    failing.planRequest.mockRejectedValue(new Error('backend down'));
    expect(
      (
        await validate(
          'u1.small',
          { where: { cluster: 'east' }, namespace: 'team-web' },
          failing,
        )
      ).errors,
    ).toEqual(['Could not check the quota of team-web: backend down']);
  });
});
