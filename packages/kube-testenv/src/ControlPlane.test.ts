import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import {
  ClusterInfo,
  startApiserver,
  stopApiserver,
  waitUntil,
} from './ControlPlane';
import {
  applyObjects,
  KubeRequestError,
  kubeConfigFor,
  kubeRequest,
} from './kubeClient';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteTestNamespace,
  startPrivateControlPlane,
  testClusters,
} from './testing';

jest.setTimeout(120_000);

let cluster: ClusterInfo;
let kc: KubeConfig;
let namespace: string;

beforeAll(async () => {
  [cluster] = testClusters();
  kc = adminKubeConfig(cluster);
  namespace = await createTestNamespace(cluster, 'cp');
});

afterAll(async () => {
  await deleteTestNamespace(cluster, namespace);
});

function vm(name: string, spec: object): KubernetesObject {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace },
    spec,
  } as KubernetesObject;
}

const validSpec = {
  runStrategy: 'Halted',
  template: {
    spec: {
      domain: { cpu: { cores: 1 }, memory: { guest: '1Gi' }, devices: {} },
    },
  },
};

async function status(
  promise: Promise<unknown>,
): Promise<{ status: number; message: string }> {
  try {
    await promise;
    return { status: 200, message: '' };
  } catch (error) {
    if (error instanceof KubeRequestError)
      return { status: error.status, message: error.message };
    throw error;
  }
}

describe('the control plane', () => {
  it("refuses a VirtualMachine that KubeVirt's CRD schema rejects, naming the field", async () => {
    const result = await status(
      kubeRequest(
        kc,
        'POST',
        `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines`,
        {
          ...vm('bad-cores', {
            ...validSpec,
            template: {
              spec: { domain: { cpu: { cores: 'two' }, devices: {} } },
            },
          }),
        },
      ),
    );
    expect(result.status).toBe(422);
    expect(result.message).toContain('spec.template.spec.domain.cpu.cores');

    const missing = await status(
      kubeRequest(
        kc,
        'POST',
        `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines`,
        {
          ...vm('no-template', { runStrategy: 'Halted' }),
        },
      ),
    );
    expect(missing.status).toBe(422);
    expect(missing.message).toContain('spec.template: Required value');
  });

  it('answers a server-side dry-run without storing the VM', async () => {
    const created = await kubeRequest<KubernetesObject>(
      kc,
      'POST',
      `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines?dryRun=All`,
      vm('dry', validSpec),
    );
    expect(created.metadata?.name).toBe('dry');
    const read = await status(
      kubeRequest(
        kc,
        'GET',
        `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/dry`,
      ),
    );
    expect(read.status).toBe(404);
  });

  it('answers 410 Gone to a watch resumed from a compacted resourceVersion', async () => {
    // Restarting an apiserver would disturb the tests sharing the common one.
    const plane = await startPrivateControlPlane();
    try {
      const [own] = plane.clusters;
      const ownKc = kubeConfigFor(own);
      const [first] = await applyObjects(ownKc, [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'rv', namespace: 'default' },
          data: { n: '0' },
        } as KubernetesObject,
      ]);
      const oldVersion = first.metadata!.resourceVersion!;
      let latest = oldVersion;
      for (let n = 1; n <= 5; n++) {
        const [updated] = await applyObjects(ownKc, [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'rv', namespace: 'default' },
            data: { n: String(n) },
          } as KubernetesObject,
        ]);
        latest = updated.metadata!.resourceVersion!;
      }
      // Compact etcd up to the latest revision, as the apiserver's periodic compaction would.
      const response = await fetch(`${own.etcdUrl}/v3/kv/compaction`, {
        method: 'POST',
        body: JSON.stringify({ revision: latest, physical: true }),
      });
      expect(response.status).toBe(200);

      // The watch cache still holds those events; an apiserver restart (an upgrade, a
      // failover) starts it afresh from etcd, where they are compacted away.
      await stopApiserver(plane.dir, own.name);
      await startApiserver(plane.dir, own.name);

      const events = await kubeRequest<unknown>(
        ownKc,
        'GET',
        `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${oldVersion}&timeoutSeconds=5`,
      );
      // A watch answers 200 and reports expiry as an ERROR event with code 410.
      // One event is parsed as JSON already; several arrive as lines of text.
      const event =
        typeof events === 'string'
          ? JSON.parse(events.trim().split('\n')[0])
          : events;
      expect(event).toMatchObject({
        type: 'ERROR',
        object: { kind: 'Status', code: 410, reason: 'Expired' },
      });
      expect(event.object.message).toContain(
        `too old resource version: ${oldVersion}`,
      );
    } finally {
      await plane.stop();
    }
  });

  it('forbids a service account limited to some namespaces everywhere else', async () => {
    const other = await createTestNamespace(cluster, 'cp-other');
    try {
      await applyObjects(kc, [
        {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'limited', namespace },
        } as KubernetesObject,
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'vm-reader', namespace },
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
          metadata: { name: 'vm-reader', namespace },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'Role',
            name: 'vm-reader',
          },
          subjects: [{ kind: 'ServiceAccount', name: 'limited', namespace }],
        } as KubernetesObject,
      ]);
      const tokenRequest = await kubeRequest<{ status: { token: string } }>(
        kc,
        'POST',
        `/api/v1/namespaces/${namespace}/serviceaccounts/limited/token`,
        {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 600 },
        },
      );
      const limited = kubeConfigFor(
        { ...cluster, token: tokenRequest.status.token },
        'limited',
      );

      const own = await status(
        kubeRequest(
          limited,
          'GET',
          `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines`,
        ),
      );
      expect(own.status).toBe(200);
      const elsewhere = await status(
        kubeRequest(
          limited,
          'GET',
          `/apis/kubevirt.io/v1/namespaces/${other}/virtualmachines`,
        ),
      );
      expect(elsewhere.status).toBe(403);
      expect(elsewhere.message).toContain(
        `system:serviceaccount:${namespace}:limited" cannot list resource "virtualmachines"`,
      );
      const clusterWide = await status(
        kubeRequest(limited, 'GET', '/apis/kubevirt.io/v1/virtualmachines'),
      );
      expect(clusterWide.status).toBe(403);
    } finally {
      await deleteTestNamespace(cluster, other);
    }
  });
});

