import type { KubernetesObject } from '@kubernetes/client-node';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  adminKubeConfig,
  ClusterInfo,
  createTestNamespace,
  deleteTestNamespace,
  kubeRequest,
  testClusters,
  waitUntil,
} from '@vmportal/kube-testenv';
import {
  formatQuantityForHumans,
  Quantity,
  VirtualMachine,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import type { Server } from 'node:http';
import request from 'supertest';
import {
  applyAsAdmin,
  clustersConfig,
  providerEntity,
  readVm,
  testVirtualMachine,
  waitForVmStatus,
} from '../__testUtils__/testVirtualMachines';
import { kubevirtPlugin } from '../plugin';

jest.setTimeout(240_000);

/*
 * Each "why is it not running" case, produced for real: the control plane's
 * kube-apiserver and kube-controller-manager (quota admission and accounting), with
 * the KubeVirt simulator playing virt-controller, virt-handler, CDI and the
 * scheduler. Every VM is created up front so the cases develop side by side; each
 * test then reads the VM page's view until the diagnosis appears, and, where the fix
 * is something the test can do, does it and sees the diagnosis go.
 */

const OWNER = 'user:default/owner';
const TEAM = 'group:default/team-diag';
const Gi = 1024 ** 3;
const BAD_URL = 'https://images.example.invalid/fedora-41.qcow2';

let east: ClusterInfo;
/** Most cases; no quota. */
let ns: string;
/** A quota on memory that a 3Gi VM does not fit in. */
let quotaNs: string;
/** A quota on storage that a 5Gi disk does not fit in. */
let diskQuotaNs: string;
let missingClass: string;
let server: Server;

async function waitForQuotaStatus(namespace: string, name: string) {
  await waitUntil(
    `ResourceQuota ${namespace}/${name} to be counted`,
    60_000,
    async () => {
      const counted = await kubeRequest<{ status?: { used?: object } }>(
        adminKubeConfig(east),
        'GET',
        `/api/v1/namespaces/${namespace}/resourcequotas/${name}`,
      );
      return counted.status?.used ? true : undefined;
    },
  );
}

function quota(namespace: string, name: string, hard: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name, namespace },
    spec: { hard },
  } as KubernetesObject;
}

/** The VM's only DataVolume template, to change its source or storage. */
function dataDiskTemplate(vm: VirtualMachine) {
  const template = vm.spec.dataVolumeTemplates?.[0];
  if (!template) throw new Error(`${vm.metadata.name} has no data disk`);
  return template.spec;
}

function testVms(): Array<VirtualMachine & KubernetesObject> {
  const noSize = testVirtualMachine(ns, 'no-size', {
    instancetype: 'team-small',
  });
  noSize.spec.instancetype = {
    kind: 'VirtualMachineInstancetype',
    name: 'team-small',
  };
  const noPreference = testVirtualMachine(ns, 'no-preference', {
    instancetype: 'u1.small',
    preference: 'team-os',
  });
  noPreference.spec.preference = {
    kind: 'VirtualMachinePreference',
    name: 'team-os',
  };
  const badUrl = testVirtualMachine(ns, 'bad-url', { dataDisk: '1Gi' });
  dataDiskTemplate(badUrl).source = { http: { url: BAD_URL } };
  const classless = testVirtualMachine(ns, 'classless', { dataDisk: '1Gi' });
  dataDiskTemplate(classless).storage!.storageClassName = missingClass;
  const upload = testVirtualMachine(ns, 'awaits-upload', { dataDisk: '1Gi' });
  dataDiskTemplate(upload).source = { upload: {} };
  const noClaim = testVirtualMachine(ns, 'no-claim');
  const template = noClaim.spec.template!.spec;
  template.domain.devices!.disks = [
    ...(template.domain.devices!.disks ?? []),
    { name: 'data', disk: { bus: 'virtio' } },
  ];
  template.volumes = [
    ...(template.volumes ?? []),
    { name: 'data', persistentVolumeClaim: { claimName: 'gone' } },
  ];
  return [
    testVirtualMachine(quotaNs, 'too-big', { memory: '3Gi' }),
    testVirtualMachine(diskQuotaNs, 'big-disk', { dataDisk: '5Gi' }),
    testVirtualMachine(ns, 'huge', { memory: '200Gi' }),
    testVirtualMachine(ns, 'pausable'),
    noSize,
    noPreference,
    badUrl,
    classless,
    upload,
    noClaim,
  ];
}

