import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import {
  createFieldValidation,
  Stepper,
} from '@backstage/plugin-scaffolder-react/alpha';
import {
  renderInTestApp,
  TestApiProvider,
  TestApiRegistry,
} from '@backstage/test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type {
  VirtualMachineChange,
  VirtualMachineSize,
} from '@vmportal/plugin-kubevirt-common';
import {
  kubevirtApiRef,
  VirtualMachineChangePlan,
} from '../../api/KubevirtApi';
import { resizePlan } from '../../__fixtures__/virtualMachineChangePlan';
import {
  mockKubevirtApi,
  vmEntity,
} from '../../__fixtures__/virtualMachineView';
import type { VirtualMachineChangePlanFieldUiOptions } from './changeTarget';
import { VIRTUAL_MACHINE_CHANGE_PLAN_FIELD } from './fieldName';
import { validateVirtualMachineChangePlan } from './validation';
import { VirtualMachineChangePlanField } from './VirtualMachineChangePlanField';

const VM = 'component:default/web-frontend-1';

/** The VM's entity, as the catalog provider labels it: u1.small on east. */
const entity = {
  ...vmEntity,
  metadata: {
    ...vmEntity.metadata,
    labels: { 'kubevirt.vmportal.io/instancetype': 'u1.small' },
  },
};

const size = (name: string, vcpus: number, memory: string) =>
  ({
    name,
    kind: 'VirtualMachineClusterInstancetype',
    series: name.split('.')[0],
    size: name.split('.')[1],
    vcpus,
    memory,
  } satisfies VirtualMachineSize);

const sizes = [
  size('u1.small', 1, '2Gi'),
  size('u1.medium', 1, '4Gi'),
  size('u1.2xlarge', 8, '32Gi'),
];

/**
 * The backend's plans on team-web, 16 of 24Gi memory and 100 of 120Gi storage
 * requests used: resizing adds the memory difference, a disk its size.
 */
function plan(change: VirtualMachineChange): VirtualMachineChangePlan {
  if (change.kind === 'add-disk') {
    const gib = Number(change.size.replace('Gi', ''));
    const fits = 100 + gib <= 120;
    return resizePlan({
      change,
      summary: `new disk ${change.name}: ${gib} GiB of ${
        change.storageClass ?? 'the default storage class'
      }`,
      quota: {
        fits,
        rows: [
          {
            quota: 'team-quota',
            resource: 'requests.storage',
            hard: '120Gi',
            used: '100Gi',
            thisVm: change.size,
            duringImportOnly: '0',
            after: `${100 + gib}Gi`,
            fits,
          },
        ],
        shortfalls: [],
        problems: [],
        disks: [],
      },
      fits,
      problems: fits
        ? []
        : [
            `ResourceQuota team-quota: requests.storage short by ${
              gib - 20
            } GiB (needs ${gib} GiB, 20 GiB free)`,
          ],
      notes: [],
      takesEffect: 'live',
    });
  }
  if (change.kind !== 'resize') throw new Error(`unexpected ${change.kind}`);
  if (change.cpu && change.memory) {
    // A VM without an instancetype, 2 vCPUs and 4 GiB now.
    return memoryPlan(
      change,
      `2 vCPU, 4 GiB → ${change.cpu} vCPU, ${change.memory}`,
      Number(change.memory.replace('Gi', '')) - 4,
      'restart',
    );
  }
  const to = sizes.find(s => s.name === change.instancetype)!;
  return memoryPlan(
    change,
    `u1.small (1 vCPU, 2 GiB) → ${to.name} (${to.vcpus} vCPU, ${to.memory})`,
    Number(to.memory.replace('Gi', '')) - 2,
    to.vcpus > 1 ? 'restart' : 'live',
  );
}