/** The Kubernetes plugin's built-in object types (its `ALL_OBJECTS`): where each lists. */
const KUBERNETES_PLUGIN_OBJECT_TYPES: Record<string, string> = {
  pods: '/api/v1/namespaces/NS/pods',
  services: '/api/v1/namespaces/NS/services',
  configmaps: '/api/v1/namespaces/NS/configmaps',
  limitranges: '/api/v1/namespaces/NS/limitranges',
  resourcequotas: '/api/v1/namespaces/NS/resourcequotas',
  deployments: '/apis/apps/v1/namespaces/NS/deployments',
  replicasets: '/apis/apps/v1/namespaces/NS/replicasets',
  statefulsets: '/apis/apps/v1/namespaces/NS/statefulsets',
  daemonsets: '/apis/apps/v1/namespaces/NS/daemonsets',
  horizontalpodautoscalers:
    '/apis/autoscaling/v2/namespaces/NS/horizontalpodautoscalers',
  jobs: '/apis/batch/v1/namespaces/NS/jobs',
  cronjobs: '/apis/batch/v1/namespaces/NS/cronjobs',
  ingresses: '/apis/networking.k8s.io/v1/namespaces/NS/ingresses',
};

/** What the demo's Kubernetes plugin fetches for an entity (app-config.yaml). */
function kubernetesPluginConfig(): {
  objectTypes: string[];
  customResources: Array<{ group: string; apiVersion: string; plural: string }>;
} {
  const appConfig = parse(
    // eslint-disable-next-line no-restricted-syntax
    readFileSync(join(__dirname, '..', '..', '..', 'app-config.yaml'), 'utf8'),
  );
  return {
    objectTypes: appConfig.kubernetes?.objectTypes ?? [],
    customResources: appConfig.kubernetes?.customResources ?? [],
  };
}

