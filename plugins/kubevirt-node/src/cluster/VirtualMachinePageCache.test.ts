import { NotFoundError } from '@backstage/errors';
import { KubernetesObject } from '@kubernetes/client-node';
import {
  adminKubeConfig,
  applyObjects,
  ClusterInfo,
  createTestNamespace,
  deleteTestNamespace,
  kubeRequest,
  testClusters,
  waitUntil,
} from '@vmportal/kube-testenv';
import { KubeApiTransport } from '../transport/KubeApiTransport';
import {
  VirtualMachinePageCache,
  VirtualMachinePageCacheOptions,
} from './VirtualMachinePageCache';

jest.setTimeout(90_000);

let cluster: ClusterInfo;
let namespace: string;
const caches: VirtualMachinePageCache[] = [];

function vm(name: string, labels: Record<string, string> = {}) {
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

function event(name: string, involvedObject: object): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace },
    involvedObject: { namespace, ...involvedObject },
    reason: 'Seen',
    message: `about ${name}`,
    type: 'Normal',
  } as KubernetesObject;
}

/** A cache with the reader's token; `requests()` counts what it sent the apiserver. */
function cacheFor(options: VirtualMachinePageCacheOptions = {}) {
  let requests = 0;
  const cache = new VirtualMachinePageCache(
    KubeApiTransport.create({
      cluster: cluster.name,
      url: cluster.url,
      caData: cluster.caData,
      // Asked before every request and every watch: the apiserver's count of ours.
      credential: async () => {
        requests += 1;
        return { type: 'bearer token', token: cluster.readerToken };
      },
    }),
    options,
  );
  caches.push(cache);
  return { cache, requests: () => requests };
}

/** Everything one page view reads of the VM `name`. */
async function view(cache: VirtualMachinePageCache, name: string) {
  const [vmObject, vmi, pods, events, dataVolume, claim] = await Promise.all([
    cache.getVirtualMachine(namespace, name),
    cache.getVirtualMachineInstance(namespace, name),
    cache.listVirtualMachinePods(namespace, name),
    cache.listEventsAbout(namespace, { name }),
    cache.getDataVolume(namespace, `${name}-root`),
    cache.getPersistentVolumeClaim(namespace, `${name}-root`),
  ]);
  return { vm: vmObject, vmi, pods, events, dataVolume, claim };
}

beforeAll(async () => {
  [cluster] = testClusters();
  namespace = await createTestNamespace(cluster, 'pagecache');
  await applyObjects(adminKubeConfig(cluster), [
    vm('web-1'),
    vm('web-2'),
    event('web-1.1', { kind: 'VirtualMachine', name: 'web-1' }),
    event('web-2.1', { kind: 'VirtualMachine', name: 'web-2' }),
    event('deploy.1', { kind: 'Deployment', name: 'web-1' }),
  ]);
});

afterAll(async () => {
  for (const cache of caches) cache.stop();
  await deleteTestNamespace(cluster, namespace);
});

describe('VirtualMachinePageCache against a real apiserver', () => {
  it('reads the apiserver for the first view, then answers every view from its watches', async () => {
    const { cache, requests } = cacheFor();
    const first = await view(cache, 'web-1');
    expect(first.vm.metadata.name).toBe('web-1');
    expect(first.events.map(e => e.message)).toContain('about web-1.1');
    expect(cache.watchedNamespaces()).toEqual([namespace]);

    await cache.settled(namespace);
    const before = requests();
    for (let i = 0; i < 20; i++) {
      const later = await view(cache, i % 2 ? 'web-1' : 'web-2');
      expect(later.vm.metadata.name).toBe(i % 2 ? 'web-1' : 'web-2');
      expect(later.vmi).toBeUndefined();
      expect(later.pods).toEqual([]);
      // The VM's own event, not the Deployment's of the same name.
      expect(later.events.map(e => e.message)).toEqual([
        `about ${later.vm.metadata.name}.1`,
      ]);
      expect(later.vm.metadata.managedFields).toBeUndefined();
    }
    expect(requests()).toBe(before);
  });

  it('shows a change and a deletion as the watch brings them', async () => {
    const { cache } = cacheFor();
    await view(cache, 'web-2');
    await cache.settled(namespace);
    const kc = adminKubeConfig(cluster);
    await applyObjects(kc, [vm('web-3')]);
    await waitUntil('web-3 in the cache', 10_000, () =>
      cache.getVirtualMachine(namespace, 'web-3'),
    );
    await applyObjects(kc, [vm('web-3', { changed: 'yes' })]);
    await waitUntil('the new label in the cache', 10_000, async () =>
      (
        await cache.getVirtualMachine(namespace, 'web-3')
      ).metadata.labels?.changed === 'yes'
        ? true
        : undefined,
    );
    await kubeRequest(
      kc,
      'DELETE',
      `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/web-3`,
    );
    await waitUntil('web-3 gone from the cache', 10_000, () =>
      cache.getVirtualMachine(namespace, 'web-3').then(
        () => undefined,
        error => (error instanceof NotFoundError ? true : undefined),
      ),
    );
    await expect(cache.getVirtualMachine(namespace, 'web-3')).rejects.toThrow(
      NotFoundError,
    );
  });

  it('stops watching a namespace no page has read for idleMs', async () => {
    const { cache } = cacheFor({ idleMs: 300 });
    await view(cache, 'web-1');
    expect(cache.watchedNamespaces()).toEqual([namespace]);
    await waitUntil('the idle namespace dropped', 10_000, async () =>
      cache.watchedNamespaces().length === 0 ? true : undefined,
    );
  });

  it('does not cache a collection beyond maxItemsPerCollection, and still answers from the apiserver', async () => {
    const { cache, requests } = cacheFor({ maxItemsPerCollection: 1 });
    await view(cache, 'web-1');
    await cache.settled(namespace);
    const before = requests();
    const again = await view(cache, 'web-2');
    expect(again.vm.metadata.name).toBe('web-2');
    // The VMs and the VM events (two each, over the limit) are read; the empty
    // collections are answered from their watches.
    expect(requests()).toBe(before + 2);
  });
});