/** A resize's plan on team-web's memory: 16 of 24Gi used, `added` GiB more. */
function memoryPlan(
  change: VirtualMachineChange,
  summary: string,
  added: number,
  takesEffect: VirtualMachineChangePlan['takesEffect'],
): VirtualMachineChangePlan {
  const fits = 16 + added <= 24;
  return resizePlan({
    change,
    summary,
    quota: {
      fits,
      rows: [
        {
          quota: 'team-quota',
          resource: 'requests.memory',
          hard: '24Gi',
          used: '16Gi',
          thisVm: `${added}Gi`,
          duringImportOnly: '0',
          after: `${16 + added}Gi`,
          fits,
        },
      ],
      shortfalls: [],
      problems: [],
      disks: [],
    },
    fits,
    problems: fits
      ? []
      : [
          `ResourceQuota team-quota: requests.memory short by ${
            added - 8
          } GiB (needs ${added} GiB, 8 GiB free)`,
        ],
    takesEffect,
  });
}

function backend() {
  const api = mockKubevirtApi();
  api.listSizes.mockResolvedValue(sizes);
  api.planVirtualMachineChange.mockImplementation(async (_ref, change) =>
    plan(change),
  );
  return api;
}

function resizeTemplateWith(options: Record<string, string>) {
  return {
    title: 'Resize a virtual machine',
    steps: [
      {
        title: 'New size',
        schema: {
          type: 'object',
          required: ['vm', 'instancetype'],
          properties: {
            vm: { type: 'string', title: 'Virtual machine' },
            instancetype: {
              type: 'string',
              title: 'New size',
              'ui:field': VIRTUAL_MACHINE_CHANGE_PLAN_FIELD,
              'ui:options': options,
            },
          },
        },
      },
    ],
  };
}

const resizeTemplate = resizeTemplateWith({
  kind: 'resize',
  entityField: 'vm',
});

const addDiskTemplate = {
  title: 'Add a disk',
  steps: [
    {
      title: 'Disk',
      schema: {
        type: 'object',
        required: ['vm', 'diskName', 'diskSize', 'plan'],
        properties: {
          vm: { type: 'string', title: 'Virtual machine' },
          diskName: { type: 'string', title: 'Disk name' },
          diskSize: { type: 'number', title: 'Size (GiB)' },
          storageClass: { type: 'string', title: 'Storage class' },
          plan: {
            type: 'string',
            title: 'Quota',
            'ui:field': VIRTUAL_MACHINE_CHANGE_PLAN_FIELD,
            'ui:options': {
              kind: 'add-disk',
              entityField: 'vm',
              nameField: 'diskName',
              sizeField: 'diskSize',
              storageClassField: 'storageClass',
            },
          },
        },
      },
    },
  ],
};

const customSizeTemplate = {
  title: 'Resize a virtual machine (vCPUs and memory)',
  steps: [
    {
      title: 'New size',
      schema: {
        type: 'object',
        required: ['vm', 'cpu', 'memory', 'plan'],
        properties: {
          vm: { type: 'string', title: 'Virtual machine' },
          cpu: { type: 'integer', title: 'vCPUs' },
          memory: { type: 'integer', title: 'Memory (GiB)' },
          plan: {
            type: 'string',
            title: 'Quota',
            'ui:field': VIRTUAL_MACHINE_CHANGE_PLAN_FIELD,
            'ui:options': {
              kind: 'custom-size',
              entityField: 'vm',
              cpuField: 'cpu',
              memoryField: 'memory',
            },
          },
        },
      },
    },
  ],
};

async function renderForm(
  manifest: Parameters<typeof Stepper>[0]['manifest'],
  api = backend(),
  initialState: Record<string, string> = { vm: VM },
) {
  const onCreate = jest.fn(async () => {});
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [kubevirtApiRef, api],
        [catalogApiRef, catalogApiMock({ entities: [entity] })],
      ]}
    >
      <Stepper
        manifest={manifest}
        initialState={initialState}
        extensions={[
          {
            name: VIRTUAL_MACHINE_CHANGE_PLAN_FIELD,
            component: VirtualMachineChangePlanField,
            validation: validateVirtualMachineChangePlan,
          },
        ]}
        onCreate={onCreate}
      />
    </TestApiProvider>,
  );
  return { api, onCreate };
}

