import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  KubeConfig,
  KubernetesObject,
  V1PersistentVolumeClaim,
} from '@kubernetes/client-node';
import {
  cdiRequiredSpace,
  DataVolumeObject,
  KubevirtCondition,
  Quantity,
} from '@vmportal/plugin-kubevirt-common';
import { ensureBinaries } from '../binaries';
import {
  ClusterInfo,
  ControlPlane,
  startControlPlane,
  waitUntil,
} from '../ControlPlane';
import {
  applyObjects,
  KubeRequestError,
  kubeConfigFor,
  kubeRequest,
} from '../kubeClient';
import {
  GOLDEN_IMAGES,
  GOLDEN_IMAGES_NAMESPACE,
  goldenImageObjects,
} from '../seed/goldenImages';
import type { DataImportCron } from './DataImportCronController';
import type { DataSource } from './DataSourceController';
import { runSimulator, RunningSimulator } from './runSimulator';
import type { VirtualMachine } from './types';

// Generous: three imports and two clones on a machine that may be busy.
jest.setTimeout(240_000);

const Gi = 1024 ** 3;
const OVERHEAD = 0.06;
const CDI_API = '/apis/cdi.kubevirt.io/v1beta1';
/** The team namespace of these tests, allowed to clone golden images as the demo's teams are. */
const TEAM = 'team-golden';

/** A quantity in whole bytes (exact for the sizes here, well below 2^53). */
const bytes = (quantity: string | undefined) =>
  Number(Quantity.parse(quantity ?? '0').value());

let dir: string;
let plane: ControlPlane | undefined;
let simulator: RunningSimulator | undefined;
let cluster: ClusterInfo;
let kc: KubeConfig;
const logs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kube-testenv-golden-'));
  const log = (line: string) => logs.push(line);
  const oraclePath = (await ensureBinaries({ log })).oracle;
  plane = await startControlPlane({ dir, clusters: 1, simulator: false, log });
  [cluster] = plane.clusters;
  kc = kubeConfigFor(cluster);
  simulator = await runSimulator({
    clusters: plane.clusters,
    log,
    oraclePath,
    timing: { importMs: 1200 },
  });
  await namespace(TEAM);
}, 300_000);

