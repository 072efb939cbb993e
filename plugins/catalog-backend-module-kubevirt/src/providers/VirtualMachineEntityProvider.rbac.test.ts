import { randomBytes } from 'node:crypto';
import { KubernetesObject } from '@kubernetes/client-node';
import {
  adminKubeConfig,
  applyObjects,
  ClusterInfo,
  createTestNamespace,
  deleteTestNamespace,
  kubeRequest,
  testClusters,
} from '@vmportal/kube-testenv';
import {
  CatalogHarness,
  startCatalog,
  waitFor,
} from '../__testUtils__/catalogHarness';
import { applyVms, testVm } from '../__testUtils__/vms';

jest.setTimeout(120_000);

const runId = `kvr${randomBytes(2).toString('hex')}`;
let cluster: ClusterInfo;
let catalog: CatalogHarness | undefined;
const namespaces: string[] = [];

afterAll(async () => {
  await catalog?.stop();
  const kc = adminKubeConfig(cluster);
  await Promise.all(namespaces.map(ns => deleteTestNamespace(cluster, ns)));
  await kubeRequest(
    kc,
    'DELETE',
    `/apis/rbac.authorization.k8s.io/v1/clusterroles/${runId}-namespaces`,
  ).catch(() => undefined);
  await kubeRequest(
    kc,
    'DELETE',
    `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${runId}-namespaces`,
  ).catch(() => undefined);
});

/**
 * A service account that may read VirtualMachines in `allowed` only (Roles), and list
 * namespaces (so it sees the others and must skip them).
 */
async function limitedServiceAccount(
  home: string,
  allowed: string[],
  options: { listNamespaces: boolean },
): Promise<string> {
  const kc = adminKubeConfig(cluster);
  const subject = { kind: 'ServiceAccount', name: 'catalog', namespace: home };
  const objects: KubernetesObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'catalog', namespace: home },
    },
  ];
  if (options.listNamespaces) {
    objects.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: `${runId}-namespaces` },
        rules: [
          {
            apiGroups: [''],
            resources: ['namespaces'],
            verbs: ['get', 'list', 'watch'],
          },
        ],
      } as KubernetesObject,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `${runId}-namespaces` },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: `${runId}-namespaces`,
        },
        subjects: [subject],
      } as KubernetesObject,
    );
  }
  for (const ns of allowed) {
    objects.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'vm-reader', namespace: ns },
        rules: [
          {
            apiGroups: ['kubevirt.io'],
            resources: ['virtualmachines'],
            verbs: ['get', 'list', 'watch'],
          },
        ],
      } as KubernetesObject,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'vm-reader', namespace: ns },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Role',
          name: 'vm-reader',
        },
        subjects: [subject],
      } as KubernetesObject,
    );
  }
  await applyObjects(kc, objects);
  const token = await kubeRequest<{ status: { token: string } }>(
    kc,
    'POST',
    `/api/v1/namespaces/${home}/serviceaccounts/catalog/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    },
  );
  return token.status.token;
}

describe('VirtualMachineEntityProvider with a service account limited by RBAC', () => {
  beforeAll(() => {
    [cluster] = testClusters();
  });

  afterEach(async () => {
    await catalog?.stop();
    catalog = undefined;
  });

  it('ingests the namespaces it may read and skips the others with one warning each', async () => {
    const [a, b, forbidden] = await Promise.all(
      ['a', 'b', 'no'].map(s => createTestNamespace(cluster, `${runId}-${s}`)),
    );
    namespaces.push(a, b, forbidden);
    await applyVms(cluster, [
      testVm('vm-a', a),
      testVm('vm-b1', b),
      testVm('vm-b2', b),
      testVm('vm-hidden', forbidden),
    ]);
    const token = await limitedServiceAccount(a, [a, b], {
      listNamespaces: true,
    });

    catalog = await startCatalog({
      clusters: [{ ...cluster, tokenOverride: token }],
      providers: { test: { namespaces: { include: [`${runId}-*`] } } },
    });
    const ingested = await waitFor(
      'the VMs of the readable namespaces',
      async () => {
        const names = (await catalog!.entitiesIn([a, b, forbidden]))
          .map(e => e.metadata.title)
          .sort();
        return names.length === 3 ? names : undefined;
      },
    );
    expect(ingested.value).toEqual(['vm-a', 'vm-b1', 'vm-b2']);

    // A watch on a readable namespace delivers changes too.
    await applyVms(cluster, [testVm('vm-a2', a)]);
    await waitFor('vm-a2', async () =>
      (await catalog!.entitiesIn([a])).length === 2 ? true : undefined,
    );

    // A scheduled full sync tries again, still skips, and does not repeat warnings.
    await catalog.triggerScheduledSync();
    const warnings = catalog.logger.entries.filter(e => e.level === 'warn');
    expect(warnings.map(w => w.message)).toEqual([
      `Listing VirtualMachines in all namespaces of cluster '${cluster.name}' is forbidden; reading namespace by namespace instead (grant list/watch on virtualmachines cluster-wide to read them in one go)`,
      `Skipping namespace '${forbidden}' on cluster '${cluster.name}': listing its VirtualMachines is forbidden. Grant list/watch on virtualmachines there, or exclude it in namespaces.exclude`,
    ]);
    expect(warnings[1].meta).toMatchObject({
      cluster: cluster.name,
      namespace: forbidden,
      target: 'kubevirt-provider:test',
    });
    const after = await catalog.entitiesIn([a, b, forbidden]);
    expect(after.map(e => e.metadata.title).sort()).toEqual([
      'vm-a',
      'vm-a2',
      'vm-b1',
      'vm-b2',
    ]);
  });

  it('reads the namespaces config names when it may list neither VMs everywhere nor namespaces', async () => {
    const [a, b, forbidden] = await Promise.all(
      ['la', 'lb', 'lno'].map(s =>
        createTestNamespace(cluster, `${runId}-${s}`),
      ),
    );
    namespaces.push(a, b, forbidden);
    await applyVms(cluster, [
      testVm('vm-a', a),
      testVm('vm-b', b),
      testVm('vm-hidden', forbidden),
    ]);
    const token = await limitedServiceAccount(a, [a, b], {
      listNamespaces: false,
    });
    catalog = await startCatalog({
      clusters: [{ ...cluster, tokenOverride: token }],
      providers: { test: { namespaces: { include: [a, b, forbidden] } } },
    });
    const ingested = await waitFor(
      'the VMs of the readable namespaces',
      async () => {
        const names = (await catalog!.entitiesIn([a, b, forbidden]))
          .map(e => e.metadata.title)
          .sort();
        return names.length === 2 ? names : undefined;
      },
    );
    expect(ingested.value).toEqual(['vm-a', 'vm-b']);
    await catalog.triggerScheduledSync();
    expect(
      catalog.logger.entries
        .filter(e => e.level === 'warn')
        .map(w => w.message),
    ).toEqual([
      `Cannot list namespaces on cluster '${cluster.name}' (forbidden): namespace owner labels are not read, and without a cluster-wide VM list only the names in namespaces.include are read. Grant get/list/watch on namespaces to fix`,
      `Skipping namespace '${forbidden}' on cluster '${cluster.name}': listing its VirtualMachines is forbidden. Grant list/watch on virtualmachines there, or exclude it in namespaces.exclude`,
    ]);
  });
});