beforeAll(async () => {
  [east] = testClusters();
  [ns, quotaNs, diskQuotaNs] = await Promise.all([
    createTestNamespace(east, 'diag'),
    createTestNamespace(east, 'diag-quota'),
    createTestNamespace(east, 'diag-disk'),
  ]);
  missingClass = `fast-${ns}`;
  await applyAsAdmin(east, [
    quota(quotaNs, 'vm-quota', { 'requests.memory': '2Gi' }),
    quota(diskQuotaNs, 'disk-quota', { 'requests.storage': '1Gi' }),
  ]);
  // Quota admission refuses what a quota covers until its controller has counted it.
  await Promise.all([
    waitForQuotaStatus(quotaNs, 'vm-quota'),
    waitForQuotaStatus(diskQuotaNs, 'disk-quota'),
  ]);
  const vms = testVms();
  await applyAsAdmin(east, vms);
  const live = await Promise.all(
    vms.map(vm => readVm(east, vm.metadata.namespace!, vm.metadata.name)),
  );
  const backend = await startTestBackend({
    features: [
      kubevirtPlugin,
      mockServices.rootConfig.factory({ data: clustersConfig([east]) }),
      catalogServiceMock.factory({
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Group',
            metadata: { name: 'team-diag', namespace: 'default' },
            spec: { type: 'team', children: [] },
          },
          ...live.map(vm => providerEntity(east.name, vm, TEAM)),
        ],
      }),
      mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
    ],
  });
  server = backend.server;
});

afterAll(async () => {
  await Promise.all([
    deleteTestNamespace(east, ns),
    deleteTestNamespace(east, quotaNs),
    deleteTestNamespace(east, diskQuotaNs),
    missingClass &&
      kubeRequest(
        adminKubeConfig(east),
        'DELETE',
        `/apis/storage.k8s.io/v1/storageclasses/${missingClass}`,
      ).catch(() => undefined),
  ]);
});

async function getView(name: string) {
  return request(server)
    .get(`/api/kubevirt/v1/entities/default/component/${name}/vm`)
    .set({ Authorization: mockCredentials.user.header(OWNER) });
}

/**
 * Polls the VM page's view (bounded) until `check` holds; a timeout says what the
 * view last showed.
 */
async function waitForView(
  name: string,
  what: string,
  check: (view: VirtualMachineView) => boolean,
): Promise<VirtualMachineView> {
  let last: unknown;
  try {
    return await waitUntil(
      `the view of ${name}: ${what}`,
      120_000,
      async () => {
        const response = await getView(name);
        last = response.body;
        return response.status === 200 && check(response.body)
          ? (response.body as VirtualMachineView)
          : undefined;
      },
    );
  } catch (error) {
    const view = last as Partial<VirtualMachineView> | undefined;
    throw new Error(
      `${(error as Error).message}; last seen: ${JSON.stringify({
        printableStatus: view?.printableStatus,
        conditions: view?.conditions,
        diagnosis: view?.diagnosis,
        disks: view?.disks,
      })}`,
    );
  }
}

const diagnosed = (name: string, cause: string) =>
  waitForView(name, `diagnosis ${cause}`, v => v.diagnosis?.cause === cause);

const runningWithoutDiagnosis = (name: string) =>
  waitForView(
    name,
    'Running with no diagnosis',
    v => v.printableStatus === 'Running' && v.diagnosis === undefined,
  );

/** `resource=quantity` of the apiserver's `requested:` list in a quota refusal. */
function requested(message: string | undefined, resource: string): Quantity {
  const match = new RegExp(
    `requested: (?:\\S*,)?${resource.replace('.', '\\.')}=([^,\\s]+)`,
  ).exec(message ?? '');
  if (!match) throw new Error(`no ${resource} requested in: ${message}`);
  return Quantity.parse(match[1]);
}

