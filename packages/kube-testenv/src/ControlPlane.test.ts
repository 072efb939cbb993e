import { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { ClusterInfo, startApiserver, stopApiserver } from './ControlPlane';
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

  it("gives the portal's service account read access to VMs in every namespace, and no write to pods", async () => {
    const portal = kubeConfigFor(
      { ...cluster, token: cluster.portalToken },
      'portal',
    );
    expect(
      (
        await status(
          kubeRequest(portal, 'GET', '/apis/kubevirt.io/v1/virtualmachines'),
        )
      ).status,
    ).toBe(200);
    const write = await status(
      kubeRequest(portal, 'POST', `/api/v1/namespaces/${namespace}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'nope' },
        spec: { containers: [{ name: 'c', image: 'x' }] },
      }),
    );
    expect(write.status).toBe(403);
  });
});
