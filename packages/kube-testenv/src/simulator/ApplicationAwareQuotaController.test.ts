import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  KubeConfig,
  V1Pod,
  V1ResourceQuota,
} from '@kubernetes/client-node';
import {
  aaqPodUsage,
  VirtualMachineInstanceObject,
} from '@vmportal/plugin-kubevirt-common';
import { ensureBinaries } from '../binaries';
import {
  ClusterInfo,
  ControlPlane,
  startControlPlane,
  waitUntil,
} from '../ControlPlane';
import { KubeRequestError, kubeConfigFor, kubeRequest } from '../kubeClient';
import {
  admissionQuotaOf,
  ApplicationAwareResourceQuotaObject,
  decideAaqGates,
} from './ApplicationAwareQuotaController';
import { runSimulator, RunningSimulator } from './runSimulator';
import type { VirtualMachine } from './types';

jest.setTimeout(120_000);

const GATE = 'ApplicationAwareQuotaGate';

/*
 * The cases of AAQ v1.8.0's gate controller test
 * (pkg/aaq-controller/aaq-gate-controller/aaq-gate-controller_test.go, "Test execute
 * when aaqjc is empty and"), as read there: plain pods requesting 500m CPU and some
 * memory, ARQs whose status has hard = spec and used = 0.
 */
describe('the AAQ gate decisions, with the cases of AAQ v1.8.0 gate controller tests', () => {
  const pod = (
    name: string,
    memory: string,
    gates: string[] = [GATE],
    created = '2026-01-01T00:00:00Z',
  ): V1Pod => ({
    metadata: {
      name,
      namespace: 'test',
      creationTimestamp: new Date(created),
    },
    spec: {
      ...(gates.length > 0 && {
        schedulingGates: gates.map(g => ({ name: g })),
      }),
      containers: [
        {
          name: 'ctr',
          image: 'image',
          resources: { requests: { cpu: '500m', memory } },
        },
      ],
    },
    status: { phase: 'Running' },
  });
  const arq = (name: string, hard: Record<string, string>) =>
    admissionQuotaOf({
      metadata: { name },
      spec: { hard },
      status: {
        hard,
        used: Object.fromEntries(Object.keys(hard).map(r => [r, '0'])),
      },
    });
  const decide = (
    pods: V1Pod[],
    quotas: ReturnType<typeof arq>[],
  ): Array<[string, string]> =>
    decideAaqGates(quotas, pods, p =>
      aaqPodUsage(p, { mode: 'VmiPodUsage', pods, vmis: [], migrations: [] }),
    ).map(d => [d.pod.metadata!.name!, d.refusal ?? 'released']);

  it('handles only pods whose one gate is AAQ', () => {
    expect(decide([], [])).toEqual([]);
    expect(decide([pod('pod-test', '1Gi', [])], [])).toEqual([]);
    expect(decide([pod('pod-test', '1Gi', ['fakeGate'])], [])).toEqual([]);
    expect(decide([pod('pod-test', '1Gi', ['fakeGate', GATE])], [])).toEqual(
      [],
    );
  });

  it('releases a pod without ARQs, or with ARQs it fits', () => {
    expect(decide([pod('pod-test', '1Gi')], [])).toEqual([
      ['pod-test', 'released'],
    ]);
    expect(
      decide(
        [pod('pod-test', '1Gi')],
        [arq('testarq', { 'requests.memory': '2Gi' })],
      ),
    ).toEqual([['pod-test', 'released']]);
    expect(
      decide(
        [pod('pod-test', '1Gi')],
        [
          arq('testarq', { 'requests.memory': '2Gi' }),
          arq('testarq1', { 'requests.memory': '1Gi' }),
        ],
      ),
    ).toEqual([['pod-test', 'released']]);
  });

  it('keeps a pod that one ARQ blocks, saying which', () => {
    const blocked = [
      [
        'pod-test',
        'exceeded quota: testarq1, requested: requests.memory=1Gi, used: requests.memory=0, limited: requests.memory=2Mi',
      ],
    ];
    expect(
      decide(
        [pod('pod-test', '1Gi')],
        [arq('testarq1', { 'requests.memory': '2Mi' })],
      ),
    ).toEqual(blocked);
    expect(
      decide(
        [pod('pod-test', '1Gi')],
        [
          arq('testarq', { 'requests.memory': '2Gi' }),
          arq('testarq1', { 'requests.memory': '2Mi' }),
        ],
      ),
    ).toEqual(blocked);
  });

  it('lets through the pod there is room for, counting it before the next', () => {
    const quotas = [
      arq('testarq', { 'requests.memory': '2Gi' }),
      arq('testarq1', { 'requests.memory': '1Gi' }),
    ];
    expect(
      decide([pod('pod-test', '2Gi'), pod('pod-test2', '1Gi')], quotas),
    ).toEqual([
      [
        'pod-test',
        'exceeded quota: testarq1, requested: requests.memory=2Gi, used: requests.memory=0, limited: requests.memory=1Gi',
      ],
      ['pod-test2', 'released'],
    ]);
    // Two that fit one at a time: the second sees the first counted.
    expect(
      decide(
        [
          pod('first', '1Gi', [GATE], '2026-01-01T00:00:00Z'),
          pod('second', '1Gi', [GATE], '2026-01-01T00:00:01Z'),
        ],
        [arq('testarq', { 'requests.memory': '1536Mi' })],
      ),
    ).toEqual([
      ['first', 'released'],
      [
        'second',
        'exceeded quota: testarq, requested: requests.memory=1Gi, used: requests.memory=1Gi, limited: requests.memory=1536Mi',
      ],
    ]);
  });

  it('keeps two pods that different ARQs each block', () => {
    expect(
      decide(
        [pod('pod-test', '50Mi'), pod('pod-test2', '2Gi')],
        [
          arq('testarq', { 'requests.cpu': '400m' }),
          arq('testarq1', { 'requests.memory': '1Gi' }),
        ],
      ),
    ).toEqual([
      [
        'pod-test',
        'exceeded quota: testarq, requested: requests.cpu=500m, used: requests.cpu=0, limited: requests.cpu=400m',
      ],
      [
        'pod-test2',
        'exceeded quota: testarq, requested: requests.cpu=500m, used: requests.cpu=0, limited: requests.cpu=400m',
      ],
    ]);
  });
});