afterAll(async () => {
  await simulator?.stop();
  await plane?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const get = <T>(path: string) => kubeRequest<T>(kc, 'GET', path);

async function getOrUndefined<T>(path: string): Promise<T | undefined> {
  try {
    return await get<T>(path);
  } catch (error) {
    if (error instanceof KubeRequestError && error.status === 404)
      return undefined;
    throw error;
  }
}

const cdiPath = (plural: string, ns: string, name = '') =>
  `${CDI_API}/namespaces/${ns}/${plural}${name && `/${name}`}`;
const pvcPath = (ns: string, name: string) =>
  `/api/v1/namespaces/${ns}/persistentvolumeclaims/${name}`;

/** A namespace whose default service account exists (launcher pods need it). */
async function namespace(name: string): Promise<string> {
  await kubeRequest(kc, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  await waitUntil(`service account ${name}/default`, 30_000, () =>
    getOrUndefined(`/api/v1/namespaces/${name}/serviceaccounts/default`),
  );
  return name;
}

/** Polls until `check` gives a value; the simulator's log for the namespace explains a timeout. */
async function eventually<T>(
  what: string,
  ns: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  try {
    return await waitUntil(what, timeoutMs, check, 100);
  } catch (error) {
    const said = logs.filter(line => line.includes(`${ns}/`)).join('\n');
    throw new Error(`${(error as Error).message}\nsimulator log:\n${said}`);
  }
}

const condition = (conditions: KubevirtCondition[] | undefined, type: string) =>
  conditions?.find(c => c.type === type);

async function events(ns: string, kind: string, name: string) {
  const list = await get<{
    items: Array<{ reason: string; message: string; type: string }>;
  }>(
    `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(
      `involvedObject.kind=${kind},involvedObject.name=${name}`,
    )}`,
  );
  return list.items;
}

/** A VM whose root disk clones the golden image `image` (with `size`, else sized by CDI). */
function cloningVm(name: string, image: string, size?: string): VirtualMachine {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: TEAM },
    spec: {
      runStrategy: 'Always',
      dataVolumeTemplates: [
        {
          metadata: { name: `${name}-root` },
          spec: {
            sourceRef: {
              kind: 'DataSource',
              name: image,
              namespace: GOLDEN_IMAGES_NAMESPACE,
            },
            storage: size ? { resources: { requests: { storage: size } } } : {},
          },
        },
      ],
      template: {
        spec: {
          domain: {
            cpu: { cores: 1 },
            memory: { guest: '1Gi' },
            devices: {
              disks: [{ name: 'root', disk: { bus: 'virtio' } }],
              interfaces: [{ name: 'default', masquerade: {} }],
            },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes: [{ name: 'root', dataVolume: { name: `${name}-root` } }],
        },
      },
    },
  };
}

/** The golden image's import PVC, once its DataSource is Ready. */
async function readyGoldenImage(name: string) {
  const dataSource = await eventually(
    `DataSource ${GOLDEN_IMAGES_NAMESPACE}/${name} Ready`,
    GOLDEN_IMAGES_NAMESPACE,
    async () => {
      const ds = await getOrUndefined<DataSource>(
        cdiPath('datasources', GOLDEN_IMAGES_NAMESPACE, name),
      );
      return condition(ds?.status?.conditions, 'Ready')?.status === 'True'
        ? ds
        : undefined;
    },
  );
  const source = dataSource.spec.source!.pvc!;
  const pvc = await get<V1PersistentVolumeClaim>(
    pvcPath(source.namespace!, source.name),
  );
  return { dataSource, pvc };
}

describe('golden images in the KubeVirt simulator (CDI v1.65 DataImportCron and DataSource controllers)', () => {
  it("imports the demo seed's golden images once, and points each DataSource at its bound PVC when the import has succeeded", async () => {
    // What a user watching the DataSource and the cron would see, from before the seed is applied.
    const seen = { dataSource: new Set<string>(), upToDate: new Set<string>() };
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [ds, cron] = await Promise.all([
          getOrUndefined<DataSource>(
            cdiPath('datasources', GOLDEN_IMAGES_NAMESPACE, 'fedora'),
          ),
          getOrUndefined<DataImportCron>(
            cdiPath(
              'dataimportcrons',
              GOLDEN_IMAGES_NAMESPACE,
              'fedora-image-cron',
            ),
          ),
        ]);
        const ready = condition(ds?.status?.conditions, 'Ready');
        if (ready) seen.dataSource.add(`${ready.status}/${ready.reason}`);
        const upToDate = condition(cron?.status?.conditions, 'UpToDate');
        if (upToDate)
          seen.upToDate.add(`${upToDate.status}/${upToDate.reason}`);
        await new Promise(resolve => setTimeout(resolve, 50));
      }
    })();
    await applyObjects(kc, goldenImageObjects([TEAM]), 'vmportal-demo-seed');

    try {
      for (const image of GOLDEN_IMAGES) {
        const { dataSource, pvc } = await readyGoldenImage(image.name);
        const cron = await get<DataImportCron>(
          cdiPath(
            'dataimportcrons',
            GOLDEN_IMAGES_NAMESPACE,
            `${image.name}-image-cron`,
          ),
        );
        const digest =
          cron.metadata.annotations?.[
            'cdi.kubevirt.io/storage.import.sourceDesiredDigest'
          ];
        expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        // CDI names the import after the DataSource and the digest's first 12 characters.
        const imported = `${image.name}-${digest!.slice(7, 19)}`;
        expect(cron.status).toMatchObject({
          currentImports: [{ DataVolumeName: imported, Digest: digest }],
          lastImportedPVC: {
            namespace: GOLDEN_IMAGES_NAMESPACE,
            name: imported,
          },
          sourceFormat: 'pvc',
        });
        expect(cron.status?.lastImportTimestamp).toEqual(expect.any(String));
        expect(cron.status?.lastExecutionTimestamp).toEqual(expect.any(String));
        expect(condition(cron.status?.conditions, 'Progressing')).toMatchObject(
          { status: 'False', reason: 'NoImport', message: 'No current import' },
        );
        expect(condition(cron.status?.conditions, 'UpToDate')).toMatchObject({
          status: 'True',
          reason: 'UpToDate',
          message: 'Latest import is up to date',
        });

        expect(dataSource.spec.source).toEqual({
          pvc: { namespace: GOLDEN_IMAGES_NAMESPACE, name: imported },
        });
        expect(dataSource.status?.source).toEqual(dataSource.spec.source);
        expect(condition(dataSource.status?.conditions, 'Ready')).toMatchObject(
          {
            reason: 'Ready',
            message: 'DataSource is ready to be consumed',
          },
        );
        expect(dataSource.metadata.labels).toMatchObject({
          'cdi.kubevirt.io/dataImportCron': `${image.name}-image-cron`,
          'instancetype.kubevirt.io/default-instancetype': image.instancetype,
          'instancetype.kubevirt.io/default-preference': image.preference,
        });

        const dv = await get<DataVolumeObject>(
          cdiPath('datavolumes', GOLDEN_IMAGES_NAMESPACE, imported),
        );
        expect(dv.status?.phase).toBe('Succeeded');
        expect(dv.metadata.labels).toMatchObject({
          'cdi.kubevirt.io/dataImportCron': `${image.name}-image-cron`,
          'app.kubernetes.io/managed-by': 'cdi-controller',
          'instancetype.kubevirt.io/default-preference': image.preference,
        });
        // The import pins the image by digest, without its tag.
        expect(dv.spec.source?.registry?.url).toBe(
          `${image.url.replace(/:[^:/]+$/, '')}@${digest}`,
        );
        expect(pvc.status?.phase).toBe('Bound');
        expect(pvc.metadata?.labels?.['cdi.kubevirt.io/dataImportCron']).toBe(
          `${image.name}-image-cron`,
        );
        // CDI adds its 6% filesystem overhead to the cron's storage request.
        const requested = bytes(pvc.spec?.resources?.requests?.storage);
        expect(requested).toBe(cdiRequiredSpace(OVERHEAD, bytes(image.size)));
        process.stdout.write(
          `golden image ${image.name}: import ${imported}, PVC ${requested} bytes for ${image.size}\n`,
        );
      }
    } finally {
      watching = false;
      await watcher;
    }
    // The DataSource points nowhere until the first import has succeeded (CDI's NoSource).
    expect([...seen.dataSource]).toEqual(['False/NoSource', 'True/Ready']);
    expect(seen.upToDate).toContain('False/ImportProgressing');
    expect(seen.upToDate).toContain('True/UpToDate');
  });

  it("lets the team namespaces' service accounts clone from kubevirt-os-images, and no one else", async () => {
    const mayClone = async (ns: string) => {
      const review = await kubeRequest<{ status?: { allowed?: boolean } }>(
        kc,
        'POST',
        '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            // What CDI asks for a clone on behalf of a VM's service account.
            user: `system:serviceaccount:${ns}:default`,
            groups: [
              'system:serviceaccounts',
              `system:serviceaccounts:${ns}`,
              'system:authenticated',
            ],
            resourceAttributes: {
              namespace: GOLDEN_IMAGES_NAMESPACE,
              verb: 'create',
              group: 'cdi.kubevirt.io',
              resource: 'datavolumes',
              subresource: 'source',
            },
          },
        },
      );
      return review.status?.allowed === true;
    };
    await eventually(
      'the clone permission',
      GOLDEN_IMAGES_NAMESPACE,
      async () => (await mayClone(TEAM)) || undefined,
    );
    expect(await mayClone('someone-else')).toBe(false);

    // The default instancetypes and preferences the images name are the cluster's.
    for (const image of GOLDEN_IMAGES) {
      await get(
        `/apis/instancetype.kubevirt.io/v1beta1/virtualmachineclusterinstancetypes/${image.instancetype}`,
      );
      await get(
        `/apis/instancetype.kubevirt.io/v1beta1/virtualmachineclusterpreferences/${image.preference}`,
      );
    }
  });

  it('runs a VM in a team namespace on a clone of a golden image, sized as its source unless the VM asks for more', async () => {
    const { pvc: source } = await readyGoldenImage('fedora');
    const sourceName = source.metadata!.name!;
    for (const vm of [
      cloningVm('from-golden', 'fedora'),
      cloningVm('from-golden-20g', 'fedora', '20Gi'),
    ]) {
      await kubeRequest(
        kc,
        'POST',
        `/apis/kubevirt.io/v1/namespaces/${TEAM}/virtualmachines`,
        vm,
      );
    }
    for (const name of ['from-golden', 'from-golden-20g']) {
      await eventually(`VM ${TEAM}/${name} Running`, TEAM, async () => {
        const vm = await get<VirtualMachine>(
          `/apis/kubevirt.io/v1/namespaces/${TEAM}/virtualmachines/${name}`,
        );
        return vm.status?.printableStatus === 'Running' ? vm : undefined;
      });
      const dv = await get<DataVolumeObject>(
        cdiPath('datavolumes', TEAM, `${name}-root`),
      );
      // KubeVirt resolves the DataSource into the DataVolume's source.
      expect(dv.spec.sourceRef).toBeUndefined();
      expect(dv.spec.source?.pvc).toEqual({
        namespace: GOLDEN_IMAGES_NAMESPACE,
        name: sourceName,
      });
      expect(dv.status?.phase).toBe('Succeeded');
      expect(dv.metadata.annotations?.['cdi.kubevirt.io/cloneType']).toBe(
        'copy',
      );
      expect(dv.metadata.labels).toMatchObject({
        'instancetype.kubevirt.io/default-instancetype': 'u1.small',
        'instancetype.kubevirt.io/default-preference': 'fedora',
      });
      const said = await events(TEAM, 'DataVolume', `${name}-root`);
      const from = `${GOLDEN_IMAGES_NAMESPACE}/${sourceName}`;
      const into = `${TEAM}/${name}-root`;
      expect(said.map(e => [e.reason, e.message])).toEqual(
        expect.arrayContaining([
          ['CloneScheduled', `Cloning from ${from} into ${into} scheduled`],
          ['CloneInProgress', `Cloning from ${from} into ${into} in progress`],
          ['CloneSucceeded', `Successfully cloned from ${from} into ${into}`],
        ]),
      );
    }

    const sizeOf = async (name: string) =>
      bytes(
        (await get<V1PersistentVolumeClaim>(pvcPath(TEAM, name))).spec
          ?.resources?.requests?.storage,
      );
    const sourceBytes = bytes(source.spec?.resources?.requests?.storage);
    // Without a size, CDI sizes the clone for the source image (5Gi) plus the overhead.
    expect(await sizeOf('from-golden-root')).toBe(sourceBytes);
    expect(await sizeOf('from-golden-20g-root')).toBe(
      cdiRequiredSpace(OVERHEAD, 20 * Gi),
    );
    process.stdout.write(
      `clones of ${sourceBytes} bytes: ${await sizeOf(
        'from-golden-root',
      )} (no size), ${await sizeOf('from-golden-20g-root')} (20Gi)\n`,
    );
  });

  it('clones a DataVolume that names the DataSource itself, resolving it as CDI does', async () => {
    const { pvc: source } = await readyGoldenImage('ubuntu');
    await kubeRequest(kc, 'POST', cdiPath('datavolumes', TEAM), {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: { name: 'ubuntu-disk' },
      spec: {
        sourceRef: {
          kind: 'DataSource',
          name: 'ubuntu',
          namespace: GOLDEN_IMAGES_NAMESPACE,
        },
        storage: {},
      },
    });
    const dv = await eventually(
      'DataVolume ubuntu-disk Succeeded',
      TEAM,
      async () => {
        const current = await get<DataVolumeObject>(
          cdiPath('datavolumes', TEAM, 'ubuntu-disk'),
        );
        return current.status?.phase === 'Succeeded' ? current : undefined;
      },
    );
    expect(dv.spec.sourceRef?.name).toBe('ubuntu');
    const pvc = await get<V1PersistentVolumeClaim>(
      pvcPath(TEAM, 'ubuntu-disk'),
    );
    expect(pvc.metadata?.annotations?.['k8s.io/CloneRequest']).toBe(
      `${GOLDEN_IMAGES_NAMESPACE}/${source.metadata!.name}`,
    );
    expect(bytes(pvc.spec?.resources?.requests?.storage)).toBe(
      bytes(source.spec?.resources?.requests?.storage),
    );
  });

  it("keeps a DataSource whose PVC is missing not Ready, with CDI's reason, until the PVC exists", async () => {
    const ns = await namespace('golden-missing');
    const objects: KubernetesObject[] = [
      {
        apiVersion: 'cdi.kubevirt.io/v1beta1',
        kind: 'DataSource',
        metadata: { name: 'missing', namespace: ns },
        spec: { source: { pvc: { namespace: ns, name: 'no-such-disk' } } },
      } as KubernetesObject,
      {
        apiVersion: 'cdi.kubevirt.io/v1beta1',
        kind: 'DataSource',
        metadata: { name: 'alias', namespace: ns },
        spec: { source: { dataSource: { namespace: ns, name: 'missing' } } },
      } as KubernetesObject,
      {
        apiVersion: 'cdi.kubevirt.io/v1beta1',
        kind: 'DataSource',
        metadata: { name: 'empty', namespace: ns },
        spec: { source: {} },
      } as KubernetesObject,
    ];
    await applyObjects(kc, objects);
    const readyOf = (name: string, status: 'True' | 'False') =>
      eventually(`DataSource ${ns}/${name} Ready=${status}`, ns, async () => {
        const ds = await get<DataSource>(cdiPath('datasources', ns, name));
        const ready = condition(ds.status?.conditions, 'Ready');
        return ready?.status === status ? { ds, ready } : undefined;
      });

    const missing = await readyOf('missing', 'False');
    expect(missing.ready).toMatchObject({
      reason: 'NotFound',
      message: 'PVC not found',
    });
    expect(missing.ds.status?.source).toEqual({});
    expect((await readyOf('alias', 'False')).ready.reason).toBe('NotFound');
    expect((await readyOf('empty', 'False')).ready).toMatchObject({
      reason: 'NoSource',
      message: 'No source PVC set',
    });

    await kubeRequest(
      kc,
      'POST',
      `/api/v1/namespaces/${ns}/persistentvolumeclaims`,
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'no-such-disk' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '1Gi' } },
        },
      },
    );
    const found = await readyOf('missing', 'True');
    expect(found.ready.reason).toBe('Ready');
    expect(found.ds.status?.source).toEqual({
      pvc: { namespace: ns, name: 'no-such-disk' },
    });
    // A DataSource naming another resolves to that one's source.
    expect((await readyOf('alias', 'True')).ds.status?.source).toEqual({
      pvc: { namespace: ns, name: 'no-such-disk' },
    });
  });
});
