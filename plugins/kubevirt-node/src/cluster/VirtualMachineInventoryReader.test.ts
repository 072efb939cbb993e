import {
  AuthenticationError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { KubernetesObject } from '@kubernetes/client-node';
import {
  adminKubeConfig,
  applyObjects,
  ClusterInfo,
  createTestNamespace,
  deleteTestNamespace,
  freePort,
  kubeRequest,
  testClusters,
  waitUntil,
} from '@vmportal/kube-testenv';
import type { VirtualMachine } from '@vmportal/plugin-kubevirt-common';
import { ResourceVersionExpiredError } from '../errors';
import {
  KubeApiTransport,
  KubeWatchEvent,
} from '../transport/KubeApiTransport';
import { VirtualMachineInventoryReader } from './VirtualMachineInventoryReader';

jest.setTimeout(90_000);

let cluster: ClusterInfo;
let namespace: string;
let client: VirtualMachineInventoryReader;

function vm(
  name: string,
  labels: Record<string, string> = {},
): KubernetesObject {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace, labels },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: { domain: { memory: { guest: '1Gi' }, devices: {} } },
      },
    },
  } as KubernetesObject;
}

function clientFor(token: string, url = cluster.url) {
  return new VirtualMachineInventoryReader(
    KubeApiTransport.create({
      cluster: cluster.name,
      url,
      caData: cluster.caData,
      credential: async () => ({ type: 'bearer token', token }),
    }),
  );
}

beforeAll(async () => {
  [cluster] = testClusters();
  namespace = await createTestNamespace(cluster, 'kvclient', {
    'vmportal.io/owner': 'team-x',
  });
  client = clientFor(cluster.readerToken);
});

/** A token of a new ServiceAccount `name` in the test namespace (no RBAC grants). */
async function serviceAccountToken(name: string): Promise<string> {
  const kc = adminKubeConfig(cluster);
  await applyObjects(kc, [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
  ]);
  const token = await kubeRequest<{ status: { token: string } }>(
    kc,
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 600 },
    },
  );
  return token.status.token;
}

afterAll(async () => {
  await deleteTestNamespace(cluster, namespace);
});

