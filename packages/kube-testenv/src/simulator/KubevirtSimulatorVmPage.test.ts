import type {
  VirtualMachineRestore,
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
} from '@vmportal/plugin-kubevirt-common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import type { VirtualMachineInstanceObject } from '@vmportal/plugin-kubevirt-common';
import type { V1Pod, V1ResourceQuota } from '@kubernetes/client-node';
import { WebSocket } from 'ws';
import { ensureBinaries } from '../binaries';
import {
  ClusterInfo,
  ControlPlane,
  startControlPlane,
  waitUntil,
} from '../ControlPlane';
import { KubeRequestError, kubeConfigFor, kubeRequest } from '../kubeClient';
import {
  openWebsocket,
  RefusedUpgrade,
  WebsocketReader,
} from './__fixtures__/websocketReader';
import { runSimulator, RunningSimulator } from './runSimulator';
import type { VirtualMachine } from './types';

/*
 * What the VM page asks of KubeVirt beyond power actions, against the real
 * apiserver: snapshots and restores (snapshot.kubevirt.io), the serial console
 * and VNC websockets through the aggregation layer, and live migration.
 */

jest.setTimeout(120_000);

let dir: string;
let plane: ControlPlane | undefined;
let simulator: RunningSimulator | undefined;
let cluster: ClusterInfo;
let kc: KubeConfig;
const logs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kube-testenv-vm-page-'));
  const log = (line: string) => logs.push(line);
  const oraclePath = (await ensureBinaries({ log })).oracle;
  plane = await startControlPlane({ dir, clusters: 1, simulator: false, log });
  [cluster] = plane.clusters;
  kc = kubeConfigFor(cluster);
  // Migrations long enough to see both launcher pods running.
  simulator = await runSimulator({
    clusters: plane.clusters,
    log,
    oraclePath,
    timing: { migrationMs: 2000 },
  });
}, 300_000);

afterAll(async () => {
  await simulator?.stop();
  await plane?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const get = <T>(path: string) => kubeRequest<T>(kc, 'GET', path);
const post = <T>(path: string, body: unknown) =>
  kubeRequest<T>(kc, 'POST', path, body);
const vmPath = (ns: string, name = '') =>
  `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines${name && `/${name}`}`;
const vmiPath = (ns: string, name = '') =>
  `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances${
    name && `/${name}`
  }`;
const snapshotApi = (ns: string, plural: string, name = '') =>
  `/apis/snapshot.kubevirt.io/v1beta1/namespaces/${ns}/${plural}${
    name && `/${name}`
  }`;
const migrationPath = (ns: string, name = '') =>
  `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachineinstancemigrations${
    name && `/${name}`
  }`;
const subresource = (ns: string, resource: string, name: string, sub: string) =>
  `/apis/subresources.kubevirt.io/v1/namespaces/${ns}/${resource}/${name}/${sub}`;

async function getOrUndefined<T>(path: string): Promise<T | undefined> {
  try {
    return await get<T>(path);
  } catch (error) {
    if (error instanceof KubeRequestError && error.status === 404)
      return undefined;
    throw error;
  }
}

/** Polls `path` until `check` holds; the simulator's log for `ns` explains a timeout. */
async function waitFor<T>(
  path: string,
  what: string,
  check: (object: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  try {
    return await waitUntil(what, timeoutMs, async () => {
      const object = await getOrUndefined<T>(path);
      return object && check(object) ? object : undefined;
    });
  } catch (error) {
    const ns = /namespaces\/([^/]+)/.exec(path)?.[1];
    const said = logs.filter(line => line.includes(`${ns}/`)).join('\n');
    throw new Error(`${(error as Error).message}\nsimulator log:\n${said}`);
  }
}

async function namespace(
  name: string,
  hard?: Record<string, string>,
): Promise<string> {
  await post('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  await waitUntil(`service account ${name}/default`, 30_000, () =>
    getOrUndefined(`/api/v1/namespaces/${name}/serviceaccounts/default`),
  );
  if (hard) {
    await post(`/api/v1/namespaces/${name}/resourcequotas`, {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'quota' },
      spec: { hard },
    });
    await waitFor<V1ResourceQuota>(
      `/api/v1/namespaces/${name}/resourcequotas/quota`,
      'quota computed',
      quota =>
        Object.keys(quota.spec?.hard ?? {}).every(
          r => r in (quota.status?.used ?? {}),
        ),
      120_000,
    );
  }
  return name;
}

function virtualMachine(
  ns: string,
  name: string,
  options: {
    runStrategy?: string;
    memory?: string;
    userData?: string;
    dataVolumeSize?: string;
  } = {},
): VirtualMachine {
  const volumes: NonNullable<
    VirtualMachine['spec']['template']['spec']['volumes']
  > = [
    options.dataVolumeSize
      ? { name: 'root', dataVolume: { name: `${name}-root` } }
      : {
          name: 'root',
          containerDisk: { image: 'quay.io/containerdisks/fedora:41' },
        },
  ];
  const disks: Array<{ name: string; disk: { bus: string } }> = [
    { name: 'root', disk: { bus: 'virtio' } },
  ];
  if (options.userData) {
    volumes.push({
      name: 'cloudinitdisk',
      cloudInitNoCloud: { userData: options.userData },
    });
    disks.push({ name: 'cloudinitdisk', disk: { bus: 'virtio' } });
  }
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
                  http: { url: 'https://download.fedoraproject.org/f41.qcow2' },
                },
                storage: {
                  resources: { requests: { storage: options.dataVolumeSize } },
                },
              },
            },
          ]
        : undefined,
      template: {
        metadata: { labels: { app: name } },
        spec: {
          domain: {
            cpu: { cores: 1 },
            memory: { guest: options.memory ?? '1Gi' },
            devices: {
              disks,
              interfaces: [{ name: 'default', masquerade: {} }],
            },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes,
        },
      },
    },
  };
}

