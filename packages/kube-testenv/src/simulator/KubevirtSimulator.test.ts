import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  KubeConfig,
  V1Pod,
  V1ResourceQuota,
} from '@kubernetes/client-node';
import {
  DataVolumeObject,
  Quantity,
  VirtualMachineInstanceObject,
} from '@vmportal/plugin-kubevirt-common';
import { ensureBinaries } from '../binaries';
import {
  ClusterInfo,
  ControlPlane,
  startApiserver,
  startControlPlane,
  stopApiserver,
  waitUntil,
} from '../ControlPlane';
import { KubeRequestError, kubeConfigFor, kubeRequest } from '../kubeClient';
import { LauncherPodOracle } from './LauncherPodOracle';
import { podRequests } from './FakeScheduler';
import { runSimulator, RunningSimulator } from './runSimulator';
import type { VirtualMachine } from './types';

jest.setTimeout(120_000);

const Mi = 1024 ** 2;
const Gi = 1024 ** 3;

/** A quantity in whole bytes (exact for the sizes here, well below 2^53). */
const bytes = (quantity: string) => Number(Quantity.parse(quantity).value());

let dir: string;
let plane: ControlPlane | undefined;
let simulator: RunningSimulator | undefined;
let cluster: ClusterInfo;
let kc: KubeConfig;
let oraclePath: string;
let countingNamespace: string;
const logs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kube-testenv-simulator-'));
  const log = (line: string) => logs.push(line);
  oraclePath = (await ensureBinaries({ log })).oracle;
  plane = await startControlPlane({ dir, clusters: 1, simulator: false, log });
  [cluster] = plane.clusters;
  kc = kubeConfigFor(cluster);
  simulator = await runSimulator({ clusters: plane.clusters, log, oraclePath });
  // Made first, so the quota controller's discovery of VMs overlaps the other tests.
  countingNamespace = 'sim-run';
  await kubeRequest(kc, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: countingNamespace },
  });
  await kubeRequest(
    kc,
    'POST',
    `/api/v1/namespaces/${countingNamespace}/resourcequotas`,
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'quota' },
      spec: {
        hard: {
          'requests.memory': '8Gi',
          'requests.cpu': '4',
          pods: '5',
          'count/virtualmachines.kubevirt.io': '5',
        },
      },
    },
  );
}, 300_000);