describe("why isn't it running", () => {
  it("names the quota that refuses the launcher pod and by how much, with the quota plan's arithmetic, until the quota is raised", async () => {
    const view = await diagnosed('too-big', 'quota');
    const diagnosis = view.diagnosis!;
    // KubeVirt keeps such a VM Starting; the page says why.
    expect(view.printableStatus).toBe('Starting');
    expect(diagnosis.title).toBe(
      "The namespace's quota has no room for this VM",
    );
    expect(diagnosis.evidence).toMatchObject({
      what: 'condition',
      name: 'Synchronized',
      reason: 'FailedCreate',
    });
    expect(diagnosis.shortfalls).toHaveLength(1);
    const [row] = diagnosis.shortfalls!;
    expect(row).toMatchObject({
      quota: 'vm-quota',
      resource: 'requests.memory',
    });
    // The plan's arithmetic of the launcher pod matches what the apiserver's quota
    // admission counted of the pod KubeVirt rendered.
    const apiserver = requested(diagnosis.evidence.message, 'requests.memory');
    const needs = Quantity.parse(row.needs);
    expect(needs.cmp(apiserver)).toBe(0);
    expect(Quantity.parse(row.free).cmp(Quantity.parse('2Gi'))).toBe(0);
    expect(
      Quantity.parse(row.short).cmp(needs.sub(Quantity.parse('2Gi'))),
    ).toBe(0);
    // 3Gi of guest memory plus KubeVirt's overhead.
    expect(needs.cmp(Quantity.parse('3Gi'))).toBe(1);
    const short = formatQuantityForHumans(
      'requests.memory',
      Quantity.parse(row.short),
      true,
    );
    expect(diagnosis.detail).toBe(
      `ResourceQuota vm-quota: requests.memory short by ${short} (needs ${formatQuantityForHumans(
        'requests.memory',
        needs,
      )}, 2 GiB free).`,
    );
    expect(diagnosis.fix).toContain(
      `raise requests.memory by at least ${short} in ResourceQuota vm-quota`,
    );
    // eslint-disable-next-line no-console
    console.log(`too-big: ${diagnosis.detail}`);

    await kubeRequest(
      adminKubeConfig(east),
      'PATCH',
      `/api/v1/namespaces/${quotaNs}/resourcequotas/vm-quota`,
      { spec: { hard: { 'requests.memory': '8Gi' } } },
      'application/merge-patch+json',
    );
    await runningWithoutDiagnosis('too-big');
  });

  it("names the quota that refuses a disk's claim and by how much", async () => {
    const view = await diagnosed('big-disk', 'quota');
    const diagnosis = view.diagnosis!;
    expect(diagnosis.title).toBe(
      "The namespace's quota has no room for this VM's disk",
    );
    expect(diagnosis.evidence).toMatchObject({
      object: { kind: 'DataVolume', name: 'big-disk-data' },
      name: 'Bound',
      reason: 'ErrExceededQuota',
    });
    const [row] = diagnosis.shortfalls!;
    expect(row).toMatchObject({
      quota: 'disk-quota',
      resource: 'requests.storage',
    });
    // CDI's claim: 5Gi plus its 6% filesystem overhead.
    expect(Number(Quantity.parse(row.needs).value())).toBe(
      Math.ceil(5 * Gi * 1.06),
    );
    expect(Quantity.parse(row.free).cmp(Quantity.parse('1Gi'))).toBe(0);
    expect(diagnosis.detail).toMatch(
      /^DataVolume big-disk-data's claim: ResourceQuota disk-quota: requests\.storage short by 4\.4 GiB \(needs 5\.3 GiB, 1 GiB free\)\.$/,
    );
  });

  it('says no node has room for a VM the scheduler cannot place, and what its pod asks for', async () => {
    const view = await diagnosed('huge', 'unschedulable');
    const diagnosis = view.diagnosis!;
    expect(view.printableStatus).toBe('ErrorUnschedulable');
    expect(diagnosis.title).toBe('No node has room for this VM');
    const memory = formatQuantityForHumans(
      'memory',
      Quantity.parse(view.launcherPod!.requests.memory),
    );
    expect(diagnosis.detail).toContain(
      `Its launcher pod asks for ${memory} of memory`,
    );
    expect(diagnosis.detail).toContain(
      'the scheduler says: 0/3 nodes are available: 3 Insufficient memory.',
    );
    expect(diagnosis.fix).toContain('Choose a smaller size');
  });

  it('says a paused VM is paused, and nothing once it runs again', async () => {
    await waitForVmStatus(east, ns, 'pausable', 'Running');
    await runningWithoutDiagnosis('pausable');
    const power = (action: string) =>
      request(server)
        .post('/api/kubevirt/v1/entities/default/component/pausable/power')
        .set({ Authorization: mockCredentials.user.header(OWNER) })
        .send({ action });

    expect((await power('pause')).status).toBe(202);
    const view = await diagnosed('pausable', 'paused');
    expect(view.printableStatus).toBe('Paused');
    expect(view.diagnosis).toMatchObject({
      title: 'The VM is paused',
      evidence: { what: 'condition', name: 'Paused' },
    });
    expect(view.diagnosis!.fix).toContain('Unpause it');

    expect((await power('unpause')).status).toBe(202);
    await runningWithoutDiagnosis('pausable');
  });

  it('names a missing instancetype, and the VM starts once it exists', async () => {
    const view = await diagnosed('no-size', 'missing-instancetype');
    // KubeVirt v1.9 creates no VMI: the VM shows Stopped although it should run.
    expect(view.printableStatus).toBe('Stopped');
    expect(view.diagnosis).toMatchObject({
      title: "The VM's instancetype does not exist",
      evidence: {
        what: 'condition',
        name: 'Failure',
        reason: 'FailedFindInstancetype',
        message:
          'virtualmachineinstancetypes.instancetype.kubevirt.io "team-small" not found',
      },
    });
    expect(view.diagnosis!.detail).toBe(
      `no-size names VirtualMachineInstancetype team-small, which does not exist in namespace ${ns}; KubeVirt creates nothing for the VM until it does.`,
    );

    await applyAsAdmin(east, [
      {
        apiVersion: 'instancetype.kubevirt.io/v1beta1',
        kind: 'VirtualMachineInstancetype',
        metadata: { name: 'team-small', namespace: ns },
        spec: { cpu: { guest: 1 }, memory: { guest: '1Gi' } },
      } as KubernetesObject,
    ]);
    await runningWithoutDiagnosis('no-size');
  });

  it('names a missing preference', async () => {
    const view = await diagnosed('no-preference', 'missing-preference');
    expect(view.diagnosis).toMatchObject({
      title: "The VM's preference does not exist",
      evidence: { reason: 'FailedFindPreference' },
    });
    expect(view.diagnosis!.detail).toContain(
      `VirtualMachinePreference team-os, which does not exist in namespace ${ns}`,
    );
  });

  it("explains a disk import that fails with the importer's error", async () => {
    const view = await diagnosed('bad-url', 'import-failed');
    expect(view.printableStatus).toBe('DataVolumeError');
    expect(view.diagnosis).toMatchObject({
      title: 'A disk of the VM cannot be imported',
      evidence: {
        object: { kind: 'DataVolume', name: 'bad-url-data' },
        name: 'Running',
        reason: 'Error',
      },
    });
    expect(view.diagnosis!.detail).toContain(
      `DataVolume bad-url-data cannot import from ${BAD_URL}: Unable to connect to http data source`,
    );
    expect(view.diagnosis!.detail).toContain('no such host');
    expect(view.diagnosis!.fix).toContain(`Check that ${BAD_URL} is right`);
  });

  it('names the storage class a disk waits for, and the VM starts once the class exists', async () => {
    const view = await diagnosed('classless', 'storage-class');
    expect(view.printableStatus).toBe('Provisioning');
    expect(view.diagnosis).toMatchObject({
      title: "A disk's storage class does not exist",
      evidence: {
        object: { kind: 'DataVolume', name: 'classless-data' },
        name: 'Bound',
        reason: 'ErrClaimNotValid',
      },
    });
    expect(view.diagnosis!.detail).toMatch(
      new RegExp(
        `^DataVolume classless-data asks for storage class ${missingClass}, which cluster ${east.name} does not have`,
      ),
    );
    expect(view.diagnosis!.fix).toContain(
      `Ask the platform team to create storage class ${missingClass}`,
    );

    await applyAsAdmin(east, [
      {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: missingClass },
        provisioner: 'kubevirt.io/simulated',
      } as KubernetesObject,
    ]);
    await runningWithoutDiagnosis('classless');
  });

  it('says a disk waits for its image to be uploaded', async () => {
    const view = await diagnosed('awaits-upload', 'import-waiting');
    expect(view.printableStatus).toBe('Provisioning');
    expect(view.diagnosis).toMatchObject({
      title: "The VM's disks are still being prepared",
      detail:
        'DataVolume awaits-upload-data waits for its disk image to be uploaded (UploadReady).',
    });
    expect(view.diagnosis!.fix).toContain('virtctl image-upload');
  });

  it('names a claim the VM uses that does not exist', async () => {
    const view = await diagnosed('no-claim', 'missing-disk');
    expect(view.printableStatus).toBe('ErrorPvcNotFound');
    expect(view.diagnosis).toMatchObject({
      title: 'A disk the VM uses does not exist',
      detail: `no-claim uses claim gone, which does not exist in namespace ${ns}; KubeVirt does not start the VM without it.`,
      evidence: { name: 'Synchronized', reason: 'FailedPvcNotFound' },
    });
  });
});