async function runningVm(ns: string, vm: VirtualMachine) {
  await post(vmPath(ns), vm);
  return waitFor<VirtualMachineInstanceObject>(
    vmiPath(ns, vm.metadata.name),
    `VMI ${ns}/${vm.metadata.name} Running`,
    vmi => vmi.status?.phase === 'Running',
  );
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

/** Every status a watched object passed through, from a real watch of the apiserver. */
async function watchStatuses<T extends { status?: unknown }>(
  path: string,
  name: string,
): Promise<{ seen: T[]; stop: () => void }> {
  const seen: T[] = [];
  const request = await new Watch(kc).watch(
    path,
    { fieldSelector: `metadata.name=${name}` },
    (_type, object: T) => seen.push(object),
    () => undefined,
  );
  return { seen, stop: () => request.abort() };
}

const snapshotOf = (name: string, vmName: string, extra: object = {}) => ({
  apiVersion: 'snapshot.kubevirt.io/v1beta1',
  kind: 'VirtualMachineSnapshot',
  metadata: { name },
  spec: {
    source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: vmName },
    ...extra,
  },
});

const restoreOf = (name: string, vmName: string, snapshot: string) => ({
  apiVersion: 'snapshot.kubevirt.io/v1beta1',
  kind: 'VirtualMachineRestore',
  metadata: { name },
  spec: {
    target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: vmName },
    virtualMachineSnapshotName: snapshot,
  },
});

const condition = (
  conditions: Array<{ type: string; status: string; reason?: string }> = [],
  type: string,
) => conditions.find(c => c.type === type);