describe('VirtualMachineInventoryReader against a real apiserver', () => {
  it('lists VirtualMachines page by page', async () => {
    await applyObjects(
      adminKubeConfig(cluster),
      Array.from({ length: 7 }, (_, i) => vm(`page-${i}`, { page: 'yes' })),
    );
    const names: string[] = [];
    let pages = 0;
    let next: string | undefined;
    do {
      const page = await client.listVirtualMachines({
        namespace,
        labelSelector: 'page=yes',
        limit: 3,
        continue: next,
      });
      expect(page.resourceVersion).toMatch(/^\d+$/);
      names.push(...page.items.map(item => item.metadata.name));
      next = page.continue;
      pages += 1;
    } while (next);
    expect(pages).toBe(3);
    expect(names.sort()).toEqual(
      Array.from({ length: 7 }, (_, i) => `page-${i}`),
    );

    const all = await client.listVirtualMachines({ labelSelector: 'page=yes' });
    expect(all.items.every(item => item.metadata.namespace === namespace)).toBe(
      true,
    );
  });

  it('reads namespaces with their labels', async () => {
    const all = [];
    let next: string | undefined;
    do {
      const page = await client.listNamespaces({ limit: 500, continue: next });
      all.push(...page.items);
      next = page.continue;
    } while (next);
    const found = all.find(ns => ns.metadata.name === namespace);
    expect(found?.metadata.labels).toMatchObject({
      'vmportal.io/owner': 'team-x',
    });
  });

  it('watches with typed events from a list resourceVersion, and stops on abort', async () => {
    const { resourceVersion } = await client.listVirtualMachines({ namespace });
    const events: Array<KubeWatchEvent<VirtualMachine>> = [];
    const controller = new AbortController();
    const seen = (type: string, name: string) =>
      events.some(
        e =>
          e.type === type && 'object' in e && e.object.metadata.name === name,
      );
    const watch = client.watchVirtualMachines({
      namespace,
      resourceVersion,
      allowWatchBookmarks: true,
      signal: controller.signal,
      onEvent: event => events.push(event),
    });
    const pause = () => new Promise(resolve => setTimeout(resolve, 50));
    const until = async (check: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error('no such event');
        await pause();
      }
    };
    const kc = adminKubeConfig(cluster);
    await applyObjects(kc, [vm('watched')]);
    await until(() => seen('ADDED', 'watched'));
    await applyObjects(kc, [vm('watched', { changed: 'yes' })]);
    await until(() => seen('MODIFIED', 'watched'));
    await kubeRequest(
      kc,
      'DELETE',
      `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/watched`,
    );
    await until(() => seen('DELETED', 'watched'));
    controller.abort();
    const end = await watch;
    expect(end.reason).toBe('aborted');
    expect(Number(end.resourceVersion)).toBeGreaterThan(
      Number(resourceVersion),
    );
  });

  it('keeps a quiet watch open past 30 s and moves on with the apiserver bookmark', async () => {
    const { resourceVersion } = await client.listVirtualMachines({ namespace });
    const events: Array<KubeWatchEvent<VirtualMachine>> = [];
    // The apiserver sends a bookmark 2 s before a watch's timeout (and every 60 s).
    const end = await client.watchVirtualMachines({
      namespace,
      resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: 40,
      onEvent: event => events.push(event),
    });
    expect(end.reason).toBe('closed');
    expect(events.map(e => e.type)).toContain('BOOKMARK');
  });

  it('surfaces 410 Gone as ResourceVersionExpiredError', async () => {
    await expect(
      client.watchVirtualMachines({
        resourceVersion: '1',
        allowWatchBookmarks: true,
        onEvent: () => {},
      }),
    ).rejects.toBeInstanceOf(ResourceVersionExpiredError);
  });

  it('reports a forbidden list as NotAllowedError and a bad token as AuthenticationError', async () => {
    const nobody = clientFor(await serviceAccountToken('nobody'));
    const forbidden = nobody.listVirtualMachines({});
    await expect(forbidden).rejects.toBeInstanceOf(NotAllowedError);
    await expect(forbidden).rejects.toThrow(
      `list virtualmachines on cluster '${cluster.name}'`,
    );
    await expect(
      nobody.watchNamespaces({ resourceVersion: '0', onEvent: () => {} }),
    ).rejects.toBeInstanceOf(NotAllowedError);
    await expect(
      clientFor('not-a-token').listNamespaces(),
    ).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('reports throttling (429 from API Priority and Fairness) as ServiceUnavailableError, so callers retry', async () => {
    // A priority level with no seats that may not borrow rejects every request it gets.
    const name = `${namespace}-throttled`;
    const kc = adminKubeConfig(cluster);
    const flowcontrol = '/apis/flowcontrol.apiserver.k8s.io/v1';
    await applyObjects(kc, [
      {
        apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
        kind: 'PriorityLevelConfiguration',
        metadata: { name },
        spec: {
          type: 'Limited',
          limited: {
            nominalConcurrencyShares: 0,
            lendablePercent: 0,
            borrowingLimitPercent: 0,
            limitResponse: { type: 'Reject' },
          },
        },
      } as KubernetesObject,
      {
        apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
        kind: 'FlowSchema',
        metadata: { name },
        spec: {
          priorityLevelConfiguration: { name },
          matchingPrecedence: 100,
          rules: [
            {
              subjects: [
                {
                  kind: 'ServiceAccount',
                  serviceAccount: { name: 'throttled', namespace },
                },
              ],
              resourceRules: [
                {
                  verbs: ['*'],
                  apiGroups: ['*'],
                  resources: ['*'],
                  clusterScope: true,
                  namespaces: ['*'],
                },
              ],
            },
          ],
        },
      } as KubernetesObject,
    ]);
    try {
      // No RBAC grants: what the flow schema lets through is refused with a 403 at
      // once. A request is rejected only while another one of the level runs, so
      // send bursts (the apiserver also picks new flow control objects up async).
      const throttled = clientFor(await serviceAccountToken('throttled'));
      const seen = { list: false, watch: false };
      await waitUntil('429s for a list and a watch', 30_000, async () => {
        const errors = await Promise.all([
          ...Array.from({ length: 20 }, () =>
            throttled.listNamespaces().then(
              () => new Error('the list succeeded'),
              (e: Error) => e,
            ),
          ),
          ...Array.from({ length: 20 }, () =>
            throttled
              .watchNamespaces({ resourceVersion: '0', onEvent: () => {} })
              .then(
                () => new Error('the watch succeeded'),
                (e: Error) => e,
              ),
          ),
        ]);
        for (const error of errors) {
          if (error instanceof NotAllowedError) continue;
          expect(error).toBeInstanceOf(ServiceUnavailableError);
          expect(error.message).toMatch(
            new RegExp(
              `^(list|watch) namespaces on cluster '${cluster.name}': too many requests`,
              'i',
            ),
          );
          seen[error.message.startsWith('list') ? 'list' : 'watch'] = true;
        }
        return seen.list && seen.watch ? true : undefined;
      });
    } finally {
      await kubeRequest(kc, 'DELETE', `${flowcontrol}/flowschemas/${name}`);
      await kubeRequest(
        kc,
        'DELETE',
        `${flowcontrol}/prioritylevelconfigurations/${name}`,
      );
    }
  });

  it('reports an unreachable apiserver as ServiceUnavailableError without the token', async () => {
    const secret = 'very-secret-token-value';
    const down = clientFor(secret, `https://127.0.0.1:${await freePort()}`);
    const error = await down.listVirtualMachines({}).catch(e => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error.message).toContain(`cluster '${cluster.name}'`);
    expect(error.message).toContain('unreachable');
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(String(error.stack)).not.toContain(secret);
    await expect(
      down.watchVirtualMachines({ resourceVersion: '0', onEvent: () => {} }),
    ).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});