describe('VirtualMachineChangePlanField', () => {
  it("resize: offers the VM's cluster's sizes, shows the plan with what it adds, and refuses one that does not fit, naming the quota", async () => {
    const user = userEvent.setup();
    const { api } = await renderForm(resizeTemplate);

    const picker = await screen.findByRole('combobox', { name: /New size/ });
    await waitFor(() =>
      expect(
        within(picker).getByRole('option', {
          name: 'u1.small · 1 vCPU · 2Gi (now)',
        }),
      ).toBeInTheDocument(),
    );
    expect(api.listSizes).toHaveBeenCalledWith('east');

    await user.selectOptions(picker, 'u1.medium');
    const section = await screen.findByRole('region', { name: 'Change plan' });
    expect(api.planVirtualMachineChange).toHaveBeenLastCalledWith(VM, {
      kind: 'resize',
      instancetype: 'u1.medium',
    });
    expect(
      within(section).getByText(
        'u1.small (1 vCPU, 2 GiB) → u1.medium (1 vCPU, 4Gi)',
      ),
    ).toBeInTheDocument();
    expect(within(section).getByText(/^Takes effect live/)).toBeInTheDocument();
    expect(
      within(section).getByRole('progressbar', {
        name: 'Memory requests (team-quota), adds 2 GiB: 16 GiB → 18 GiB of 24 GiB (75%)',
      }),
    ).toBeInTheDocument();
    expect(
      within(section).getByText(/both launcher pods run/),
    ).toBeInTheDocument();
    expect(
      within(section).getByText('This change fits the quota of team-web.'),
    ).toBeInTheDocument();

    // Too large: the plan says why, and the form will not move on.
    await user.selectOptions(picker, 'u1.2xlarge');
    expect(
      await screen.findByText(
        /This change cannot be asked for: ResourceQuota team-quota: requests\.memory short by 22 GiB/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/^Takes effect at the next restart/),
    ).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Review' }));
    expect(
      (
        await screen.findAllByText(
          'u1.small (1 vCPU, 2 GiB) → u1.2xlarge (8 vCPU, 32Gi) cannot be asked for: ResourceQuota team-quota: requests.memory short by 22 GiB (needs 30 GiB, 8 GiB free)',
        )
      ).length,
    ).toBeGreaterThan(0);
    expect(
      screen.queryByRole('button', { name: 'Create' }),
    ).not.toBeInTheDocument();

    // One that fits: on to the review, with the instancetype as the value.
    await user.selectOptions(picker, 'u1.medium');
    await screen.findByText('This change fits the quota of team-web.');
    await user.click(screen.getByRole('button', { name: 'Review' }));
    expect(
      await screen.findByRole('button', { name: 'Create' }),
    ).toBeInTheDocument();
    expect(screen.getByText('u1.medium')).toBeInTheDocument();
  }, 30_000);

  it('add-disk: plans the disk the form describes, and refuses one the storage quota has no room for', async () => {
    const user = userEvent.setup();
    const { api } = await renderForm(addDiskTemplate, backend(), {
      vm: VM,
      storageClass: 'standard',
    });
    expect(
      screen.getByText(
        'Give the disk a name and a size to see what it does to the quota.',
      ),
    ).toBeInTheDocument();
    expect(api.planVirtualMachineChange).not.toHaveBeenCalled();

    await user.type(screen.getByRole('textbox', { name: 'Disk name' }), 'logs');
    await user.type(
      screen.getByRole('spinbutton', { name: 'Size (GiB)' }),
      '50',
    );
    expect(
      await screen.findByText(
        /This change cannot be asked for: ResourceQuota team-quota: requests\.storage short by 30 GiB/,
      ),
    ).toBeInTheDocument();
    expect(api.planVirtualMachineChange).toHaveBeenLastCalledWith(VM, {
      kind: 'add-disk',
      name: 'logs',
      size: '50Gi',
      storageClass: 'standard',
    });
    expect(
      screen.getByRole('progressbar', {
        name: 'Storage requests (team-quota), adds 50 GiB: 100 GiB → 150 GiB of 120 GiB (125%), does not fit',
      }),
    ).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Review' }));
    expect(
      (
        await screen.findAllByText(
          'new disk logs: 50 GiB of standard cannot be asked for: ResourceQuota team-quota: requests.storage short by 30 GiB (needs 50 GiB, 20 GiB free)',
        )
      ).length,
    ).toBeGreaterThan(0);
    expect(
      screen.queryByRole('button', { name: 'Create' }),
    ).not.toBeInTheDocument();

    // A smaller disk fits; the field's value is the plan's summary.
    const sizeBox = screen.getByRole('spinbutton', { name: 'Size (GiB)' });
    await user.clear(sizeBox);
    await user.type(sizeBox, '10');
    await screen.findByText('This change fits the quota of team-web.');
    await user.click(screen.getByRole('button', { name: 'Review' }));
    expect(
      await screen.findByRole('button', { name: 'Create' }),
    ).toBeInTheDocument();
    expect(
      screen.getByText('new disk logs: 10 GiB of standard'),
    ).toBeInTheDocument();
  }, 30_000);

  it('custom-size: plans the vCPUs and memory the form gives, and refuses memory the quota has no room for', async () => {
    const user = userEvent.setup();
    const { api } = await renderForm(customSizeTemplate, backend(), {
      vm: VM,
    });
    expect(
      screen.getByText(
        'Give the vCPUs and the memory to see what they do to the quota.',
      ),
    ).toBeInTheDocument();
    await user.type(screen.getByRole('spinbutton', { name: 'vCPUs' }), '4');
    const memory = screen.getByRole('spinbutton', { name: 'Memory (GiB)' });
    await user.type(memory, '20');
    expect(
      await screen.findByText(
        /This change cannot be asked for: ResourceQuota team-quota: requests\.memory short by 8 GiB/,
      ),
    ).toBeInTheDocument();
    expect(api.planVirtualMachineChange).toHaveBeenLastCalledWith(VM, {
      kind: 'resize',
      cpu: 4,
      memory: '20Gi',
    });
    await user.click(screen.getByRole('button', { name: 'Review' }));
    expect(
      (
        await screen.findAllByText(
          /^2 vCPU, 4 GiB → 4 vCPU, 20Gi cannot be asked for: ResourceQuota team-quota/,
        )
      ).length,
    ).toBeGreaterThan(0);
    expect(
      screen.queryByRole('button', { name: 'Create' }),
    ).not.toBeInTheDocument();

    await user.clear(memory);
    await user.type(memory, '8');
    await screen.findByText('This change fits the quota of team-web.');
    await user.click(screen.getByRole('button', { name: 'Review' }));
    expect(
      await screen.findByRole('button', { name: 'Create' }),
    ).toBeInTheDocument();
    expect(screen.getByText('2 vCPU, 4 GiB → 4 vCPU, 8Gi')).toBeInTheDocument();
  }, 30_000);

  it('asks for the VM first', async () => {
    const api = backend();
    await renderForm(resizeTemplate, api, {});
    expect(
      screen.getByText('Choose the virtual machine first.'),
    ).toBeInTheDocument();
    expect(api.listSizes).not.toHaveBeenCalled();
  });

  it('tells the template author who forgot the kind', async () => {
    const api = backend();
    await renderForm(resizeTemplateWith({ entityField: 'vm' }), api);
    expect(
      screen.getByText(
        'The template must set ui:options.kind of this field to resize, custom-size or add-disk (it is not set).',
      ),
    ).toBeInTheDocument();
    expect(api.planVirtualMachineChange).not.toHaveBeenCalled();
  });
});

