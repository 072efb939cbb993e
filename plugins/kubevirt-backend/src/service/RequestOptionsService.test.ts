import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  ClusterInfo,
  createTestNamespace,
  deleteTestNamespace,
  testClusters,
} from '@vmportal/kube-testenv';
import {
  DefaultKubevirtClustersService,
  readKubevirtRequestsConfig,
} from '@vmportal/plugin-kubevirt-node';
import {
  applyAsAdmin,
  clustersConfig,
} from '../__testUtils__/testVirtualMachines';
import { osImageOf, RequestOptionsService } from './RequestOptionsService';

jest.setTimeout(120_000);

let cluster: ClusterInfo;
let service: RequestOptionsService;
let teamA: string;
let teamAQuiet: string;
let mapped: string;
let otherTeam: string;
let images: string;
const team = `opts-${Math.random().toString(16).slice(2, 8)}`;

beforeAll(async () => {
  cluster = testClusters()[0];
  teamA = await createTestNamespace(cluster, 'opts-a', {
    'vmportal.io/owner': team,
  });
  teamAQuiet = await createTestNamespace(cluster, 'opts-b', {
    'vmportal.io/owner': team,
  });
  mapped = await createTestNamespace(cluster, 'opts-m');
  otherTeam = await createTestNamespace(cluster, 'opts-o', {
    'vmportal.io/owner': `${team}-other`,
  });
  images = await createTestNamespace(cluster, 'opts-img');
  const config = new ConfigReader({
    ...clustersConfig([cluster]),
    kubevirt: {
      ...clustersConfig([cluster]).kubevirt,
      requests: {
        namespaceOwners: {
          [`${cluster.name}/${mapped}`]: `group:default/${team}`,
        },
        osImageNamespaces: [images],
      },
    },
  });
  service = RequestOptionsService.create({
    clusters: DefaultKubevirtClustersService.fromConfig(config, {
      logger: mockServices.logger.mock(),
    }),
    requests: readKubevirtRequestsConfig(config),
  });
  await applyAsAdmin(cluster, [
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'team-quota', namespace: teamA },
      spec: {
        hard: {
          'requests.memory': '16Gi',
          'count/virtualmachines.kubevirt.io': '5',
        },
      },
    },
    {
      apiVersion: 'aaq.kubevirt.io/v1alpha1',
      kind: 'ApplicationAwareResourceQuota',
      metadata: { name: 'team-vms', namespace: teamA },
      spec: { hard: { 'requests.memory': '64Gi' } },
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'fedora-41-import', namespace: images },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '5Gi' } },
      },
    },
    {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataImportCron',
      metadata: { name: 'fedora-image-cron', namespace: images },
      spec: {
        managedDataSource: 'fedora',
        schedule: '0 */12 * * *',
        template: {
          spec: {
            source: {
              registry: { url: 'docker://quay.io/containerdisks/fedora:41' },
            },
            storage: { resources: { requests: { storage: '5Gi' } } },
          },
        },
      },
    },
    {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataSource',
      metadata: {
        name: 'fedora',
        namespace: images,
        labels: {
          'cdi.kubevirt.io/dataImportCron': 'fedora-image-cron',
          'instancetype.kubevirt.io/default-instancetype': 'u1.small',
          'instancetype.kubevirt.io/default-preference': 'fedora',
        },
      },
      spec: {
        source: { pvc: { name: 'fedora-41-import', namespace: images } },
      },
    },
    {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataSource',
      metadata: { name: 'custom-appliance', namespace: images },
      spec: { source: { pvc: { name: 'not-there', namespace: images } } },
    },
  ] as any);
});

afterAll(async () => {
  for (const ns of [teamA, teamAQuiet, mapped, otherTeam, images]) {
    await deleteTestNamespace(cluster, ns);
  }
});

describe('RequestOptionsService against a real apiserver', () => {
  it("lists the namespaces an owner owns by label and by config, with their quota, and no one else's", async () => {
    const owned = await service.ownedNamespaces(
      cluster.name,
      `group:default/${team}`,
    );
    expect(owned.map(ns => ns.namespace)).toEqual(
      [teamA, teamAQuiet, mapped].sort(),
    );
    const withQuota = owned.find(ns => ns.namespace === teamA)!;
    // ResourceQuotas, then Application Aware Quota's.
    expect(
      withQuota.quotas.map(q => [q.quotaKind, q.quota, q.resource, q.hard]),
    ).toEqual([
      [undefined, 'team-quota', 'count/virtualmachines.kubevirt.io', '5'],
      [undefined, 'team-quota', 'requests.memory', '16Gi'],
      ['ApplicationAwareResourceQuota', 'team-vms', 'requests.memory', '64Gi'],
    ]);
    // A bare group name means the default namespace, as the label does.
    expect(
      (await service.ownedNamespaces(cluster.name, team)).map(
        ns => ns.namespace,
      ),
    ).toEqual([teamA, teamAQuiet, mapped].sort());
    expect(
      await service.ownedNamespaces(cluster.name, 'group:default/nobody-here'),
    ).toEqual([]);
  });

  it('names an image by its OS and version, once', () => {
    const image = (preferenceTitle: string, tag: string) =>
      osImageOf(
        {
          metadata: {
            name: 'img',
            namespace: 'os',
            labels: { 'instancetype.kubevirt.io/default-preference': 'p' },
          },
          spec: { source: { pvc: { name: 'img-pvc' } } },
        },
        {
          cron: {
            metadata: { name: 'img-cron' },
            spec: {
              template: {
                spec: {
                  source: { registry: { url: `docker://r/img:${tag}` } },
                },
              },
            },
          },
          preferenceTitle: () => preferenceTitle,
        },
      ).title;
    expect(image('Fedora (amd64)', '41')).toBe('Fedora 41');
    expect(image('CentOS Stream 9', '9')).toBe('CentOS Stream 9');
    expect(image('Ubuntu', '24.04')).toBe('Ubuntu 24.04');
  });

  it('refuses an owner that is not a group, naming the fix', async () => {
    await expect(
      service.ownedNamespaces(cluster.name, 'user:default/ada'),
    ).rejects.toThrow(
      new InputError(
        "owner 'user:default/ada' is a user; give the owning group, e.g. group:default/team-web",
      ),
    );
  });

  it('lists golden images with OS, version, default size and readiness', async () => {
    const found = await service.osImages(cluster.name);
    const fedora = found.find(image => image.name === 'fedora')!;
    const appliance = found.find(image => image.name === 'custom-appliance')!;
    expect(found).toHaveLength(2);
    expect(fedora).toMatchObject({
      namespace: images,
      title: 'Fedora 41',
      os: 'Fedora',
      version: '41',
      defaultInstancetype: 'u1.small',
      defaultPreference: 'fedora',
      size: '5Gi',
    });
    // Its source claim does not exist: not ready, saying why; ready ones come first.
    expect(appliance).toMatchObject({
      title: 'custom-appliance',
      namespace: images,
      ready: false,
      notReadyReason: expect.any(String),
    });
    expect(appliance.os).toBeUndefined();
    expect(appliance.size).toBeUndefined();
    expect(found.map(image => image.ready)).toEqual(
      [...found.map(image => image.ready)].sort(
        (a, b) => Number(b) - Number(a),
      ),
    );
  });
});