describe("the portal's two credentials (deploy/rbac/vmportal-rbac.yaml)", () => {
  let reader: KubeConfig;
  let actor: KubeConfig;
  const vmPath = (name: string) =>
    `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/${name}`;
  const startPath = (name: string) =>
    `/apis/subresources.kubevirt.io/v1/namespaces/${namespace}/virtualmachines/${name}/start`;

  beforeAll(async () => {
    reader = kubeConfigFor(
      { ...cluster, token: cluster.readerToken },
      'vmportal-reader',
    );
    actor = kubeConfigFor(
      { ...cluster, token: cluster.actorToken },
      'vmportal-actor',
    );
    await applyObjects(kc, [vm('owned-by-web', validSpec)]);
  });

  it('lets the reader list everything the Kubernetes plugin is configured to fetch', async () => {
    const { objectTypes, customResources } = kubernetesPluginConfig();
    expect(objectTypes).toContain('pods');
    expect(customResources.map(c => c.plural)).toEqual(
      expect.arrayContaining([
        'virtualmachines',
        'virtualmachineinstances',
        'datavolumes',
      ]),
    );
    const paths = [
      ...objectTypes.map(type => {
        const path = KUBERNETES_PLUGIN_OBJECT_TYPES[type];
        if (!path)
          throw new Error(`add objectType '${type}' to this test's table`);
        return path;
      }),
      ...customResources.map(
        c => `/apis/${c.group}/${c.apiVersion}/namespaces/NS/${c.plural}`,
      ),
    ].map(
      path =>
        `${path.replace('NS', namespace)}?labelSelector=${encodeURIComponent(
          'vmi.kubevirt.io/id=x',
        )}`,
    );
    const answers = await Promise.all(
      paths.map(async path => ({
        path,
        status: (await status(kubeRequest(reader, 'GET', path))).status,
      })),
    );
    expect(answers).toEqual(paths.map(path => ({ path, status: 200 })));

    // What the plugin fetches by default and the demo does not ask for stays refused.
    for (const type of ['services', 'configmaps', 'deployments']) {
      const path = KUBERNETES_PLUGIN_OBJECT_TYPES[type].replace(
        'NS',
        namespace,
      );
      expect((await status(kubeRequest(reader, 'GET', path))).status).toBe(403);
    }
    // Pod metrics are allowed (a 404 here only because no metrics-server runs).
    expect(
      (
        await status(
          kubeRequest(
            reader,
            'GET',
            `/apis/metrics.k8s.io/v1beta1/namespaces/${namespace}/pods`,
          ),
        )
      ).status,
    ).toBe(404);
  });

  it('gives the reader no write verb on anything', async () => {
    const review = await kubeRequest<{
      status: {
        resourceRules: Array<{
          verbs: string[];
          apiGroups?: string[];
          resources?: string[];
        }>;
      };
    }>(
      reader,
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectRulesReview',
        spec: { namespace },
      },
    );
    const writes = review.status.resourceRules.filter(
      rule =>
        rule.verbs.some(v => !['get', 'list', 'watch'].includes(v)) &&
        // Every authenticated user may ask what it may do (system:basic-user).
        !rule.resources?.every(r => r.startsWith('selfsubject')),
    );
    expect(writes).toEqual([]);
    expect(review.status.resourceRules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          apiGroups: ['kubevirt.io'],
          resources: expect.arrayContaining(['virtualmachines']),
          verbs: ['get', 'list', 'watch'],
        }),
      ]),
    );
  });

  it('refuses the reader a label patch, a start and a dry-run create of a VM', async () => {
    const patch = await status(
      kubeRequest(
        reader,
        'PATCH',
        vmPath('owned-by-web'),
        { metadata: { labels: { 'vmportal.io/owner': 'team-web' } } },
        'application/merge-patch+json',
      ),
    );
    expect(patch.status).toBe(403);
    expect(patch.message).toContain(
      'system:serviceaccount:vmportal-system:vmportal-reader" cannot patch resource "virtualmachines"',
    );
    const start = await status(
      kubeRequest(reader, 'PUT', startPath('owned-by-web'), {}),
    );
    expect(start.status).toBe(403);
    expect(start.message).toContain(
      'cannot update resource "virtualmachines/start"',
    );
    const create = await status(
      kubeRequest(
        reader,
        'POST',
        `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines?dryRun=All`,
        vm('dry-as-reader', validSpec),
      ),
    );
    expect(create.status).toBe(403);
  });

  it('lets the actor patch, start and dry-run create a VM, and nothing more', async () => {
    const patched = await kubeRequest<{ spec: { runStrategy: string } }>(
      actor,
      'PATCH',
      vmPath('owned-by-web'),
      { spec: { runStrategy: 'Halted' } },
      'application/merge-patch+json',
    );
    expect(patched.spec.runStrategy).toBe('Halted');

    // Through the aggregation layer to the simulator's virt-api, as on a real cluster.
    await kubeRequest(actor, 'PUT', startPath('owned-by-web'), {});
    const started = await waitUntil(
      'the VM to be started',
      30_000,
      async () => {
        const current = await kubeRequest<{ spec: { runStrategy: string } }>(
          kc,
          'GET',
          vmPath('owned-by-web'),
        );
        return current.spec.runStrategy === 'Always' ? current : undefined;
      },
    );
    expect(started.spec.runStrategy).toBe('Always');

    const dryVm = await kubeRequest<KubernetesObject>(
      actor,
      'POST',
      `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines?dryRun=All`,
      vm('dry-as-actor', validSpec),
    );
    expect(dryVm.metadata?.name).toBe('dry-as-actor');
    const dryDataVolume = await kubeRequest<KubernetesObject>(
      actor,
      'POST',
      `/apis/cdi.kubevirt.io/v1beta1/namespaces/${namespace}/datavolumes?dryRun=All`,
      {
        apiVersion: 'cdi.kubevirt.io/v1beta1',
        kind: 'DataVolume',
        metadata: { name: 'dry-disk', namespace },
        spec: {
          source: { blank: {} },
          storage: { resources: { requests: { storage: '1Gi' } } },
        },
      },
    );
    expect(dryDataVolume.metadata?.name).toBe('dry-disk');

    // The actor is no reader and deletes no VM.
    for (const [method, path] of [
      ['GET', `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines`],
      ['GET', `/api/v1/namespaces/${namespace}/pods`],
      ['DELETE', vmPath('owned-by-web')],
    ]) {
      expect({
        method,
        path,
        status: (await status(kubeRequest(actor, method, path))).status,
      }).toEqual({ method, path, status: 403 });
    }
  });
});