describe('the KubeVirt simulator: snapshots and restores', () => {
  it('snapshots a running VM: InProgress, then Succeeded with a content holding its spec; the snapshot takes its content with it', async () => {
    const ns = await namespace('sim-snapshot');
    const vmi = await runningVm(ns, virtualMachine(ns, 'snappy'));
    const vm = await get<VirtualMachine>(vmPath(ns, 'snappy'));
    const path = snapshotApi(ns, 'virtualmachinesnapshots');
    const watch = await watchStatuses<VirtualMachineSnapshot>(path, 'snap-1');
    await post(path, snapshotOf('snap-1', 'snappy'));
    const snapshot = await waitFor<VirtualMachineSnapshot>(
      `${path}/snap-1`,
      'snapshot Succeeded',
      s => s.status?.phase === 'Succeeded',
    );
    watch.stop();
    const phases = [...new Set(watch.seen.map(s => s.status?.phase))];
    process.stderr.write(`snapshot phases: ${JSON.stringify(phases)}\n`);
    expect(phases).toEqual([undefined, 'InProgress', 'Succeeded']);
    // While in progress, the VM was locked for it and the snapshot said so.
    expect(
      watch.seen.some(
        s =>
          condition(s.status?.conditions, 'Progressing')?.reason ===
          'Source locked and operation in progress',
      ),
    ).toBe(true);

    const status = snapshot.status!;
    expect(status).toMatchObject({
      readyToUse: true,
      sourceUID: vm.metadata.uid,
      virtualMachineSnapshotContentName: `vmsnapshot-content-${snapshot.metadata.uid}`,
      indications: ['GuestAgent', 'Online'],
      snapshotVolumes: { excludedVolumes: ['root'] },
    });
    expect(Date.parse(status.creationTime!)).not.toBeNaN();
    expect(status.sourceIndications?.map(i => i.indication)).toEqual([
      'GuestAgent',
      'Online',
    ]);
    expect(condition(status.conditions, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'Operation complete',
    });
    expect(condition(status.conditions, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Ready',
    });
    expect(snapshot.metadata.finalizers).toEqual([
      'snapshot.kubevirt.io/vmsnapshot-protection',
    ]);

    const content = await get<VirtualMachineSnapshotContent>(
      snapshotApi(
        ns,
        'virtualmachinesnapshotcontents',
        status.virtualMachineSnapshotContentName!,
      ),
    );
    expect(content.spec.virtualMachineSnapshotName).toBe('snap-1');
    const copy = content.spec.source.virtualMachine!;
    expect(copy.metadata).toMatchObject({
      name: 'snappy',
      uid: vm.metadata.uid,
    });
    expect(copy.spec.template?.spec?.domain.memory?.guest).toBe('1Gi');
    expect(copy.spec.template?.spec?.volumes).toEqual(
      vm.spec.template.spec.volumes,
    );
    expect(content.spec.volumeBackups).toBeUndefined();
    expect(content.status).toMatchObject({ readyToUse: true });
    expect(
      (await events(ns, 'VirtualMachineSnapshot', 'snap-1')).map(e => [
        e.type,
        e.reason,
        e.message,
        e.source?.component,
      ]),
    ).toEqual([
      [
        'Normal',
        'SuccessfulVirtualMachineSnapshotContentCreate',
        `Successfully created VirtualMachineSnapshotContent ${content.metadata.name}`,
        'snapshot-controller',
      ],
    ]);

    // The VM is released, and says which of its volumes a snapshot can hold.
    const released = await waitFor<VirtualMachine>(
      vmPath(ns, 'snappy'),
      'VM unlocked',
      v =>
        v.status?.snapshotInProgress === undefined &&
        !v.metadata.finalizers?.includes(
          'snapshot.kubevirt.io/snapshot-source-protection',
        ),
    );
    expect(released.status?.volumeSnapshotStatuses).toEqual([
      {
        name: 'root',
        enabled: false,
        reason: 'Snapshot is not supported for this volumeSource type [root]',
      },
    ]);
    expect(vmi.status?.phase).toBe('Running');

    await kubeRequest(kc, 'DELETE', `${path}/snap-1`);
    await waitUntil('snapshot and content gone', 30_000, async () => {
      const left = await Promise.all([
        getOrUndefined(`${path}/snap-1`),
        getOrUndefined(
          snapshotApi(
            ns,
            'virtualmachinesnapshotcontents',
            content.metadata.name,
          ),
        ),
      ]);
      return left.every(o => o === undefined) || undefined;
    });
  });

  it('keeps a snapshot of a VM that does not exist InProgress, then fails it at its deadline', async () => {
    const ns = await namespace('sim-snapshot-ghost');
    const path = snapshotApi(ns, 'virtualmachinesnapshots');
    await post(
      path,
      snapshotOf('of-ghost', 'ghost', { failureDeadline: '8s' }),
    );
    const waiting = await waitFor<VirtualMachineSnapshot>(
      `${path}/of-ghost`,
      'snapshot InProgress',
      s => s.status?.phase === 'InProgress',
    );
    expect(condition(waiting.status?.conditions, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'Source does not exist',
    });
    expect(waiting.status).toMatchObject({ readyToUse: false });
    expect(waiting.status?.sourceUID).toBeUndefined();
    const failed = await waitFor<VirtualMachineSnapshot>(
      `${path}/of-ghost`,
      'snapshot Failed',
      s => s.status?.phase === 'Failed',
      30_000,
    );
    expect(failed.status?.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'Failure',
          status: 'True',
          reason: 'snapshot deadline exceeded',
        }),
        expect.objectContaining({
          type: 'Progressing',
          status: 'False',
          reason: 'Operation failed',
        }),
      ]),
    );
  });

  it("restores a stopped VM's spec from its snapshot, backing up no volume without a VolumeSnapshotClass", async () => {
    const ns = await namespace('sim-restore');
    await post(
      vmPath(ns),
      virtualMachine(ns, 'restorable', {
        runStrategy: 'Halted',
        dataVolumeSize: '2Gi',
      }),
    );
    await waitFor<{ status?: { phase?: string } }>(
      `/apis/cdi.kubevirt.io/v1beta1/namespaces/${ns}/datavolumes/restorable-root`,
      'DataVolume imported',
      dv => dv.status?.phase === 'Succeeded',
    );
    const snapshots = snapshotApi(ns, 'virtualmachinesnapshots');
    await post(snapshots, snapshotOf('before', 'restorable'));
    const snapshot = await waitFor<VirtualMachineSnapshot>(
      `${snapshots}/before`,
      'snapshot Succeeded',
      s => s.status?.phase === 'Succeeded',
    );
    // Offline: no indications; the claim is left out (no CSI snapshots here), so partial.
    expect(snapshot.status?.indications).toEqual(['PartialSnapshot']);
    expect(snapshot.status?.snapshotVolumes).toEqual({
      excludedVolumes: ['root'],
    });
    const vm = await waitFor<VirtualMachine>(
      vmPath(ns, 'restorable'),
      'volume snapshot statuses',
      v => Boolean(v.status?.volumeSnapshotStatuses),
    );
    expect(vm.status?.volumeSnapshotStatuses).toEqual([
      {
        name: 'root',
        enabled: false,
        reason:
          // The claim names no class: there is no default StorageClass here.
          'No VolumeSnapshotClass: Volume snapshots are not configured for this StorageClass [] [root]',
      },
    ]);

    await kubeRequest(
      kc,
      'PATCH',
      vmPath(ns, 'restorable'),
      {
        spec: { template: { spec: { domain: { memory: { guest: '3Gi' } } } } },
      },
      'application/merge-patch+json',
    );
    const restores = snapshotApi(ns, 'virtualmachinerestores');
    await post(restores, restoreOf('back', 'restorable', 'before'));
    const restore = await waitFor<VirtualMachineRestore>(
      `${restores}/back`,
      'restore complete',
      r => r.status?.complete === true,
    );
    expect(Date.parse(restore.status!.restoreTime!)).not.toBeNaN();
    expect(condition(restore.status?.conditions, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Operation complete',
    });
    expect(condition(restore.status?.conditions, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'Operation complete',
    });
    expect(restore.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'VirtualMachine',
        name: 'restorable',
        uid: vm.metadata.uid,
      }),
    ]);
    const restored = await get<VirtualMachine>(vmPath(ns, 'restorable'));
    expect(restored.spec.template.spec.domain.memory?.guest).toBe('1Gi');
    expect(restored.spec.runStrategy).toBe('Halted');
    expect(restored.metadata.annotations).toMatchObject({
      'restore.kubevirt.io/lastRestoreUID': `back-${restore.metadata.uid}`,
    });
    expect(restored.status?.restoreInProgress).toBeUndefined();
    expect(
      (await events(ns, 'VirtualMachineRestore', 'back')).map(e => e.reason),
    ).toContain('VirtualMachineRestoreComplete');
  });

  it('holds a restore of a running VM as KubeVirt v1.9 does (WaitGracePeriod), and restores once the VM is stopped', async () => {
    const ns = await namespace('sim-restore-running');
    await runningVm(ns, virtualMachine(ns, 'busy'));
    const snapshots = snapshotApi(ns, 'virtualmachinesnapshots');
    await post(snapshots, snapshotOf('busy-1', 'busy'));
    await waitFor<VirtualMachineSnapshot>(
      `${snapshots}/busy-1`,
      'snapshot Succeeded',
      s => s.status?.phase === 'Succeeded',
    );
    await kubeRequest(
      kc,
      'PATCH',
      vmPath(ns, 'busy'),
      {
        spec: { template: { spec: { domain: { memory: { guest: '2Gi' } } } } },
      },
      'application/merge-patch+json',
    );
    const restores = snapshotApi(ns, 'virtualmachinerestores');
    await post(restores, restoreOf('busy-back', 'busy', 'busy-1'));
    const waitingMessage =
      'Waiting for target VM to be powered off. Please stop the restore target to proceed with restore, or the operation will fail after 5m0s';
    const waiting = await waitFor<VirtualMachineRestore>(
      `${restores}/busy-back`,
      'restore waiting for the target',
      r =>
        condition(r.status?.conditions, 'Progressing')?.reason ===
        waitingMessage,
    );
    expect(waiting.status?.complete).toBe(false);
    expect(condition(waiting.status?.conditions, 'Ready')).toMatchObject({
      status: 'False',
      reason: waitingMessage,
    });
    const warning = (
      await events(ns, 'VirtualMachineRestore', 'busy-back')
    ).find(e => e.reason === 'RestoreTargetNotReady');
    expect(warning).toMatchObject({
      type: 'Warning',
      message:
        'Restore target VMI still exists, please stop the restore target to proceed with restore',
      source: { component: 'restore-controller' },
    });
    expect(
      (await get<VirtualMachine>(vmPath(ns, 'busy'))).spec.template.spec.domain
        .memory?.guest,
    ).toBe('2Gi');

    await kubeRequest(
      kc,
      'PUT',
      subresource(ns, 'virtualmachines', 'busy', 'stop'),
      {},
    );
    await waitFor<VirtualMachineRestore>(
      `${restores}/busy-back`,
      'restore complete',
      r => r.status?.complete === true,
    );
    const restored = await get<VirtualMachine>(vmPath(ns, 'busy'));
    expect(restored.spec.template.spec.domain.memory?.guest).toBe('1Gi');
    // The run strategy is the VM's own, as the stop left it.
    expect(restored.spec.runStrategy).toBe('Halted');
  });
});

