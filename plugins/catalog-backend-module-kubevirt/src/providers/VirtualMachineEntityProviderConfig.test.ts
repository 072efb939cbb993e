import { ConfigReader } from '@backstage/config';
import { readVirtualMachineEntityProviderConfigs } from './VirtualMachineEntityProviderConfig';

function read(provider: unknown, id = 'main') {
  return readVirtualMachineEntityProviderConfigs(
    new ConfigReader({
      catalog: { providers: { kubevirt: { [id]: provider } } },
    } as never),
  );
}

describe('readVirtualMachineEntityProviderConfigs', () => {
  it('returns no providers without config', () => {
    expect(
      readVirtualMachineEntityProviderConfigs(new ConfigReader({})),
    ).toEqual([]);
  });

  it('fills in the documented defaults', () => {
    expect(read({})).toEqual([
      {
        id: 'main',
        clusters: undefined,
        namespaces: { include: [], exclude: [] },
        labelSelector: undefined,
        owner: {
          label: 'vmportal.io/owner',
          annotation: 'vmportal.io/owner',
          namespaceLabel: 'vmportal.io/owner',
          namespaceAnnotation: 'vmportal.io/owner',
          namespaces: {},
          default: 'group:default/platform',
        },
        system: {
          label: 'vmportal.io/system',
          annotation: 'vmportal.io/system',
          namespaceLabel: 'vmportal.io/system',
          default: undefined,
        },
        lifecycle: {
          label: 'vmportal.io/lifecycle',
          namespaceLabel: 'vmportal.io/lifecycle',
          default: 'production',
        },
        launcherPodLabel: 'vmi.kubevirt.io/id',
        links: [],
        schedule: {
          frequency: { minutes: 30 },
          timeout: { minutes: 10 },
          scope: 'local',
        },
      },
    ]);
  });

  it('normalises owner refs and reads the schedule', () => {
    const [config] = read({
      clusters: ['east'],
      namespaces: { include: ['team-*'], exclude: ['team-sandbox'] },
      labelSelector: 'vmportal.io/catalog!=skip',
      owner: {
        namespaces: { 'team-web': 'web', legacy: 'group:ops/legacy' },
        default: 'default/vm-admins',
      },
      schedule: { frequency: { minutes: 5 }, timeout: { minutes: 2 } },
    });
    expect(config.owner.namespaces).toEqual({
      'team-web': 'group:default/web',
      legacy: 'group:ops/legacy',
    });
    expect(config.owner.default).toBe('group:default/vm-admins');
    expect(config.schedule).toMatchObject({
      frequency: { minutes: 5 },
      timeout: { minutes: 2 },
    });
    expect(config.namespaces).toEqual({
      include: ['team-*'],
      exclude: ['team-sandbox'],
    });
  });

  it.each([
    [
      { owner: { default: 'user:default/alice' } },
      "catalog.providers.kubevirt.main.owner.default 'user:default/alice' is not a valid group reference; use a group name such as platform or a reference such as group:default/platform",
    ],
    [
      { owner: { namespaces: { 'team-web': 'Team Web' } } },
      "catalog.providers.kubevirt.main.owner.namespaces.team-web 'Team Web' is not a valid group reference",
    ],
    [
      { owner: { label: 'not a key!' } },
      "catalog.providers.kubevirt.main.owner.label 'not a key!' is not a valid label or annotation key; use a key such as vmportal.io/owner, or false to ignore it",
    ],
    [
      { namespaces: { include: ['Team_Web'] } },
      "catalog.providers.kubevirt.main.namespaces.include[0] 'Team_Web' is not a namespace name or glob",
    ],
    [
      { lifecycle: { default: 'in production' } },
      "catalog.providers.kubevirt.main.lifecycle.default 'in production' is not a valid lifecycle",
    ],
    [
      { system: { default: 'group:default/x' } },
      "catalog.providers.kubevirt.main.system.default 'group:default/x' is not a valid system reference",
    ],
    [
      { launcherPodLabel: 'kubevirt.io/domain' },
      "catalog.providers.kubevirt.main.launcherPodLabel is 'kubevirt.io/domain'; use vmi.kubevirt.io/id (KubeVirt 1.9 and later) or vm.kubevirt.io/name (older KubeVirt)",
    ],
    [
      { links: [{ title: 'x', url: 'console/{name}' }] },
      "catalog.providers.kubevirt.main.links[0].url 'console/{name}' is not an http(s) URL template",
    ],
    [
      { schedule: { frequency: 'often' } },
      'catalog.providers.kubevirt.main.schedule is invalid',
    ],
  ])(
    'fails at start-up naming the key and the fix: %j',
    (provider, message) => {
      expect(() => read(provider)).toThrow(message);
    },
  );

  it('stops start-up on the old key, naming the new one', () => {
    expect(() =>
      readVirtualMachineEntityProviderConfigs(
        new ConfigReader({
          kubevirt: { catalog: { providers: { demo: {} } } },
        }),
      ),
    ).toThrow(
      'kubevirt.catalog.providers is no longer read; move its providers to catalog.providers.kubevirt',
    );
  });

  it('refuses a provider id the catalog cannot use as a name', () => {
    expect(() => read({}, 'Demo_1')).toThrow(
      "catalog.providers.kubevirt.Demo_1: the provider id 'Demo_1' must be lowercase letters, digits and dashes",
    );
  });
});