afterAll(async () => {
  await simulator?.stop();
  await plane?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const get = <T>(path: string) => kubeRequest<T>(kc, 'GET', path);
const vmPath = (ns: string, name = '') =>
  `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines${name && `/${name}`}`;
const vmiPath = (ns: string, name = '') =>
  `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances${
    name && `/${name}`
  }`;
const powerPath = (ns: string, name: string, action: string) =>
  `/apis/subresources.kubevirt.io/v1/namespaces/${ns}/virtualmachines/${name}/${action}`;

/** The apiserver's refusal of a request that must fail. */
async function refusal(
  method: string,
  path: string,
): Promise<KubeRequestError> {
  try {
    await kubeRequest(kc, method, path, {});
  } catch (error) {
    if (error instanceof KubeRequestError) return error;
    throw error;
  }
  throw new Error(`${method} ${path} succeeded but should have been refused`);
}

async function getOrUndefined<T>(path: string): Promise<T | undefined> {
  try {
    return await get<T>(path);
  } catch (error) {
    if (error instanceof KubeRequestError && error.status === 404)
      return undefined;
    throw error;
  }
}

/** A namespace whose default service account exists (pods need it), with an optional quota. */
async function namespace(
  name: string,
  hard?: Record<string, string>,
): Promise<string> {
  await kubeRequest(kc, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  await waitUntil(`service account ${name}/default`, 30_000, () =>
    getOrUndefined(`/api/v1/namespaces/${name}/serviceaccounts/default`),
  );
  if (hard) {
    await kubeRequest(kc, 'POST', `/api/v1/namespaces/${name}/resourcequotas`, {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'quota' },
      spec: { hard },
    });
    await quotaComputed(name);
  }
  return name;
}

/**
 * Until the resourcequota controller has computed a quota, admission refuses what it
 * covers; a CRD's object count needs the controller's next discovery round first
 * (every 30 s), which is why the namespace that counts VMs is made in beforeAll.
 */
async function quotaComputed(ns: string): Promise<void> {
  await waitUntil(`quota ${ns}/quota computed`, 120_000, async () => {
    const quota = await get<V1ResourceQuota>(
      `/api/v1/namespaces/${ns}/resourcequotas/quota`,
    );
    const used = quota.status?.used ?? {};
    return Object.keys(quota.spec?.hard ?? {}).every(
      resource => resource in used,
    )
      ? quota
      : undefined;
  });
}

function virtualMachine(
  ns: string,
  name: string,
  options: {
    memory?: string;
    cores?: number;
    runStrategy?: string;
    image?: string;
    dataVolumeSize?: string;
    /** Where the DataVolume imports from. */
    dataVolumeUrl?: string;
    /** The DataVolume's storage class. */
    storageClass?: string;
  } = {},
): VirtualMachine {
  const rootDisk = options.dataVolumeSize
    ? { name: 'root', dataVolume: { name: `${name}-root` } }
    : {
        name: 'root',
        containerDisk: {
          image: options.image ?? 'quay.io/containerdisks/fedora:41',
        },
      };
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: ns },
    spec: {
      runStrategy: options.runStrategy ?? 'Always',
      dataVolumeTemplates: options.dataVolumeSize
        ? [
            {
              metadata: { name: `${name}-root` },
              spec: {
                source: {
                  http: {
                    url:
                      options.dataVolumeUrl ??
                      'https://download.fedoraproject.org/fedora-41.qcow2',
                  },
                },
                storage: {
                  resources: { requests: { storage: options.dataVolumeSize } },
                  ...(options.storageClass && {
                    storageClassName: options.storageClass,
                  }),
                },
              },
            },
          ]
        : undefined,
      template: {
        metadata: { labels: { app: name } },
        spec: {
          domain: {
            cpu: { cores: options.cores ?? 1 },
            memory: { guest: options.memory ?? '2Gi' },
            devices: {
              disks: [{ name: 'root', disk: { bus: 'virtio' } }],
              interfaces: [{ name: 'default', masquerade: {} }],
            },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes: [rootDisk],
        },
      },
    },
  };
}

async function createVm(vm: VirtualMachine): Promise<number> {
  await kubeRequest(kc, 'POST', vmPath(vm.metadata.namespace!), vm);
  return Date.now();
}

/** Polls the VM until `check` holds; returns the VM then. */
async function waitForVm(
  ns: string,
  name: string,
  what: string,
  check: (vm: VirtualMachine) => boolean,
  timeoutMs = 60_000,
): Promise<VirtualMachine> {
  try {
    return await waitUntil(`VM ${ns}/${name}: ${what}`, timeoutMs, async () => {
      const vm = await get<VirtualMachine>(vmPath(ns, name));
      return check(vm) ? vm : undefined;
    });
  } catch (error) {
    // What the simulator said about this namespace explains the timeout.
    const said = logs.filter(line => line.includes(`${ns}/`)).join('\n');
    throw new Error(
      `${(error as Error).message}\nsimulator log for ${ns}:\n${said}`,
    );
  }
}

const printable = (status: string) => (vm: VirtualMachine) =>
  vm.status?.printableStatus === status;

async function launcherPods(ns: string, vmName: string): Promise<V1Pod[]> {
  const list = await get<{ items: V1Pod[] }>(
    `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(
      `vm.kubevirt.io/name=${vmName}`,
    )}`,
  );
  return list.items;
}

async function events(ns: string, kind: string, name: string) {
  const list = await get<{
    items: Array<{
      reason: string;
      message: string;
      type: string;
      source?: { component?: string };
    }>;
  }>(
    `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(
      `involvedObject.kind=${kind},involvedObject.name=${name}`,
    )}`,
  );
  return list.items;
}

/**
 * The launcher pod's memory request as KubeVirt documents it: guest + fixed 220Mi +
 * 8Mi per vCPU + 8Mi IOThread + 32Mi video (page tables count the VMI's memory
 * *request*, which a VMI with only `memory.guest` does not have).
 */
function expectedComputeMemory(guestBytes: number, vcpus: number): number {
  return guestBytes + (220 + 8 * vcpus + 8 + 32) * Mi;
}

describe('the KubeVirt simulator', () => {
  it('reports a launcher pod refused by the ResourceQuota as KubeVirt does, and starts once the quota allows', async () => {
    const ns = await namespace('sim-quota', { 'requests.memory': '4Gi' });
    await createVm(virtualMachine(ns, 'too-big', { memory: '6Gi' }));

    const vmi = await waitUntil('VMI Synchronized=False', 60_000, async () => {
      const current = await getOrUndefined<VirtualMachineInstanceObject>(
        vmiPath(ns, 'too-big'),
      );
      const sync = current?.status?.conditions?.find(
        c => c.type === 'Synchronized',
      );
      return sync?.status === 'False' ? current : undefined;
    });
    expect(vmi.status?.phase).toBe('Pending');
    const sync = vmi.status?.conditions?.find(c => c.type === 'Synchronized');
    expect(sync?.reason).toBe('FailedCreate');
    expect(sync?.message).toMatch(
      /^failed to create virtual machine pod: pods "virt-launcher-too-big-\w+" is forbidden: exceeded quota: quota/,
    );

    const vm = await waitForVm(ns, 'too-big', 'Synchronized copied', v =>
      Boolean(
        v.status?.conditions?.some(
          c => c.type === 'Synchronized' && c.reason === 'FailedCreate',
        ),
      ),
    );
    expect(vm.status?.printableStatus).toBe('Starting');
    expect(await launcherPods(ns, 'too-big')).toHaveLength(0);
    const failed = (
      await events(ns, 'VirtualMachineInstance', 'too-big')
    ).filter(e => e.reason === 'FailedCreate');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toMatchObject({
      type: 'Warning',
      source: { component: 'virt-controller' },
    });
    expect(failed[0].message).toMatch(/^Error creating pod: .*exceeded quota/);

    await kubeRequest(
      kc,
      'PATCH',
      `/api/v1/namespaces/${ns}/resourcequotas/quota`,
      { spec: { hard: { 'requests.memory': '16Gi' } } },
      'application/merge-patch+json',
    );
    const running = await waitForVm(
      ns,
      'too-big',
      'Running after the quota was raised',
      printable('Running'),
    );
    expect(
      running.status?.conditions?.some(c => c.type === 'Synchronized'),
    ).toBe(false);
  });

  it('stops a VM whose runStrategy becomes Halted: VMI and pod go, the VM is Stopped', async () => {
    const ns = await namespace('sim-halt');
    await createVm(virtualMachine(ns, 'halt-me'));
    await waitForVm(ns, 'halt-me', 'Running', printable('Running'));
    const [pod] = await launcherPods(ns, 'halt-me');
    const vmiUid = (
      await get<VirtualMachineInstanceObject>(vmiPath(ns, 'halt-me'))
    ).metadata.uid;

    await kubeRequest(
      kc,
      'PATCH',
      vmPath(ns, 'halt-me'),
      { spec: { runStrategy: 'Halted' } },
      'application/merge-patch+json',
    );
    const stopped = await waitForVm(
      ns,
      'halt-me',
      'Stopped without a VMI',
      v => printable('Stopped')(v) && !v.status?.created,
    );
    expect(stopped.status?.ready).toBeFalsy();
    expect(await getOrUndefined(vmiPath(ns, 'halt-me'))).toBeUndefined();
    expect(
      await getOrUndefined(
        `/api/v1/namespaces/${ns}/pods/${pod.metadata!.name}`,
      ),
    ).toBeUndefined();
    expect(
      (await events(ns, 'VirtualMachine', 'halt-me')).map(e => [
        e.reason,
        e.message,
      ]),
    ).toContainEqual([
      'SuccessfulDelete',
      `Stopped the virtual machine by deleting the virtual machine instance ${vmiUid}`,
    ]);
  });

  it('stops and starts a VM through the subresource API of the real apiserver', async () => {
    const ns = await namespace('sim-power');
    await createVm(virtualMachine(ns, 'power'));
    await waitForVm(ns, 'power', 'Running', printable('Running'));

    const conflict = await refusal('PUT', powerPath(ns, 'power', 'start'));
    expect(conflict.status).toBe(409);
    expect(conflict.message).toBe(
      'Operation cannot be fulfilled on virtualmachine.kubevirt.io "power": VM is already running',
    );

    const missing = await refusal('PUT', powerPath(ns, 'nope', 'stop'));
    expect(missing.status).toBe(404);

    // The portal's actor service account passes the apiserver's RBAC and reaches virt-api.
    const portal = kubeConfigFor({ ...cluster, token: cluster.actorToken });
    const asPortal = await kubeRequest(
      portal,
      'PUT',
      powerPath(ns, 'power', 'start'),
      {},
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(asPortal).toMatchObject({
      status: 409,
      message: expect.stringMatching(/VM is already running$/),
    });

    await kubeRequest(kc, 'PUT', powerPath(ns, 'power', 'stop'), {});
    const stopped = await waitForVm(
      ns,
      'power',
      'Stopped',
      v => printable('Stopped')(v) && !v.status?.created,
    );
    expect(stopped.spec.runStrategy).toBe('Halted');
    expect(await launcherPods(ns, 'power')).toHaveLength(0);

    const again = await refusal('PUT', powerPath(ns, 'power', 'stop'));
    expect(again.status).toBe(409);
    expect(again.message).toMatch(/VM is not running$/);

    await kubeRequest(kc, 'PUT', powerPath(ns, 'power', 'start'), {});
    const started = await waitForVm(
      ns,
      'power',
      'Running again',
      printable('Running'),
    );
    expect(started.spec.runStrategy).toBe('Always');
    expect(await launcherPods(ns, 'power')).toHaveLength(1);
  });

  it('pauses and unpauses a VMI that others keep writing, as virt-handler does', async () => {
    const ns = await namespace('sim-pause');
    await createVm(virtualMachine(ns, 'busy'));
    await waitForVm(ns, 'busy', 'Running', printable('Running'));
    const vmiPowerPath = (action: string) =>
      `/apis/subresources.kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances/busy/${action}`;

    // Another controller writes the VMI all the time (as virt-controller and the guest
    // agent do): a pause or unpause must not fail on the write race (once a 503 in CI).
    let writing = true;
    let writes = 0;
    const writer = (async () => {
      while (writing) {
        await kubeRequest(
          kc,
          'PATCH',
          vmiPath(ns, 'busy'),
          { metadata: { annotations: { 'test/written': String(++writes) } } },
          'application/merge-patch+json',
        );
      }
    })();
    const answers: string[] = [];
    try {
      for (let round = 0; round < 8; round++) {
        for (const action of ['pause', 'unpause']) {
          answers.push(
            await kubeRequest(kc, 'PUT', vmiPowerPath(action), {}).then(
              () => `${action}: ok`,
              (error: unknown) => `${action}: ${String(error)}`,
            ),
          );
        }
      }
    } finally {
      writing = false;
      await writer;
    }
    expect(answers).toEqual(
      Array.from({ length: 8 }, () => ['pause: ok', 'unpause: ok']).flat(),
    );
    expect(writes).toBeGreaterThan(16);
    const vmi = await get<VirtualMachineInstanceObject>(vmiPath(ns, 'busy'));
    expect(vmi.status?.conditions?.some(c => c.type === 'Paused')).toBe(false);
  });

  it('shows Provisioning while a DataVolume imports, then runs on the PVC CDI created', async () => {
    const ns = await namespace('sim-dv');
    await createVm(virtualMachine(ns, 'imported', { dataVolumeSize: '5Gi' }));
    const seen = new Set<string>();
    await waitForVm(ns, 'imported', 'Running', vm => {
      if (vm.status?.printableStatus) seen.add(vm.status.printableStatus);
      return printable('Running')(vm);
    });
    expect(seen).toContain('Provisioning');

    const dv = await get<DataVolumeObject>(
      `/apis/cdi.kubevirt.io/v1beta1/namespaces/${ns}/datavolumes/imported-root`,
    );
    expect(dv.status).toMatchObject({ phase: 'Succeeded', progress: '100.0%' });
    expect(dv.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'VirtualMachine',
      name: 'imported',
      controller: true,
    });
    const pvc = await get<{
      spec: { resources: { requests: { storage: string } } };
      status: { phase: string };
    }>(`/api/v1/namespaces/${ns}/persistentvolumeclaims/imported-root`);
    // CDI adds its default 6% filesystem overhead to a Filesystem-mode storage request.
    expect(bytes(pvc.spec.resources.requests.storage)).toBe(
      Math.ceil(5 * Gi * 1.06),
    );
    expect(pvc.status.phase).toBe('Bound');
    const vmi = await get<VirtualMachineInstanceObject>(
      vmiPath(ns, 'imported'),
    );
    expect(vmi.spec.volumes?.[0].dataVolume?.name).toBe('imported-root');
  });

  it('shows ErrorUnschedulable for a VM no node has room for', async () => {
    const ns = await namespace('sim-huge');
    await createVm(virtualMachine(ns, 'huge', { memory: '200Gi' }));
    const vm = await waitForVm(
      ns,
      'huge',
      'ErrorUnschedulable',
      printable('ErrorUnschedulable'),
    );
    const scheduled = vm.status?.conditions?.find(
      c => c.type === 'PodScheduled',
    );
    expect(scheduled).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
    });
    expect(scheduled?.message).toMatch(
      /^0\/3 nodes are available: 3 Insufficient memory\./,
    );
    const [pod] = await launcherPods(ns, 'huge');
    expect(pod.spec?.nodeName).toBeUndefined();
    expect(pod.status?.phase).toBe('Pending');
  });

  it('reports a missing instancetype, then a missing preference, as the Failure condition, and starts once both exist', async () => {
    const ns = await namespace('sim-missing-types');
    const vm = virtualMachine(ns, 'typeless');
    vm.spec.instancetype = {
      kind: 'VirtualMachineInstancetype',
      name: 'team-small',
    };
    vm.spec.preference = { kind: 'VirtualMachinePreference', name: 'team-os' };
    vm.spec.template.spec.domain = {
      devices: vm.spec.template.spec.domain.devices,
    };
    await createVm(vm);
    const failure = (v: VirtualMachine) =>
      v.status?.conditions?.find(c => c.type === 'Failure');

    const noInstancetype = await waitForVm(
      ns,
      'typeless',
      'Failure FailedFindInstancetype',
      v => failure(v)?.reason === 'FailedFindInstancetype',
    );
    expect(failure(noInstancetype)).toMatchObject({
      status: 'True',
      message:
        'virtualmachineinstancetypes.instancetype.kubevirt.io "team-small" not found',
    });
    // No VMI and no start expected: KubeVirt v1.9 prints Stopped.
    expect(noInstancetype.status?.printableStatus).toBe('Stopped');
    expect(noInstancetype.status?.instancetypeRef).toBeUndefined();
    expect(await getOrUndefined(vmiPath(ns, 'typeless'))).toBeUndefined();

    const sizes = `/apis/instancetype.kubevirt.io/v1beta1/namespaces/${ns}`;
    await kubeRequest(kc, 'POST', `${sizes}/virtualmachineinstancetypes`, {
      apiVersion: 'instancetype.kubevirt.io/v1beta1',
      kind: 'VirtualMachineInstancetype',
      metadata: { name: 'team-small' },
      spec: { cpu: { guest: 1 }, memory: { guest: '1Gi' } },
    });
    const noPreference = await waitForVm(
      ns,
      'typeless',
      'Failure FailedFindPreference',
      v => failure(v)?.reason === 'FailedFindPreference',
    );
    expect(failure(noPreference)?.message).toBe(
      'virtualmachinepreferences.instancetype.kubevirt.io "team-os" not found',
    );

    await kubeRequest(kc, 'POST', `${sizes}/virtualmachinepreferences`, {
      apiVersion: 'instancetype.kubevirt.io/v1beta1',
      kind: 'VirtualMachinePreference',
      metadata: { name: 'team-os' },
      spec: { devices: { preferredDiskBus: 'virtio' } },
    });
    const running = await waitForVm(
      ns,
      'typeless',
      'Running',
      printable('Running'),
    );
    expect(failure(running)).toBeUndefined();
    const vmi = await get<VirtualMachineInstanceObject>(
      vmiPath(ns, 'typeless'),
    );
    expect(vmi.spec.domain.memory?.guest).toBe('1Gi');
  });

  it('leaves a DataVolume whose StorageClass does not exist without a claim, as CDI does, and imports once the class is created', async () => {
    const ns = await namespace('sim-no-class');
    const storageClass = `sim-missing-${ns}`;
    await createVm(
      virtualMachine(ns, 'classless', { dataVolumeSize: '2Gi', storageClass }),
    );
    const dvPath = `/apis/cdi.kubevirt.io/v1beta1/namespaces/${ns}/datavolumes/classless-root`;
    const dv = await waitUntil(
      'DataVolume Bound=False ErrClaimNotValid',
      60_000,
      async () => {
        const current = await getOrUndefined<DataVolumeObject>(dvPath);
        const bound = current?.status?.conditions?.find(
          c => c.type === 'Bound',
        );
        return bound?.reason === 'ErrClaimNotValid' ? current : undefined;
      },
    );
    const message =
      'PVC spec is missing accessMode and no storageClass to choose profile';
    // CDI's PhaseUnset: no phase, and Bound and Ready say why.
    expect(dv.status?.phase).toBeUndefined();
    expect(dv.status?.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Bound', status: 'False', message }),
        expect.objectContaining({
          type: 'Ready',
          status: 'False',
          reason: 'ErrClaimNotValid',
          message,
        }),
      ]),
    );
    expect(
      (await events(ns, 'DataVolume', 'classless-root')).filter(
        e => e.type === 'Warning' && e.reason === 'ErrClaimNotValid',
      ),
    ).toEqual(expect.arrayContaining([expect.objectContaining({ message })]));
    expect(
      await getOrUndefined(
        `/api/v1/namespaces/${ns}/persistentvolumeclaims/classless-root`,
      ),
    ).toBeUndefined();
    const waiting = await waitForVm(
      ns,
      'classless',
      'Provisioning',
      printable('Provisioning'),
    );
    expect(waiting.status?.created).toBeUndefined();

    await kubeRequest(kc, 'POST', '/apis/storage.k8s.io/v1/storageclasses', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: storageClass },
      provisioner: 'kubevirt.io/simulated',
    });
    await waitForVm(ns, 'classless', 'Running', printable('Running'));
    const pvc = await get<{ spec: { storageClassName?: string } }>(
      `/api/v1/namespaces/${ns}/persistentvolumeclaims/classless-root`,
    );
    expect(pvc.spec.storageClassName).toBe(storageClass);
  });

  it("keeps a DataVolume whose importer cannot reach its source ImportInProgress with the importer's error, and the VM in DataVolumeError", async () => {
    const ns = await namespace('sim-bad-url');
    const url = 'https://images.example.invalid/fedora-41.qcow2';
    await createVm(
      virtualMachine(ns, 'unreachable', {
        dataVolumeSize: '2Gi',
        dataVolumeUrl: url,
      }),
    );
    await waitForVm(
      ns,
      'unreachable',
      'DataVolumeError',
      printable('DataVolumeError'),
    );
    const dv = await get<DataVolumeObject>(
      `/apis/cdi.kubevirt.io/v1beta1/namespaces/${ns}/datavolumes/unreachable-root`,
    );
    const message = `Unable to connect to http data source: HTTP request errored: Get "${url}": dial tcp: lookup images.example.invalid: no such host`;
    // Not Failed: the kubelet restarts the importer and CDI keeps waiting for it.
    expect(dv.status).toMatchObject({ phase: 'ImportInProgress' });
    expect(dv.status?.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'Running',
          status: 'False',
          reason: 'Error',
          message,
        }),
        expect.objectContaining({ type: 'Bound', status: 'True' }),
      ]),
    );
    expect(await events(ns, 'DataVolume', 'unreachable-root')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Warning', reason: 'Error', message }),
      ]),
    );
    expect(
      await events(ns, 'PersistentVolumeClaim', 'unreachable-root'),
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'Warning',
          reason: 'ErrImportFailed',
          message,
        }),
      ]),
    );
    expect(await getOrUndefined(vmiPath(ns, 'unreachable'))).toBeUndefined();
  });

  it('waits with ErrorPvcNotFound for a claim the VM names that does not exist, and starts once it appears', async () => {
    const ns = await namespace('sim-no-claim');
    const vm = virtualMachine(ns, 'claimless');
    vm.spec.template.spec.domain.devices!.disks!.push({
      name: 'data',
      disk: { bus: 'virtio' },
    });
    vm.spec.template.spec.volumes!.push({
      name: 'data',
      persistentVolumeClaim: { claimName: 'gone' },
    });
    await createVm(vm);
    const waiting = await waitForVm(
      ns,
      'claimless',
      'ErrorPvcNotFound',
      printable('ErrorPvcNotFound'),
    );
    const message = `PVC ${ns}/gone does not exist, waiting for it to appear`;
    expect(waiting.status?.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'Synchronized',
          status: 'False',
          reason: 'FailedPvcNotFound',
          message,
        }),
      ]),
    );
    expect(await events(ns, 'VirtualMachineInstance', 'claimless')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'Normal',
          reason: 'FailedPvcNotFound',
          message,
        }),
      ]),
    );
    expect(await launcherPods(ns, 'claimless')).toHaveLength(0);

    await kubeRequest(
      kc,
      'POST',
      `/api/v1/namespaces/${ns}/persistentvolumeclaims`,
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'gone' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '1Gi' } },
        },
      },
    );
    await waitForVm(ns, 'claimless', 'Running', printable('Running'));
  });

  it('expands an instancetype and a preference into the VMI and its launcher pod', async () => {
    const ns = await namespace('sim-types');
    const vm = virtualMachine(ns, 'typed');
    vm.spec.instancetype = { name: 'u1.medium' };
    vm.spec.preference = { name: 'fedora' };
    vm.spec.template.spec.domain = { devices: {} };
    vm.spec.template.spec.networks = undefined;
    vm.spec.template.spec.volumes = [
      {
        name: 'root',
        containerDisk: { image: 'registry.example.com/os-image:1' },
      },
    ];
    await createVm(vm);
    await waitForVm(ns, 'typed', 'Running', printable('Running'));

    const vmi = await get<VirtualMachineInstanceObject>(vmiPath(ns, 'typed'));
    // common-instancetypes: u1.medium is 1 vCPU and 4Gi.
    expect(vmi.spec.domain.memory?.guest).toBe('4Gi');
    const cpu = vmi.spec.domain.cpu ?? {};
    expect((cpu.sockets ?? 1) * (cpu.cores ?? 1) * (cpu.threads ?? 1)).toBe(1);
    expect(vmi.metadata.annotations).toMatchObject({
      'kubevirt.io/cluster-instancetype-name': 'u1.medium',
      'kubevirt.io/cluster-preference-name': 'fedora',
    });
    // The preference names the OS when the image does not.
    expect(vmi.status?.guestOSInfo?.id).toBe('fedora');
    const [pod] = await launcherPods(ns, 'typed');
    const compute = pod.spec!.containers.find(c => c.name === 'compute')!;
    expect(bytes(compute.resources!.requests!.memory)).toBe(
      expectedComputeMemory(4 * Gi, 1),
    );
  });

  it('runs a VM with runStrategy Always in a launcher pod sized as KubeVirt sizes it', async () => {
    const ns = countingNamespace;
    await waitUntil(`service account ${ns}/default`, 30_000, () =>
      getOrUndefined(`/api/v1/namespaces/${ns}/serviceaccounts/default`),
    );
    await quotaComputed(ns);
    const created = await createVm(virtualMachine(ns, 'fedora'));

    // As with KubeVirt, `ready` follows Running once the VMI's Ready condition is copied.
    const vm = await waitForVm(
      ns,
      'fedora',
      'Running and ready',
      v => printable('Running')(v) && v.status?.ready === true,
    );
    process.stderr.write(
      `VM reached Running (ready) ${
        Date.now() - created
      } ms after it was created\n`,
    );
    expect(vm.status?.created).toBe(true);
    expect(vm.status?.conditions?.find(c => c.type === 'Ready')?.status).toBe(
      'True',
    );

    const vmi = await get<VirtualMachineInstanceObject>(vmiPath(ns, 'fedora'));
    const [pod] = await launcherPods(ns, 'fedora');
    expect(vmi.status?.nodeName).toMatch(/^sim-node-[123]$/);
    expect(pod.spec?.nodeName).toBe(vmi.status?.nodeName);
    expect(pod.status?.podIP).toMatch(/^10\.244\.[123]\.\d+$/);
    expect(vmi.status?.interfaces?.[0]).toMatchObject({
      name: 'default',
      ipAddress: pod.status?.podIP,
      interfaceName: 'eth0',
    });
    expect(vmi.status?.guestOSInfo).toMatchObject({
      id: 'fedora',
      name: 'Fedora Linux',
      versionId: '41',
    });
    expect(pod.metadata?.labels).toMatchObject({
      'kubevirt.io': 'virt-launcher',
      'kubevirt.io/created-by': vmi.metadata.uid,
    });
    expect(pod.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'VirtualMachineInstance',
        name: 'fedora',
        uid: vmi.metadata.uid,
        controller: true,
      }),
    ]);

    const compute = pod.spec!.containers.find(c => c.name === 'compute')!;
    const memory = bytes(compute.resources!.requests!.memory);
    expect(memory).toBe(expectedComputeMemory(2 * Gi, 1));
    expect(memory).toBeGreaterThan(2 * Gi);
    expect(Quantity.parse(compute.resources!.requests!.cpu).milliValue()).toBe(
      100n,
    );

    // KubeVirt's own rendering of the stored VMI asks for the very same.
    const oracle = new LauncherPodOracle(oraclePath, () => undefined);
    try {
      const answer = await oracle.render({ vmi });
      // (The apiserver adds the device-plugin resources' requests from their limits.)
      expect(compute.resources!.requests).toEqual({
        ...answer.compute.limits,
        ...answer.compute.requests,
      });
      expect(compute.resources!.requests!.memory).toBe(
        answer.compute.requests.memory,
      );
    } finally {
      await oracle.stop();
    }

    expect(
      (await events(ns, 'VirtualMachine', 'fedora')).map(e => [
        e.reason,
        e.message,
      ]),
    ).toContainEqual([
      'SuccessfulCreate',
      'Started the virtual machine by creating the new virtual machine instance fedora',
    ]);
    expect(
      (await events(ns, 'VirtualMachineInstance', 'fedora')).map(e => e.reason),
    ).toEqual(expect.arrayContaining(['SuccessfulCreate', 'Started']));

    // The real resourcequota admission and controller count the launcher pod and the VM.
    const used = await waitUntil(
      'quota usage with the launcher pod',
      60_000,
      async () => {
        const quota = await get<V1ResourceQuota>(
          `/api/v1/namespaces/${ns}/resourcequotas/quota`,
        );
        return quota.status?.used?.pods === '1' ? quota.status.used : undefined;
      },
    );
    // Exactly what the scheduler counted (kubevirt-common's podResourceTotals).
    const requests = podRequests(pod.spec!);
    expect(Quantity.parse(used['requests.memory']).nanos).toBe(
      requests.memory.nanos,
    );
    expect(bytes(used['requests.memory'])).toBeGreaterThan(
      expectedComputeMemory(2 * Gi, 1) - 1,
    );
    expect(Quantity.parse(used['requests.cpu']).nanos).toBe(requests.cpu.nanos);
    expect(used['count/virtualmachines.kubevirt.io']).toBe('1');
  }, 180_000);

  it('keeps working across an apiserver restart (watches resume after 410 Gone)', async () => {
    await stopApiserver(dir, cluster.name);
    await startApiserver(dir, cluster.name);
    const ns = await namespace('sim-restart');
    await createVm(virtualMachine(ns, 'after-restart'));
    const vm = await waitForVm(
      ns,
      'after-restart',
      'Running',
      printable('Running'),
      90_000,
    );
    expect(vm.status?.created).toBe(true);
  });
});