/** A service account token that may `get` the console and VNC of VMIs in `ns` (and nothing else). */
async function consoleToken(ns: string, withRole: boolean): Promise<string> {
  const account = withRole ? 'console-user' : 'no-console';
  await post(`/api/v1/namespaces/${ns}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: account },
  });
  if (withRole) {
    await post(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'vm-console' },
      rules: [
        {
          apiGroups: ['subresources.kubevirt.io'],
          resources: [
            'virtualmachineinstances/console',
            'virtualmachineinstances/vnc',
          ],
          verbs: ['get'],
        },
      ],
    });
    await post(
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'vm-console' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Role',
          name: 'vm-console',
        },
        subjects: [{ kind: 'ServiceAccount', name: account, namespace: ns }],
      },
    );
  }
  const request = await post<{ status: { token: string } }>(
    `/api/v1/namespaces/${ns}/serviceaccounts/${account}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    },
  );
  return request.status.token;
}

const wsUrl = (ns: string, vmi: string, kind: 'console' | 'vnc') =>
  `${cluster.url.replace(/^https/, 'wss')}${subresource(
    ns,
    'virtualmachineinstances',
    vmi,
    kind,
  )}`;

async function connect(
  ns: string,
  vmi: string,
  kind: 'console' | 'vnc',
  token: string,
): Promise<WebsocketReader> {
  const opened = await openWebsocket(
    wsUrl(ns, vmi, kind),
    token,
    cluster.caData,
    ['plain.kubevirt.io'],
  );
  if (!(opened instanceof WebSocket))
    throw new Error(`upgrade refused: ${JSON.stringify(opened)}`);
  expect(opened.protocol).toBe('plain.kubevirt.io');
  return new WebsocketReader(opened);
}

