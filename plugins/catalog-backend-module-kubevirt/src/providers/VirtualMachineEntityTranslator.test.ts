import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import {
  KUBEVIRT_ANNOTATIONS,
  KUBEVIRT_ENTITY_LABELS,
  VirtualMachine,
  VirtualMachineInstancetype,
} from '@vmportal/plugin-kubevirt-common';
import { KubeNamespace } from '@vmportal/plugin-kubevirt-node';
import { validateEntity } from '../__testUtils__/validateEntity';
import { VirtualMachineEntityTranslator } from './VirtualMachineEntityTranslator';
import { readVirtualMachineEntityProviderConfigs } from './VirtualMachineEntityProviderConfig';

function config(provider: object = {}) {
  return readVirtualMachineEntityProviderConfigs(
    new ConfigReader({
      catalog: { providers: { kubevirt: { test: provider } } },
    }),
  )[0];
}

function translator(provider: object = {}) {
  const logger = mockServices.logger.mock();
  return {
    logger,
    translator: new VirtualMachineEntityTranslator(config(provider), logger),
  };
}

const u1medium: VirtualMachineInstancetype = {
  metadata: {
    name: 'u1.medium',
    labels: { 'instancetype.kubevirt.io/size': 'medium' },
  },
  spec: { cpu: { guest: 1 }, memory: { guest: '4Gi' } },
};