describe('the KubeVirt simulator after a GitOps change to a running VM', () => {
  /** What a GitOps tool does: server-side apply of the whole manifest, owning every field in it. */
  async function applyVm(vm: VirtualMachine): Promise<void> {
    await kubeRequest(
      kc,
      'PATCH',
      `${vmPath(
        vm.metadata.namespace!,
        vm.metadata.name,
      )}?fieldManager=gitops&force=true`,
      vm,
      'application/apply-patch+yaml',
    );
  }

  /** A VM sized by a common-instancetypes cluster instancetype. */
  function sizedVm(ns: string, name: string, instancetype: string) {
    const vm = virtualMachine(ns, name);
    vm.spec.instancetype = { name: instancetype };
    vm.spec.template.spec.domain = {
      devices: vm.spec.template.spec.domain.devices,
    };
    return vm;
  }

  async function waitForVmi(
    ns: string,
    name: string,
    what: string,
    check: (vmi: VirtualMachineInstanceObject) => boolean,
    timeoutMs = 60_000,
  ): Promise<VirtualMachineInstanceObject> {
    try {
      return await waitUntil(
        `VMI ${ns}/${name}: ${what}`,
        timeoutMs,
        async () => {
          const vmi = await getOrUndefined<VirtualMachineInstanceObject>(
            vmiPath(ns, name),
          );
          return vmi && check(vmi) ? vmi : undefined;
        },
      );
    } catch (error) {
      const said = logs.filter(line => line.includes(`${ns}/`)).join('\n');
      throw new Error(
        `${(error as Error).message}\nsimulator log for ${ns}:\n${said}`,
      );
    }
  }

  const restartRequired = (vm: VirtualMachine) =>
    vm.status?.conditions?.find(c => c.type === 'RestartRequired');
  const memoryStatus = (vmi: VirtualMachineInstanceObject) =>
    vmi.status?.memory as
      | { guestAtBoot?: string; guestCurrent?: string; guestRequested?: string }
      | undefined;
  const topology = (vmi: VirtualMachineInstanceObject) =>
    vmi.status?.currentCPUTopology as { sockets?: number } | undefined;
  const computeOf = (pod: V1Pod) =>
    pod.spec!.containers.find(c => c.name === 'compute')!.resources!.requests!;

  interface MigrationObject {
    metadata: { name: string; annotations?: Record<string, string> };
    spec: { vmiName: string };
    status?: {
      phase?: string;
      conditions?: Array<{ type: string; status: string }>;
    };
  }
  const migrationsOf = async (ns: string, vmiName: string) =>
    (
      await get<{ items: MigrationObject[] }>(
        `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachineinstancemigrations`,
      )
    ).items.filter(m => m.spec.vmiName === vmiName);

  it('resizes a running VM live when its u1 instancetype grows, moving it to a launcher pod of the new size; beyond maxGuest it needs a restart', async () => {
    const ns = await namespace('sim-resize');
    await applyVm(sizedVm(ns, 'grow', 'u1.small'));
    await waitForVm(ns, 'grow', 'Running', printable('Running'));
    const small = await get<VirtualMachineInstanceObject>(vmiPath(ns, 'grow'));
    const [smallPod] = await launcherPods(ns, 'grow');
    // KubeVirt's defaults under LiveUpdate: 4 × what the VMI booted with.
    expect(small.spec.domain.memory).toMatchObject({
      guest: '2Gi',
      maxGuest: '8Gi',
    });
    expect(small.spec.domain.cpu).toMatchObject({ sockets: 1, maxSockets: 4 });

    const migrated = (count: number) =>
      waitUntil(`${count} migration(s) of grow succeeded`, 60_000, async () => {
        const done = (await migrationsOf(ns, 'grow')).filter(
          m => m.status?.phase === 'Succeeded',
        );
        return done.length === count ? done : undefined;
      });

    await applyVm(sizedVm(ns, 'grow', 'u1.medium'));
    const medium = await waitForVmi(
      ns,
      'grow',
      '4Gi in the guest',
      vmi => memoryStatus(vmi)?.guestCurrent === '4Gi',
    );
    // The migration ends once the source pod's containers have exited.
    const [migration] = await migrated(1);
    expect(medium.metadata.uid).toBe(small.metadata.uid);
    expect(medium.spec.domain.memory?.guest).toBe('4Gi');
    expect(memoryStatus(medium)).toMatchObject({
      guestAtBoot: '2Gi',
      guestRequested: '4Gi',
    });
    expect(medium.status?.conditions?.map(c => c.type) ?? []).not.toContain(
      'HotMemoryChange',
    );
    let pods = await launcherPods(ns, 'grow');
    const mediumPod = pods.find(p => p.status?.phase === 'Running')!;
    expect(pods.map(p => [p.metadata!.name, p.status?.phase])).toEqual(
      expect.arrayContaining([
        [smallPod.metadata!.name, 'Succeeded'],
        [mediumPod.metadata!.name, 'Running'],
      ]),
    );
    expect(pods.filter(p => p.status?.phase === 'Running')).toHaveLength(1);
    expect(mediumPod.spec?.nodeName).toBe(medium.status?.nodeName);
    expect(medium.status?.nodeName).not.toBe(smallPod.spec?.nodeName);
    expect(bytes(computeOf(mediumPod).memory)).toBe(
      expectedComputeMemory(4 * Gi, 1),
    );
    expect(migration.metadata.name).toMatch(/^kubevirt-workload-update-/);
    expect(migration.metadata.annotations).toHaveProperty([
      'kubevirt.io/workloadUpdateMigration',
    ]);
    let vm = await get<VirtualMachine>(vmPath(ns, 'grow'));
    expect(restartRequired(vm)).toBeUndefined();
    expect(vm.status?.printableStatus).toBe('Running');

    // u1.large: a second vCPU is a second socket (within maxSockets 4), 8Gi is maxGuest.
    await applyVm(sizedVm(ns, 'grow', 'u1.large'));
    const large = await waitForVmi(
      ns,
      'grow',
      '2 sockets and 8Gi',
      vmi =>
        topology(vmi)?.sockets === 2 &&
        memoryStatus(vmi)?.guestCurrent === '8Gi',
    );
    expect(large.metadata.uid).toBe(small.metadata.uid);
    await migrated(2);
    pods = await launcherPods(ns, 'grow');
    const largePod = pods.find(p => p.status?.phase === 'Running')!;
    expect(bytes(computeOf(largePod).memory)).toBe(
      expectedComputeMemory(8 * Gi, 2),
    );
    expect(Quantity.parse(computeOf(largePod).cpu).milliValue()).toBe(200n);

    // u1.xlarge: 4 sockets still go live, 16Gi is beyond maxGuest (8Gi, set at boot).
    await applyVm(sizedVm(ns, 'grow', 'u1.xlarge'));
    vm = await waitForVm(ns, 'grow', 'RestartRequired', v =>
      Boolean(restartRequired(v)),
    );
    const condition = restartRequired(vm)!;
    process.stderr.write(`RestartRequired: ${JSON.stringify(condition)}\n`);
    expect(condition).toMatchObject({
      status: 'True',
      message:
        'memory hotplug not supported, Guest memory is greater than the configured maxGuest memory',
    });
    expect(condition.reason).toBeUndefined();
    await waitForVmi(
      ns,
      'grow',
      '4 sockets',
      vmi => topology(vmi)?.sockets === 4,
    );

    await kubeRequest(kc, 'PUT', powerPath(ns, 'grow', 'restart'), {});
    const restarted = await waitForVm(
      ns,
      'grow',
      'Running on a new VMI without RestartRequired',
      v => printable('Running')(v) && !restartRequired(v),
      90_000,
    );
    expect(restarted.status?.printableStatus).toBe('Running');
    const xlarge = await get<VirtualMachineInstanceObject>(vmiPath(ns, 'grow'));
    expect(xlarge.metadata.uid).not.toBe(small.metadata.uid);
    expect(xlarge.spec.domain.memory).toMatchObject({
      guest: '16Gi',
      maxGuest: '64Gi',
    });
    expect(memoryStatus(xlarge)?.guestAtBoot).toBe('16Gi');
    expect(xlarge.spec.domain.cpu?.sockets).toBe(4);
  }, 240_000);

  it('keeps the VM on its launcher pod while the quota refuses the bigger target pod, and resizes once the quota allows it', async () => {
    // u1.small's pod asks for about 2.3Gi, u1.medium's for 4.3Gi: both at once exceed 6Gi.
    const ns = await namespace('sim-resize-quota', {
      'requests.memory': '6Gi',
    });
    await applyVm(sizedVm(ns, 'tight', 'u1.small'));
    await waitForVm(ns, 'tight', 'Running', printable('Running'));
    const [smallPod] = await launcherPods(ns, 'tight');

    await applyVm(sizedVm(ns, 'tight', 'u1.medium'));
    const refused = await waitUntil(
      'migration rejected by the quota',
      60_000,
      async () =>
        (
          await migrationsOf(ns, 'tight')
        ).find(m =>
          m.status?.conditions?.some(
            c =>
              c.type === 'migrationRejectedByResourceQuota' &&
              c.status === 'True',
          ),
        ),
    );
    expect(refused.status?.phase).toBe('Pending');
    const failed = (await events(ns, 'VirtualMachineInstance', 'tight')).find(
      e => e.reason === 'FailedCreate',
    );
    expect(failed).toMatchObject({
      type: 'Warning',
      source: { component: 'virt-controller' },
    });
    expect(failed!.message).toMatch(
      /^Error creating pod: pods "virt-launcher-tight-\w+" is forbidden: exceeded quota: quota/,
    );
    const waiting = await get<VirtualMachineInstanceObject>(
      vmiPath(ns, 'tight'),
    );
    expect(waiting.spec.domain.memory?.guest).toBe('4Gi');
    expect(memoryStatus(waiting)?.guestCurrent).toBe('2Gi');
    expect(waiting.status?.nodeName).toBe(smallPod.spec?.nodeName);
    const pods = await launcherPods(ns, 'tight');
    expect(pods.map(p => [p.metadata!.name, p.status?.phase])).toEqual([
      [smallPod.metadata!.name, 'Running'],
    ]);
    const vm = await waitForVm(ns, 'tight', 'HotMemoryChange copied', v =>
      Boolean(v.status?.conditions?.some(c => c.type === 'HotMemoryChange')),
    );
    expect(vm.status?.printableStatus).toBe('Running');
    expect(restartRequired(vm)).toBeUndefined();

    await kubeRequest(
      kc,
      'PATCH',
      `/api/v1/namespaces/${ns}/resourcequotas/quota`,
      { spec: { hard: { 'requests.memory': '8Gi' } } },
      'application/merge-patch+json',
    );
    const grown = await waitForVmi(
      ns,
      'tight',
      '4Gi in the guest',
      vmi => memoryStatus(vmi)?.guestCurrent === '4Gi',
    );
    expect(grown.status?.nodeName).not.toBe(smallPod.spec?.nodeName);
    expect(
      (await migrationsOf(ns, 'tight'))[0].status?.conditions ?? [],
    ).toEqual([]);
  }, 180_000);

  it('sets RestartRequired for a change KubeVirt cannot apply live, drops it when the change is undone, and applies it at restart', async () => {
    const ns = await namespace('sim-restart-required');
    await applyVm(virtualMachine(ns, 'fixed'));
    await waitForVm(ns, 'fixed', 'Running', printable('Running'));
    const first = await get<VirtualMachineInstanceObject>(vmiPath(ns, 'fixed'));

    // Memory is never unplugged.
    await applyVm(virtualMachine(ns, 'fixed', { memory: '1Gi' }));
    let vm = await waitForVm(ns, 'fixed', 'RestartRequired', v =>
      Boolean(restartRequired(v)),
    );
    expect(restartRequired(vm)).toMatchObject({
      status: 'True',
      message:
        'memory updated in template spec to a value lower than what the VM started with',
    });
    await applyVm(virtualMachine(ns, 'fixed'));
    await waitForVm(
      ns,
      'fixed',
      'RestartRequired gone',
      v => !restartRequired(v),
    );

    // Cores are not hot-plugged (only sockets are).
    await applyVm(virtualMachine(ns, 'fixed', { cores: 2 }));
    vm = await waitForVm(ns, 'fixed', 'RestartRequired', v =>
      Boolean(restartRequired(v)),
    );
    expect(restartRequired(vm)).toMatchObject({
      status: 'True',
      message: 'a non-live-updatable field was changed in the template spec',
    });
    const unchanged = await get<VirtualMachineInstanceObject>(
      vmiPath(ns, 'fixed'),
    );
    expect(unchanged.metadata.uid).toBe(first.metadata.uid);
    expect(unchanged.spec.domain.cpu?.cores).toBe(1);
    // The VMI still reflects the generation it was started from.
    expect(vm.status?.observedGeneration).toBeLessThan(
      vm.status!.desiredGeneration!,
    );

    await kubeRequest(kc, 'PUT', powerPath(ns, 'fixed', 'restart'), {});
    vm = await waitForVm(
      ns,
      'fixed',
      'Running again without RestartRequired',
      v =>
        printable('Running')(v) &&
        !restartRequired(v) &&
        v.status?.observedGeneration === v.metadata.generation,
      90_000,
    );
    const second = await get<VirtualMachineInstanceObject>(
      vmiPath(ns, 'fixed'),
    );
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    expect(second.spec.domain.cpu?.cores).toBe(2);
  }, 180_000);

  it('hot-plugs a DataVolume disk into the running VM through an attachment pod; a disk that is not hot-pluggable waits for a restart', async () => {
    const ns = await namespace('sim-hotplug');
    const vm = virtualMachine(ns, 'disks');
    await applyVm(vm);
    await waitForVm(ns, 'disks', 'Running', printable('Running'));
    const first = await get<VirtualMachineInstanceObject>(vmiPath(ns, 'disks'));
    const blank = (name: string) => ({
      metadata: { name },
      spec: {
        source: { blank: {} },
        storage: { resources: { requests: { storage: '1Gi' } } },
      },
    });
    vm.spec.dataVolumeTemplates = [blank('disks-data')];
    vm.spec.template.spec.domain.devices!.disks!.push({
      name: 'data',
      disk: { bus: 'scsi' },
    });
    vm.spec.template.spec.volumes!.push({
      name: 'data',
      dataVolume: { name: 'disks-data', hotpluggable: true },
    });
    await applyVm(vm);

    const statusOf = (vmi: VirtualMachineInstanceObject, name: string) =>
      (vmi.status?.volumeStatus ?? []).find(s => s.name === name) as
        | {
            phase?: string;
            target?: string;
            reason?: string;
            message?: string;
            hotplugVolume?: { attachPodName?: string; attachPodUID?: string };
          }
        | undefined;
    const attached = await waitForVmi(
      ns,
      'disks',
      'data Ready',
      vmi => statusOf(vmi, 'data')?.phase === 'Ready',
    );
    expect(attached.metadata.uid).toBe(first.metadata.uid);
    const data = statusOf(attached, 'data')!;
    expect(data).toMatchObject({
      target: 'sda',
      reason: 'VolumeReady',
      message: 'Successfully attach hotplugged volume data to VM',
    });
    expect(data.hotplugVolume?.attachPodName).toMatch(/^hp-volume-/);
    const attachmentPod = await get<V1Pod>(
      `/api/v1/namespaces/${ns}/pods/${data.hotplugVolume!.attachPodName}`,
    );
    expect(attachmentPod.metadata?.uid).toBe(data.hotplugVolume?.attachPodUID);
    const [launcher] = await launcherPods(ns, 'disks');
    expect(attachmentPod.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Pod',
      name: launcher.metadata!.name,
    });
    expect(attachmentPod.spec?.nodeName).toBe(launcher.spec?.nodeName);
    expect(attachmentPod.status?.phase).toBe('Running');
    expect(
      attached.spec.volumes?.find(v => v.name === 'data')?.dataVolume,
    ).toEqual({ name: 'disks-data', hotpluggable: true });
    expect(
      restartRequired(await get<VirtualMachine>(vmPath(ns, 'disks'))),
    ).toBe(undefined);

    // A disk whose volume is not hot-pluggable is only added when the VM starts again.
    vm.spec.dataVolumeTemplates.push(blank('disks-extra'));
    vm.spec.template.spec.domain.devices!.disks!.push({
      name: 'extra',
      disk: { bus: 'virtio' },
    });
    vm.spec.template.spec.volumes!.push({
      name: 'extra',
      dataVolume: { name: 'disks-extra' },
    });
    await applyVm(vm);
    const waiting = await waitForVm(ns, 'disks', 'RestartRequired', v =>
      Boolean(restartRequired(v)),
    );
    expect(restartRequired(waiting)?.message).toBe(
      'a non-live-updatable field was changed in the template spec',
    );
    expect(
      (
        await get<VirtualMachineInstanceObject>(vmiPath(ns, 'disks'))
      ).spec.volumes?.map(v => v.name),
    ).toEqual(['root', 'data']);

    await kubeRequest(kc, 'PUT', powerPath(ns, 'disks', 'restart'), {});
    const restarted = await waitForVmi(
      ns,
      'disks',
      'a new VMI with both disks, data attached again',
      vmi =>
        vmi.metadata.uid !== first.metadata.uid &&
        statusOf(vmi, 'data')?.phase === 'Ready',
      90_000,
    );
    expect(restarted.spec.volumes?.map(v => v.name)).toEqual([
      'root',
      'data',
      'extra',
    ]);
    const [newLauncher] = (await launcherPods(ns, 'disks')).filter(
      p => p.status?.phase === 'Running',
    );
    // The launcher pod mounts the plain disk; the hot-pluggable one has its attachment pod.
    const mounted = (newLauncher.spec?.volumes ?? []).map(v => v.name);
    expect(mounted).toContain('extra');
    expect(mounted).not.toContain('data');
    expect(
      restartRequired(await get<VirtualMachine>(vmPath(ns, 'disks'))),
    ).toBeUndefined();
  }, 180_000);

  it("deletes the DataVolumes made from the VM's dataVolumeTemplates, and their claims, with the VM", async () => {
    const ns = await namespace('sim-delete');
    await createVm(virtualMachine(ns, 'doomed', { dataVolumeSize: '1Gi' }));
    await waitForVm(ns, 'doomed', 'Running', printable('Running'));
    const dvPath = `/apis/cdi.kubevirt.io/v1beta1/namespaces/${ns}/datavolumes/doomed-root`;
    const pvcPath = `/api/v1/namespaces/${ns}/persistentvolumeclaims/doomed-root`;
    expect(await getOrUndefined(dvPath)).toBeDefined();
    expect(await getOrUndefined(pvcPath)).toBeDefined();

    await kubeRequest(kc, 'DELETE', vmPath(ns, 'doomed'));
    await waitUntil('VM, DataVolume, claim and pods gone', 90_000, async () => {
      const left = [
        await getOrUndefined(vmPath(ns, 'doomed')),
        await getOrUndefined(dvPath),
        await getOrUndefined(pvcPath),
        ...(await launcherPods(ns, 'doomed')),
      ].filter(Boolean);
      return left.length === 0 ? true : undefined;
    });
  }, 120_000);
});