async function refused(
  ns: string,
  vmi: string,
  kind: 'console' | 'vnc',
  token: string,
): Promise<RefusedUpgrade> {
  const opened = await openWebsocket(
    wsUrl(ns, vmi, kind),
    token,
    cluster.caData,
    ['plain.kubevirt.io'],
  );
  if (opened instanceof WebSocket) {
    opened.terminate();
    throw new Error(`${kind} of ${ns}/${vmi} upgraded but should be refused`);
  }
  return opened;
}

describe('the KubeVirt simulator: serial console and VNC through the apiserver', () => {
  it('logs in on the serial console with the password from cloud-init, runs a command, and hangs up when the VM stops', async () => {
    const ns = await namespace('sim-console');
    await runningVm(
      ns,
      virtualMachine(ns, 'consoled', {
        userData:
          '#cloud-config\npassword: s3cret-pass\nchpasswd: { expire: False }\n',
      }),
    );
    const token = await consoleToken(ns, true);
    const outsider = await consoleToken(ns, false);

    const forbidden = await refused(ns, 'consoled', 'console', outsider);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({
      reason: 'Forbidden',
      message: expect.stringContaining(
        'cannot get resource "virtualmachineinstances/console" in API group "subresources.kubevirt.io"',
      ),
    });
    const missing = await refused(ns, 'nobody', 'console', token);
    expect(missing).toEqual({
      status: 404,
      body: expect.objectContaining({
        reason: 'NotFound',
        message: 'virtualmachineinstance.kubevirt.io "nobody" not found',
      }),
    });

    const tty = await connect(ns, 'consoled', 'console', token);
    // Connecting shows nothing; Enter brings the getty's prompt back.
    tty.send('\r');
    expect(await tty.readUntil(/login: $/)).toBe('\r\nconsoled login: ');
    // Text messages are dropped, as virt-handler drops them.
    tty.socket.send('root\r');
    tty.send('fedora\r');
    expect(await tty.readUntil(/Password: $/)).toBe('fedora\r\nPassword: ');
    tty.send('not-it\r');
    expect(await tty.readUntil(/login: $/)).toBe(
      '\r\n\r\nLogin incorrect\r\nconsoled login: ',
    );
    tty.send('fedora\r');
    await tty.readUntil(/Password: $/);
    tty.send('s3cret-pass\r');
    expect(await tty.readUntil(/\$ $/)).toBe('\r\n[fedora@consoled ~]$ ');
    tty.send('whoami\r');
    expect(await tty.readUntil(/\$ $/)).toBe(
      'whoami\r\nfedora\r\n[fedora@consoled ~]$ ',
    );
    tty.send('uname -a\r');
    const uname = await tty.readUntil(/\$ $/);
    process.stderr.write(`uname -a: ${JSON.stringify(uname)}\n`);
    expect(uname).toMatch(
      /^uname -a\r\nLinux consoled 6\.11\.4-301\.fc41\.x86_64 /,
    );
    tty.send('exit\r');
    expect(await tty.readUntil(/login: $/)).toBe(
      'exit\r\nlogout\r\n\r\nconsoled login: ',
    );

    await kubeRequest(
      kc,
      'PUT',
      subresource(ns, 'virtualmachines', 'consoled', 'stop'),
      {},
    );
    // virt-handler closes the stream without a close frame: 1006.
    expect(await tty.closed()).toBe(1006);
    await waitUntil('VMI gone', 60_000, async () =>
      (await getOrUndefined(vmiPath(ns, 'consoled'))) ? undefined : true,
    );
    expect((await refused(ns, 'consoled', 'console', token)).status).toBe(404);
  });

  it('refuses the console of a VMI that is not running, and lets no one in without a password from cloud-init', async () => {
    // No room for a launcher pod: the VMI stays Pending.
    const ns = await namespace('sim-console-pending', { pods: '0' });
    await post(vmPath(ns), virtualMachine(ns, 'waiting'));
    await waitFor<VirtualMachineInstanceObject>(
      vmiPath(ns, 'waiting'),
      'VMI Pending',
      vmi => vmi.status?.phase === 'Pending',
    );
    const token = await consoleToken(ns, true);
    expect(await refused(ns, 'waiting', 'console', token)).toEqual({
      status: 400,
      body: expect.objectContaining({
        kind: 'Status',
        reason: 'BadRequest',
        message: 'VMI is not running',
        code: 400,
      }),
    });
    expect((await refused(ns, 'waiting', 'vnc', token)).status).toBe(400);

    const open = await namespace('sim-console-nopass');
    await runningVm(open, virtualMachine(open, 'sealed'));
    const tty = await connect(
      open,
      'sealed',
      'console',
      await consoleToken(open, true),
    );
    tty.send('\r');
    await tty.readUntil(/login: $/);
    tty.send('fedora\rfedora\r');
    expect(await tty.readUntil(/login: $/)).toMatch(
      /Login incorrect\r\nsealed login: $/,
    );
    tty.socket.terminate();
  });

  it('speaks RFB 3.8 on the VNC websocket: no authentication, ServerInit with the screen, a Raw update showing the VM name', async () => {
    const ns = await namespace('sim-vnc');
    await runningVm(ns, virtualMachine(ns, 'vnc-demo'));
    const token = await consoleToken(ns, true);
    const vnc = await connect(ns, 'vnc-demo', 'vnc', token);
    expect((await vnc.read(12)).toString('latin1')).toBe('RFB 003.008\n');
    vnc.send('RFB 003.008\n');
    expect([...(await vnc.read(2))]).toEqual([1, 1]); // one type: None
    vnc.send(Buffer.from([1]));
    expect((await vnc.read(4)).readUInt32BE(0)).toBe(0); // SecurityResult OK
    vnc.send(Buffer.from([1])); // ClientInit, shared
    const init = await vnc.read(24);
    const width = init.readUInt16BE(0);
    const height = init.readUInt16BE(2);
    const name = (await vnc.read(init.readUInt32BE(20))).toString('utf8');
    process.stderr.write(`ServerInit: ${width}x${height} "${name}"\n`);
    expect({ width, height, name }).toEqual({
      width: 720,
      height: 400,
      name: `QEMU (${ns}_vnc-demo)`,
    });
    expect([init[4], init[5], init[7]]).toEqual([32, 24, 1]); // bpp, depth, true colour

    // noVNC's pixel format: 32 bpp, red in the lowest byte.
    const format = Buffer.alloc(20);
    format.writeUInt8(0, 0);
    Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16]).copy(
      format,
      4,
    );
    vnc.send(format);
    const encodings = Buffer.alloc(8);
    encodings.writeUInt8(2, 0);
    encodings.writeUInt16BE(1, 2);
    encodings.writeInt32BE(0, 4);
    vnc.send(encodings);
    const request = Buffer.alloc(10);
    request.writeUInt8(3, 0);
    request.writeUInt8(0, 1);
    request.writeUInt16BE(width, 6);
    request.writeUInt16BE(height, 8);
    vnc.send(request);
    const header = await vnc.read(16);
    expect(header.readUInt8(0)).toBe(0); // FramebufferUpdate
    expect(header.readUInt16BE(2)).toBe(1);
    expect([
      header.readUInt16BE(4),
      header.readUInt16BE(6),
      header.readUInt16BE(8),
      header.readUInt16BE(10),
      header.readInt32BE(12),
    ]).toEqual([0, 0, width, height, 0]);
    const pixels = await vnc.read(width * height * 4);
    // Text pixels (bright) on a dark background; the name is drawn centred.
    let lit = 0;
    let left = width;
    let right = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const at = (y * width + x) * 4;
        if (pixels[at] > 200 && pixels[at + 1] > 200 && pixels[at + 2] > 200) {
          lit++;
          left = Math.min(left, x);
          right = Math.max(right, x);
        }
      }
    }
    process.stderr.write(`VNC: ${lit} lit pixels, columns ${left}..${right}\n`);
    expect(lit).toBeGreaterThan(1000);
    expect(Math.abs(left - (width - 1 - right))).toBeLessThanOrEqual(8);
    expect([pixels[0], pixels[1], pixels[2]]).toEqual([24, 32, 48]);
    vnc.socket.terminate();
  });
});