describe('Application Aware Quota in the KubeVirt simulator', () => {
  let dir: string;
  let plane: ControlPlane | undefined;
  let simulator: RunningSimulator | undefined;
  let cluster: ClusterInfo;
  let kc: KubeConfig;
  const logs: string[] = [];
  const ns = 'aaq-team';

  const get = <T>(path: string) => kubeRequest<T>(kc, 'GET', path);
  const vmPath = (name = '') =>
    `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines${
      name && `/${name}`
    }`;
  const arqPath = (name = '') =>
    `/apis/aaq.kubevirt.io/v1alpha1/namespaces/${ns}/applicationawareresourcequotas${
      name && `/${name}`
    }`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kube-testenv-aaq-'));
    const log = (line: string) => logs.push(line);
    const oraclePath = (await ensureBinaries({ log })).oracle;
    plane = await startControlPlane({
      dir,
      clusters: 1,
      simulator: false,
      log,
    });
    [cluster] = plane.clusters;
    kc = kubeConfigFor(cluster);
    simulator = await runSimulator({
      clusters: plane.clusters,
      log,
      oraclePath,
    });
    // AAQ installed with its CR, counting launcher pods as the guest's virtual resources.
    await kubeRequest(kc, 'POST', '/apis/aaq.kubevirt.io/v1alpha1/aaqs', {
      apiVersion: 'aaq.kubevirt.io/v1alpha1',
      kind: 'AAQ',
      metadata: { name: 'aaq' },
      spec: {
        configuration: {
          vmiCalculatorConfiguration: {
            configName: 'DedicatedVirtualResources',
          },
        },
      },
    });
    // AAQ's default namespaceSelector: the enable-gating label key.
    await kubeRequest(kc, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: { 'application-aware-quota/enable-gating': '' },
      },
    });
    await waitUntil(`service account ${ns}/default`, 30_000, async () => {
      try {
        return await get(`/api/v1/namespaces/${ns}/serviceaccounts/default`);
      } catch (error) {
        if (error instanceof KubeRequestError && error.status === 404)
          return undefined;
        throw error;
      }
    });
  }, 300_000);

  afterAll(async () => {
    await simulator?.stop();
    await plane?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  function virtualMachine(name: string, memory: string): VirtualMachine {
    return {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name, namespace: ns },
      spec: {
        runStrategy: 'Always',
        template: {
          metadata: { labels: { app: name } },
          spec: {
            domain: {
              cpu: { cores: 1 },
              memory: { guest: memory },
              devices: {
                disks: [{ name: 'root', disk: { bus: 'virtio' } }],
                interfaces: [{ name: 'default', masquerade: {} }],
              },
            },
            networks: [{ name: 'default', pod: {} }],
            volumes: [
              {
                name: 'root',
                containerDisk: { image: 'quay.io/containerdisks/fedora:41' },
              },
            ],
          },
        },
      },
    };
  }

  async function waitForVm(
    name: string,
    what: string,
    check: (vm: VirtualMachine) => boolean,
  ): Promise<VirtualMachine> {
    try {
      return await waitUntil(`VM ${ns}/${name}: ${what}`, 60_000, async () => {
        const vm = await get<VirtualMachine>(vmPath(name));
        return check(vm) ? vm : undefined;
      });
    } catch (error) {
      const said = logs.filter(line => line.includes(`${ns}/`)).join('\n');
      throw new Error(
        `${(error as Error).message}\nsimulator log for ${ns}:\n${said}`,
      );
    }
  }

  const launcherPod = async (vm: string) => {
    const list = await get<{ items: V1Pod[] }>(
      `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(
        `vm.kubevirt.io/name=${vm}`,
      )}`,
    );
    return list.items[0];
  };

  const arqUsed = async () =>
    (await get<ApplicationAwareResourceQuotaObject>(arqPath('team-vms'))).status
      ?.used;

  it('starts a VM that fits its ARQ, keeps one that does not Pending behind the gate, and starts it once room is freed', async () => {
    await kubeRequest(kc, 'POST', arqPath(), {
      apiVersion: 'aaq.kubevirt.io/v1alpha1',
      kind: 'ApplicationAwareResourceQuota',
      metadata: { name: 'team-vms' },
      spec: {
        hard: {
          'requests.memory/vmi': '3Gi',
          'requests.instances/vmi': '2',
          'count/pods': '10',
        },
      },
    });
    // AAQ keeps the resource it leaves to Kubernetes in a ResourceQuota of its own.
    const managed = await waitUntil('the managed ResourceQuota', 30_000, () =>
      get<V1ResourceQuota>(
        `/api/v1/namespaces/${ns}/resourcequotas/team-vms-non-schedulable-resources-managed-rq-x`,
      ).catch(() => undefined),
    );
    expect(managed.spec?.hard).toEqual({ 'count/pods': '10' });
    expect(managed.metadata?.labels).toEqual({ 'aaq.kubevirt.io': 'true' });
    expect(managed.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'ApplicationAwareResourceQuota',
      name: 'team-vms',
    });

    await kubeRequest(kc, 'POST', vmPath(), virtualMachine('first', '2Gi'));
    await waitForVm(
      'first',
      'Running',
      vm => vm.status?.printableStatus === 'Running',
    );
    // Counted as AAQ counts in DedicatedVirtualResources: the guest, not the pod.
    await waitUntil('the ARQ counts the first VM', 30_000, async () => {
      const used = await arqUsed();
      return used?.['requests.memory/vmi'] === '2Gi' &&
        used['requests.instances/vmi'] === '1' &&
        used['count/pods'] === '1'
        ? used
        : undefined;
    });

    await kubeRequest(kc, 'POST', vmPath(), virtualMachine('second', '2Gi'));
    const gated = await waitUntil('the second VM gated', 60_000, async () => {
      const current = await get<VirtualMachine>(vmPath('second'));
      const scheduled = current.status?.conditions?.find(
        c => c.type === 'PodScheduled',
      );
      return scheduled?.reason === 'SchedulingGated' ? current : undefined;
    });
    expect(gated.status?.printableStatus).toBe('Starting');
    expect(
      gated.status?.conditions?.find(c => c.type === 'PodScheduled'),
    ).toMatchObject({ status: 'False', reason: 'SchedulingGated' });
    const pod = await launcherPod('second');
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec?.nodeName).toBeUndefined();
    expect(pod.spec?.schedulingGates).toEqual([{ name: GATE }]);
    const vmi = await get<VirtualMachineInstanceObject>(
      `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances/second`,
    );
    expect(vmi.status?.phase).toBe('Scheduling');
    const refusal = await waitUntil(
      "aaq-controller's event",
      30_000,
      async () => {
        const events = await get<{
          items: Array<{
            type: string;
            reason: string;
            message: string;
            source?: { component?: string };
          }>;
        }>(
          `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(
            `involvedObject.kind=Pod,involvedObject.name=${pod.metadata!.name}`,
          )}`,
        );
        return events.items.find(e => e.source?.component === 'aaq-controller');
      },
    );
    expect(refusal).toMatchObject({
      type: 'Warning',
      reason: 'Warning',
      message:
        'exceeded quota: team-vms, requested: requests.memory/vmi=2Gi, used: requests.memory/vmi=2Gi, limited: requests.memory/vmi=3Gi',
    });
    // The gated pod counts nothing for AAQ, but Kubernetes counts it as a pod.
    await waitUntil('count/pods from the managed quota', 30_000, async () => {
      const used = await arqUsed();
      return used?.['count/pods'] === '2' &&
        used['requests.memory/vmi'] === '2Gi'
        ? used
        : undefined;
    });

    // Freeing room: the first VM stops, its pod goes, the second starts.
    await kubeRequest(
      kc,
      'PATCH',
      vmPath('first'),
      { spec: { runStrategy: 'Halted' } },
      'application/merge-patch+json',
    );
    await waitForVm(
      'second',
      'Running after the first stopped',
      vm => vm.status?.printableStatus === 'Running',
    );
    expect((await launcherPod('second')).spec?.schedulingGates).toBeUndefined();
    await waitUntil('the ARQ counts only the second VM', 30_000, async () => {
      const used = await arqUsed();
      return used?.['requests.memory/vmi'] === '2Gi' &&
        used['requests.instances/vmi'] === '1' &&
        used['count/pods'] === '1'
        ? used
        : undefined;
    });
  });
});