function vm(
  name: string,
  namespace: string,
  overrides: Partial<VirtualMachine['metadata']> = {},
  spec: VirtualMachine['spec'] = {
    runStrategy: 'Always',
    template: {
      spec: {
        domain: {
          cpu: { cores: 2, sockets: 1, threads: 1 },
          memory: { guest: '3072Mi' },
          devices: {
            disks: [
              { name: 'rootdisk' },
              { name: 'data' },
              { name: 'cloudinitdisk' },
            ],
          },
        },
        volumes: [
          {
            name: 'rootdisk',
            containerDisk: { image: 'quay.io/containerdisks/centos-stream:9' },
          },
          { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
          { name: 'cloudinitdisk', cloudInitNoCloud: { userData: '' } },
        ],
      },
    },
  },
): VirtualMachine {
  return {
    metadata: { name, namespace, uid: 'uid-1', ...overrides },
    spec,
  };
}

function ns(name: string, labels: Record<string, string> = {}): KubeNamespace {
  return { metadata: { name, labels } };
}

const context = (namespace?: KubeNamespace) => ({
  cluster: 'east',
  namespace,
  clusterInstancetypes: new Map([[u1medium.metadata.name, u1medium]]),
});

describe('VirtualMachineEntityTranslator', () => {
  it('makes a valid virtual-machine Component the Kubernetes tab can find', async () => {
    const { translator: t } = translator();
    const entity = t.toEntity(
      vm('web-1', 'team-web', {
        annotations: { 'vmportal.io/description': 'Front end' },
      }),
      context(ns('team-web', { 'vmportal.io/owner': 'team-web' })),
    );
    await expect(validateEntity(entity)).resolves.toBe(true);
    expect(entity).toMatchObject({
      kind: 'Component',
      metadata: {
        name: 'web-1.team-web.east',
        title: 'web-1',
        description: 'Front end',
        annotations: {
          'backstage.io/managed-by-location': 'kubevirt:east/team-web/web-1',
          'backstage.io/managed-by-origin-location':
            'kubevirt:east/team-web/web-1',
          'backstage.io/kubernetes-label-selector': 'vmi.kubevirt.io/id=web-1',
          'backstage.io/kubernetes-namespace': 'team-web',
          'backstage.io/kubernetes-cluster': 'east',
          [KUBEVIRT_ANNOTATIONS.cluster]: 'east',
          [KUBEVIRT_ANNOTATIONS.namespace]: 'team-web',
          [KUBEVIRT_ANNOTATIONS.name]: 'web-1',
          [KUBEVIRT_ANNOTATIONS.uid]: 'uid-1',
        },
        labels: {
          [KUBEVIRT_ENTITY_LABELS.cluster]: 'east',
          [KUBEVIRT_ENTITY_LABELS.namespace]: 'team-web',
          [KUBEVIRT_ENTITY_LABELS.runStrategy]: 'Always',
          [KUBEVIRT_ENTITY_LABELS.vcpu]: '2',
          [KUBEVIRT_ENTITY_LABELS.memory]: '3Gi',
          [KUBEVIRT_ENTITY_LABELS.os]: 'centos-stream',
          [KUBEVIRT_ENTITY_LABELS.disks]: '2',
        },
        tags: ['centos-stream'],
      },
      spec: {
        type: 'virtual-machine',
        lifecycle: 'production',
        owner: 'group:default/team-web',
      },
    });
    expect(entity.metadata.labels).not.toHaveProperty(
      KUBEVIRT_ENTITY_LABELS.instancetype,
    );
    expect(entity.spec).not.toHaveProperty('system');
  });

  it('takes size from the cluster instancetype and the OS from the preference', () => {
    const { translator: t } = translator();
    const entity = t.toEntity(
      vm(
        'db',
        'team-data',
        {},
        {
          running: false,
          instancetype: { name: 'u1.medium' },
          preference: { name: 'rhel.9' },
        },
      ),
      context(),
    );
    expect(entity.metadata.labels).toEqual(
      expect.objectContaining({
        [KUBEVIRT_ENTITY_LABELS.runStrategy]: 'Halted',
        [KUBEVIRT_ENTITY_LABELS.instancetype]: 'u1.medium',
        [KUBEVIRT_ENTITY_LABELS.series]: 'u1',
        [KUBEVIRT_ENTITY_LABELS.size]: 'medium',
        [KUBEVIRT_ENTITY_LABELS.vcpu]: '1',
        [KUBEVIRT_ENTITY_LABELS.memory]: '4Gi',
        [KUBEVIRT_ENTITY_LABELS.os]: 'rhel.9',
      }),
    );
    expect(entity.metadata.tags).toEqual(['rhel-9']);
  });

  it.each([
    ['1.5Gi', '1500m', '1536Mi', '2'],
    ['4096Mi', '2', '4Gi', '2'],
    ['1G', '250m', '1000000000', '1'],
  ])(
    'labels memory %s in the largest binary unit that divides it and CPU %s as whole vCPUs',
    (memory, cpu, memoryLabel, vcpuLabel) => {
      const { translator: t } = translator();
      const entity = t.toEntity(
        vm(
          'sized',
          'team-web',
          {},
          {
            template: {
              spec: {
                domain: {
                  resources: { requests: { cpu, memory } },
                  devices: {},
                },
              },
            },
          },
        ),
        context(),
      );
      expect(entity.metadata.labels).toEqual(
        expect.objectContaining({
          [KUBEVIRT_ENTITY_LABELS.memory]: memoryLabel,
          [KUBEVIRT_ENTITY_LABELS.vcpu]: vcpuLabel,
        }),
      );
    },
  );

  it('does not put the fast-changing status in the entity', () => {
    const { translator: t } = translator();
    const base = vm('web-1', 'team-web');
    const running = t.toEntity(
      { ...base, status: { printableStatus: 'Running', ready: true } },
      context(),
    );
    const starting = t.toEntity(
      { ...base, status: { printableStatus: 'Starting' } },
      context(),
    );
    expect(running).toEqual(starting);
  });

  describe('owner', () => {
    it('prefers the VM label, then the VM annotation, then the namespace, then config', () => {
      const { translator: t } = translator({
        owner: { namespaces: { 'team-x': 'group:ops/team-x' } },
      });
      const owner = (
        labels: Record<string, string>,
        annotations: Record<string, string>,
        namespace: KubeNamespace | undefined,
        namespaceName = 'team-web',
      ) =>
        t.toEntity(vm('a', namespaceName, { labels, annotations }), {
          ...context(namespace),
        }).spec.owner;
      const nsOwned = ns('team-web', { 'vmportal.io/owner': 'web' });
      expect(
        owner(
          { 'vmportal.io/owner': 'label-team' },
          { 'vmportal.io/owner': 'group:default/annotation-team' },
          nsOwned,
        ),
      ).toBe('group:default/label-team');
      expect(
        owner(
          {},
          { 'vmportal.io/owner': 'group:finance/annotation-team' },
          nsOwned,
        ),
      ).toBe('group:finance/annotation-team');
      expect(owner({}, {}, nsOwned)).toBe('group:default/web');
      expect(
        owner(
          {},
          {},
          {
            metadata: {
              name: 'team-web',
              annotations: { 'vmportal.io/owner': 'default/ns-annotated' },
            },
          },
        ),
      ).toBe('group:default/ns-annotated');
      expect(owner({}, {}, undefined, 'team-x')).toBe('group:ops/team-x');
      expect(owner({}, {}, undefined)).toBe('group:default/platform');
    });

    it('honours configured keys and default', () => {
      const { translator: t } = translator({
        owner: {
          label: 'example.com/team',
          annotation: false,
          default: 'vm-admins',
        },
      });
      const entity = t.toEntity(
        vm('a', 'n', {
          labels: { 'example.com/team': 'blue' },
          annotations: { 'vmportal.io/owner': 'ignored' },
        }),
        context(),
      );
      expect(entity.spec.owner).toBe('group:default/blue');
      expect(
        t.toEntity(
          vm('b', 'n', { annotations: { 'vmportal.io/owner': 'ignored' } }),
          context(),
        ).spec.owner,
      ).toBe('group:default/vm-admins');
    });

    it('falls back from an invalid value and warns once per VM and value, naming the fix', () => {
      const { translator: t, logger } = translator();
      const bad = vm('legacy', 'team-web', {
        annotations: { 'vmportal.io/owner': 'user:default/alice' },
      });
      const namespace = ns('team-web', { 'vmportal.io/owner': 'team-web' });
      for (let i = 0; i < 3; i++) {
        expect(t.toEntity(bad, context(namespace)).spec.owner).toBe(
          'group:default/team-web',
        );
      }
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn.mock.calls[0][0]).toBe(
        "VirtualMachine east/team-web/legacy: annotation vmportal.io/owner 'user:default/alice' is not a valid group reference; set it to a group name such as team-web (labels cannot hold more) or, in an annotation, a reference such as group:default/team-web. Using group:default/team-web (from namespace label vmportal.io/owner) meanwhile",
      );
      expect(logger.warn.mock.calls[0][1]).toEqual({
        cluster: 'east',
        namespace: 'team-web',
        virtualMachine: 'legacy',
        source: 'annotation vmportal.io/owner',
        value: 'user:default/alice',
      });

      // Another value on the same VM, or the same value on another VM, is new.
      t.toEntity(
        vm('legacy', 'team-web', {
          annotations: { 'vmportal.io/owner': 'Not A Ref!' },
        }),
        context(namespace),
      );
      t.toEntity(
        vm('other', 'team-web', {
          annotations: { 'vmportal.io/owner': 'user:default/alice' },
        }),
        context(namespace),
      );
      expect(logger.warn).toHaveBeenCalledTimes(3);
    });

    it('falls back to the default when every source is invalid', () => {
      const { translator: t, logger } = translator();
      const entity = t.toEntity(
        vm('x', 'n', { annotations: { 'vmportal.io/owner': ':::' } }),
        context(ns('n', { 'vmportal.io/owner': '-bad-' })),
      );
      expect(entity.spec.owner).toBe('group:default/platform');
      expect(logger.warn).toHaveBeenCalledTimes(2);
      expect(logger.warn.mock.calls[1][0]).toContain(
        'Using group:default/platform (from the configured default)',
      );
    });
  });

  it('maps system and lifecycle from labels, the namespace and defaults', () => {
    const { translator: t } = translator({
      lifecycle: { default: 'experimental' },
      system: { default: 'shared' },
    });
    const labelled = t.toEntity(
      vm('a', 'n', {
        labels: {
          'vmportal.io/system': 'payments',
          'vmportal.io/lifecycle': 'deprecated',
        },
      }),
      context(),
    );
    expect(labelled.spec).toMatchObject({
      system: 'system:default/payments',
      lifecycle: 'deprecated',
    });
    const fromNamespace = t.toEntity(
      vm('b', 'n'),
      context(ns('n', { 'vmportal.io/lifecycle': 'production' })),
    );
    expect(fromNamespace.spec).toMatchObject({
      system: 'system:default/shared',
      lifecycle: 'production',
    });
    expect(t.toEntity(vm('c', 'n'), context()).spec.lifecycle).toBe(
      'experimental',
    );
  });

  it('selects the launcher pod by the label KubeVirt sets', () => {
    const long = 'a'.repeat(70);
    const { translator: byId } = translator();
    expect(
      byId.toEntity(vm(long, 'n'), context()).metadata.annotations?.[
        'backstage.io/kubernetes-label-selector'
      ],
    ).toBe(`vmi.kubevirt.io/id=${'a'.repeat(54)}-ed6c69d9`);
    const { translator: byName } = translator({
      launcherPodLabel: 'vm.kubevirt.io/name',
    });
    const withHostname = vm('web.1', 'n');
    withHostname.spec.template!.spec!.hostname = 'frontend';
    expect(
      byName.toEntity(withHostname, context()).metadata.annotations?.[
        'backstage.io/kubernetes-label-selector'
      ],
    ).toBe('vm.kubevirt.io/name=frontend');
    expect(
      byName.toEntity(vm('web.1', 'n'), context()).metadata.annotations?.[
        'backstage.io/kubernetes-label-selector'
      ],
    ).toBe('vm.kubevirt.io/name=web');
  });

  it('fills link templates', () => {
    const { translator: t } = translator({
      links: [
        {
          title: 'Console',
          url: 'https://console.example.com/{cluster}/ns/{namespace}/vm/{name}',
          icon: 'dashboard',
        },
      ],
    });
    expect(t.toEntity(vm('a', 'n'), context()).metadata.links).toEqual([
      {
        title: 'Console',
        url: 'https://console.example.com/east/ns/n/vm/a',
        icon: 'dashboard',
      },
    ]);
  });
});