describe('the KubeVirt simulator: migrations a user asks for', () => {
  interface MigrationObject {
    metadata: { name: string; uid: string };
    status?: {
      phase?: string;
      phaseTransitionTimestamps?: Array<{ phase: string }>;
      conditions?: Array<{ type: string; status: string }>;
    };
  }
  const launcherPods = async (ns: string, vm: string) =>
    (
      await get<{ items: V1Pod[] }>(
        `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(
          `vm.kubevirt.io/name=${vm}`,
        )}`,
      )
    ).items;

  it('moves a running VMI to another node for a VirtualMachineInstanceMigration, with both launcher pods running meanwhile', async () => {
    const ns = await namespace('sim-migrate');
    const before = await runningVm(ns, virtualMachine(ns, 'mover'));
    const [sourcePod] = await launcherPods(ns, 'mover');
    const tty = await connect(
      ns,
      'mover',
      'console',
      await consoleToken(ns, true),
    );
    const migration = await post<MigrationObject>(migrationPath(ns), {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: { name: 'move-it' },
      spec: { vmiName: 'mover' },
    });
    await waitFor<MigrationObject>(
      migrationPath(ns, 'move-it'),
      'migration Running',
      m => m.status?.phase === 'Running',
    );
    const during = await launcherPods(ns, 'mover');
    expect(during.map(p => p.status?.phase)).toEqual(['Running', 'Running']);
    const done = await waitFor<MigrationObject>(
      migrationPath(ns, 'move-it'),
      'migration Succeeded',
      m => m.status?.phase === 'Succeeded',
    );
    // The console came from the source's virt-launcher, which has handed over.
    expect(await tty.closed()).toBe(1006);
    const phases = done.status?.phaseTransitionTimestamps?.map(p => p.phase);
    process.stderr.write(`migration phases: ${JSON.stringify(phases)}\n`);
    expect(phases).toEqual([
      'Pending',
      'Scheduling',
      'Scheduled',
      'Running',
      'Succeeded',
    ]);
    const after = await get<VirtualMachineInstanceObject>(vmiPath(ns, 'mover'));
    const targetPod = during.find(
      p => p.metadata?.name !== sourcePod.metadata?.name,
    )!;
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.status?.nodeName).not.toBe(before.status?.nodeName);
    expect(after.status?.nodeName).toBe(targetPod.spec?.nodeName);
    expect(after.status?.migrationState).toMatchObject({
      migrationUid: migration.metadata.uid,
      sourceNode: before.status?.nodeName,
      sourcePod: sourcePod.metadata?.name,
      targetNode: targetPod.spec?.nodeName,
      targetPod: targetPod.metadata?.name,
      completed: true,
    });
    const pods = await launcherPods(ns, 'mover');
    expect(
      Object.fromEntries(pods.map(p => [p.metadata!.name, p.status?.phase])),
    ).toEqual({
      [sourcePod.metadata!.name!]: 'Succeeded',
      [targetPod.metadata!.name!]: 'Running',
    });
  });

  it('keeps a migration Pending with migrationRejectedByResourceQuota while the quota refuses its target pod', async () => {
    // One launcher pod of a 1Gi VM asks for about 1.3Gi: not two.
    const ns = await namespace('sim-migrate-quota', {
      'requests.memory': '2Gi',
    });
    const before = await runningVm(ns, virtualMachine(ns, 'stuck'));
    await post(migrationPath(ns), {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: { name: 'try-move' },
      spec: { vmiName: 'stuck' },
    });
    const refusedMigration = await waitFor<MigrationObject>(
      migrationPath(ns, 'try-move'),
      'migration rejected by the quota',
      m =>
        Boolean(
          m.status?.conditions?.some(
            c =>
              c.type === 'migrationRejectedByResourceQuota' &&
              c.status === 'True',
          ),
        ),
    );
    expect(refusedMigration.status?.phase).toBe('Pending');
    const failed = (await events(ns, 'VirtualMachineInstance', 'stuck')).find(
      e => e.reason === 'FailedCreate',
    );
    expect(failed?.message).toMatch(/exceeded quota: quota/);
    const vmi = await get<VirtualMachineInstanceObject>(vmiPath(ns, 'stuck'));
    expect(vmi.status?.nodeName).toBe(before.status?.nodeName);
    expect(vmi.status?.phase).toBe('Running');
    expect((await launcherPods(ns, 'stuck')).length).toBe(1);
  });
});