describe('validateVirtualMachineChangePlan', () => {
  async function validate(
    value: string | undefined,
    formData: Parameters<
      typeof validateVirtualMachineChangePlan
    >[2]['formData'],
    options: Record<string, string> = { kind: 'resize' },
    api = backend(),
  ) {
    const validation = createFieldValidation();
    await validateVirtualMachineChangePlan(value as string, validation, {
      apiHolder: TestApiRegistry.from([kubevirtApiRef, api]),
      formData,
      schema: {},
      // A template's YAML may say anything; the validator checks `kind` itself.
      uiSchema: {
        'ui:options': options as VirtualMachineChangePlanFieldUiOptions,
      },
    });
    return { errors: validation.__errors ?? [], api };
  }

  it('accepts a size that fits, planned for the VM of the form', async () => {
    const { errors, api } = await validate('u1.medium', {
      vm: 'Component:default/web-frontend-1',
    });
    expect(errors).toEqual([]);
    expect(api.planVirtualMachineChange).toHaveBeenCalledWith(VM, {
      kind: 'resize',
      instancetype: 'u1.medium',
    });
  });

  it('refuses a change that does not fit, naming the quota', async () => {
    const { errors } = await validate(
      'planned',
      { target: { vm: VM }, disk: { name: 'logs', size: '40Gi' } },
      {
        kind: 'add-disk',
        entityField: 'target.vm',
        nameField: 'disk.name',
        sizeField: 'disk.size',
      },
    );
    expect(errors).toEqual([
      'new disk logs: 40 GiB of the default storage class cannot be asked for: ResourceQuota team-quota: requests.storage short by 20 GiB (needs 40 GiB, 20 GiB free)',
    ]);
  });

  it('names the quota rows that do not fit when the plan gives no reason', async () => {
    const api = backend();
    api.planVirtualMachineChange.mockResolvedValue(
      resizePlan({
        fits: false,
        quota: {
          ...resizePlan().quota,
          fits: false,
          rows: [{ ...resizePlan().quota.rows[0], after: '26Gi', fits: false }],
        },
      }),
    );
    const { errors } = await validate('u1.medium', { vm: VM }, undefined, api);
    expect(errors).toEqual([
      'u1.small (1 vCPU, 2 GiB) → u1.medium (1 vCPU, 4 GiB) cannot be asked for: requests.memory in team-quota would be 26Gi of 24Gi',
    ]);
  });

  it('says why it cannot check: no VM, a misconfigured template, a refusing backend', async () => {
    expect((await validate('u1.medium', {})).errors).toEqual([
      'Choose the virtual machine first: the change is checked against its quota.',
    ]);
    expect(
      (await validate('u1.medium', { vm: VM }, { kind: 'grow' })).errors,
    ).toEqual([
      'The template must set ui:options.kind of this field to resize, custom-size or add-disk (it is "grow").',
    ]);
    const refusing = backend();
    refusing.planVirtualMachineChange.mockRejectedValue(
      new Error(
        'You cannot plan this change to the virtual machine: Only members of group:default/team-web can change this VM',
      ),
    );
    expect(
      (await validate('u1.medium', { vm: VM }, undefined, refusing)).errors,
    ).toEqual([
      'Could not check this change: You cannot plan this change to the virtual machine: Only members of group:default/team-web can change this VM',
    ]);
  });

  it('leaves an unchosen size or an unfinished disk to the required fields', async () => {
    const { errors, api } = await validate(undefined, { vm: VM });
    expect(errors).toEqual([]);
    const disk = await validate(
      'planned',
      { vm: VM, name: 'logs' },
      { kind: 'add-disk' },
      api,
    );
    expect(disk.errors).toEqual([]);
    expect(api.planVirtualMachineChange).not.toHaveBeenCalled();
  });
});
