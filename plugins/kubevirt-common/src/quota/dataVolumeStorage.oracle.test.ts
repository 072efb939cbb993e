/**
 * @jest-environment node
 */
/* eslint-disable @backstage/no-mixed-plugin-imports */
// Test-only: the oracle is a Go program that runs CDI v1.65.0's own DataVolume
// controllers; kube-testenv builds it.
import { ensureBinaries } from '@vmportal/kube-testenv';
import {
  DataVolumeOracle,
  DataVolumeOracleAnswer,
  DataVolumeOracleClaim,
} from '@vmportal/kube-testenv/testing';
import { Quantity } from '../kube/Quantity';
import type {
  PersistentVolumeClaimObject,
  StorageClassObject,
  VolumeSnapshotObject,
} from '../kube/kubernetesObjects';
import type {
  CdiConfigObject,
  StorageProfileObject,
} from '../kube/kubevirtObjects';
import { buildVirtualMachineObjects } from '../render/buildVirtualMachineObjects';
import { validateVirtualMachineRequest } from '../request/validateVirtualMachineRequest';
import { SizeCatalog } from '../sizes/SizeCatalog';
import { cloneSourceOf, CloneSourceInfo } from './cloneSource';
import {
  claimQuotaUsage,
  diskClaimPlan,
  DiskClaimPlan,
} from './dataVolumeStorage';
import { planQuota } from './planQuota';
import { storageClassInfo } from './storageClassInfo';

jest.setTimeout(120_000);

const NS = 'team-a';
const IMAGES = 'os-images';

// ---------------------------------------------------------------------------
// The cluster: objects as a cluster with CDI v1.65 holds them. Both sides read the
// same objects: the oracle as they are, the plan through storageClassInfo and
// cloneSourceOf.

interface ClassSpec {
  provisioner: string;
  csi: boolean;
  binding?: 'Immediate' | 'WaitForFirstConsumer';
  /** The StorageProfile's claimPropertySets; undefined: an empty status. */
  sets?: Array<{ volumeMode?: string; accessModes: string[] }>;
  minimum?: string;
  annotations?: Record<string, string>;
  created?: string;
}

const CLASSES: Record<string, ClassSpec> = {
  standard: {
    provisioner: 'standard.csi.vmportal.test',
    csi: true,
    sets: [{ volumeMode: 'Filesystem', accessModes: ['ReadWriteOnce'] }],
    annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
  },
  'ceph-rbd': {
    provisioner: 'rbd.csi.ceph.com',
    csi: true,
    binding: 'WaitForFirstConsumer',
    sets: [
      { volumeMode: 'Block', accessModes: ['ReadWriteMany'] },
      { volumeMode: 'Filesystem', accessModes: ['ReadWriteOnce'] },
    ],
  },
  'local-path': {
    provisioner: 'rancher.io/local-path',
    csi: false,
    binding: 'WaitForFirstConsumer',
    sets: [{ volumeMode: 'Filesystem', accessModes: ['ReadWriteOnce'] }],
  },
  nfs: {
    provisioner: 'nfs.csi.k8s.io',
    csi: true,
    sets: [{ volumeMode: 'Filesystem', accessModes: ['ReadWriteMany'] }],
  },
  tiny: {
    provisioner: 'tiny.csi.vmportal.test',
    csi: true,
    sets: [{ volumeMode: 'Filesystem', accessModes: ['ReadWriteOnce'] }],
    minimum: '4Gi',
  },
  'no-profile': { provisioner: 'mystery.example.com/disk', csi: true },
};

interface Cluster {
  classes: Record<string, ClassSpec>;
  /** CDIConfig status.filesystemOverhead.global (default 0.06). */
  globalOverhead?: string;
  /** Per-class overheads the CDIConfig spec names (the rest take the global one). */
  classOverheads?: Record<string, string>;
  scratchSpaceStorageClass?: string;
}

const CLUSTER: Cluster = {
  classes: CLASSES,
  classOverheads: { nfs: '0.1' },
};

function storageClassObject(
  name: string,
  spec: ClassSpec,
): StorageClassObject & { apiVersion: string; kind: string } {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name,
      annotations: spec.annotations ?? {},
      creationTimestamp: spec.created ?? '2026-01-01T00:00:00Z',
    },
    provisioner: spec.provisioner,
    volumeBindingMode: spec.binding ?? 'Immediate',
  };
}

function profileObject(
  name: string,
  spec: ClassSpec,
): StorageProfileObject & { apiVersion: string; kind: string } {
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'StorageProfile',
    metadata: {
      name,
      ...(spec.minimum && {
        annotations: {
          'cdi.kubevirt.io/minimumSupportedPvcSize': spec.minimum,
        },
      }),
    },
    status: {
      storageClass: name,
      provisioner: spec.provisioner,
      ...(spec.sets && { claimPropertySets: spec.sets }),
    },
  };
}

/** The CDIConfig status as CDI's config controller writes it (reconcileFilesystemOverhead). */
function cdiConfigObject(
  cluster: Cluster,
): CdiConfigObject & { apiVersion: string; kind: string } {
  const global = cluster.globalOverhead ?? '0.06';
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'CDIConfig',
    metadata: { name: 'config' },
    status: {
      filesystemOverhead: {
        global,
        storageClass: Object.fromEntries(
          Object.keys(cluster.classes).map(name => [
            name,
            cluster.classOverheads?.[name] ?? global,
          ]),
        ),
      },
      ...(cluster.scratchSpaceStorageClass && {
        scratchSpaceStorageClass: cluster.scratchSpaceStorageClass,
      }),
    },
  };
}

type SourceObject =
  | ({ kind: 'PersistentVolumeClaim' } & PersistentVolumeClaimObject)
  | ({ kind: 'VolumeSnapshot' } & VolumeSnapshotObject);

function sourceClaim(
  name: string,
  storageClass: string,
  volumeMode: 'Filesystem' | 'Block',
  requested: string,
  capacity: string,
  annotations: Record<string, string> = {},
  namespace = IMAGES,
): SourceObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace,
      annotations: {
        'cdi.kubevirt.io/storage.contentType': 'kubevirt',
        ...annotations,
      },
    },
    spec: {
      storageClassName: storageClass,
      volumeMode,
      accessModes: [volumeMode === 'Block' ? 'ReadWriteMany' : 'ReadWriteOnce'],
      resources: { requests: { storage: requested } },
    },
    status: { phase: 'Bound', capacity: { storage: capacity } },
  };
}

/** The DataSources of os-images and what they point at. */
const GOLDEN: Record<string, SourceObject> = {
  // A Block golden image on Ceph RBD (what most production clusters have).
  fedora: sourceClaim('fedora-42', 'ceph-rbd', 'Block', '5Gi', '5Gi'),
  // A Filesystem golden image whose capacity exceeds its request.
  ubuntu: sourceClaim('ubuntu-24', 'ceph-rbd', 'Block', '5Gi', '6Gi'),
  // A Filesystem golden image CDI has not measured yet.
  centos: sourceClaim('centos-9', 'standard', 'Filesystem', '10Gi', '10Gi'),
  // The same after a first clone: the size-detection pod's result is annotated.
  'centos-measured': sourceClaim(
    'centos-9-measured',
    'standard',
    'Filesystem',
    '10Gi',
    '10Gi',
    {
      'cdi.Kubervirt.io/virtualSize': '8589934592',
      'cdi.Kubervirt.io/sourceCapacity': '10Gi',
    },
  ),
  // Measured, but its capacity has grown since: CDI measures it again.
  'centos-grown': sourceClaim(
    'centos-9-grown',
    'standard',
    'Filesystem',
    '10Gi',
    '12Gi',
    {
      'cdi.Kubervirt.io/virtualSize': '8589934592',
      'cdi.Kubervirt.io/sourceCapacity': '10Gi',
    },
  ),
  // A snapshot of a Ceph RBD volume.
  rhel: {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: { name: 'rhel-9', namespace: IMAGES },
    spec: {
      source: { persistentVolumeClaimName: 'rhel-9-import' },
      volumeSnapshotClassName: 'rbd-snapshots',
    },
    status: { readyToUse: true, restoreSize: '7Gi' },
  },
};

function goldenObjects(): object[] {
  const objects: object[] = [
    {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotClass',
      metadata: { name: 'rbd-snapshots' },
      driver: 'rbd.csi.ceph.com',
      deletionPolicy: 'Delete',
    },
    {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotContent',
      metadata: { name: 'snapcontent-rhel-9' },
      spec: {
        driver: 'rbd.csi.ceph.com',
        deletionPolicy: 'Delete',
        source: { snapshotHandle: 'rhel-9-handle' },
        sourceVolumeMode: 'Block',
        volumeSnapshotRef: { name: 'rhel-9', namespace: IMAGES },
      },
    },
  ];
  for (const [name, source] of Object.entries(GOLDEN)) {
    const status =
      source.kind === 'VolumeSnapshot'
        ? {
            ...source.status,
            boundVolumeSnapshotContentName: 'snapcontent-rhel-9',
          }
        : source.status;
    objects.push({ ...source, status });
    objects.push({
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataSource',
      metadata: { name, namespace: IMAGES },
      spec: {
        source:
          source.kind === 'VolumeSnapshot'
            ? { snapshot: { name: source.metadata.name, namespace: IMAGES } }
            : { pvc: { name: source.metadata.name, namespace: IMAGES } },
      },
    });
  }
  return objects;
}

function clusterObjects(cluster: Cluster): object[] {
  const objects: object[] = [cdiConfigObject(cluster)];
  for (const [name, spec] of Object.entries(cluster.classes)) {
    objects.push(storageClassObject(name, spec));
    objects.push(profileObject(name, spec));
    if (spec.csi) {
      objects.push({
        apiVersion: 'storage.k8s.io/v1',
        kind: 'CSIDriver',
        metadata: { name: spec.provisioner },
      });
    }
  }
  return [...objects, ...goldenObjects()];
}

/** The plan's view of the same cluster. */
function planView(cluster: Cluster) {
  const csiDrivers = Object.values(cluster.classes)
    .filter(c => c.csi)
    .map(c => c.provisioner);
  return {
    storageClasses: Object.entries(cluster.classes).map(([name, spec]) =>
      storageClassInfo(
        storageClassObject(name, spec),
        profileObject(name, spec),
        csiDrivers,
      ),
    ),
    cdiConfig: cdiConfigObject(cluster),
  };
}

// ---------------------------------------------------------------------------
// Shapes.

interface Shape {
  title: string;
  source: 'blank' | 'registry' | 'http' | 'clone';
  size?: string;
  storageClass?: string;
  /** The DataSource in os-images, for clones. */
  dataSource?: string;
  /** The VM's namespace (default team-a). */
  namespace?: string;
  /** `storage.volumeMode` / `storage.accessModes` of the DataVolume (not in the request form). */
  volumeMode?: 'Filesystem' | 'Block';
  accessModes?: string[];
  cluster?: Cluster;
  /** What CDI does besides creating claims: refuses, or its populator refuses. */
  expect?: 'refused' | 'populatorRefuses' | 'unknownSize';
  /** The words of CDI's refusal the plan must repeat. */
  cdiSays?: string;
}

const SHAPES: Shape[] = [
  // Blank disks.
  {
    title: 'blank 10Gi, default class (CSI, Filesystem)',
    source: 'blank',
    size: '10Gi',
  },
  {
    title: 'blank 10Gi on Block Ceph RBD (no overhead)',
    source: 'blank',
    size: '10Gi',
    storageClass: 'ceph-rbd',
  },
  { title: 'blank 10G (decimal unit)', source: 'blank', size: '10G' },
  {
    title: 'blank 1500M (not MiB-aligned)',
    source: 'blank',
    size: '1500M',
  },
  { title: 'blank 2.5Gi', source: 'blank', size: '2.5Gi' },
  { title: 'blank 1Mi (the smallest)', source: 'blank', size: '1Mi' },
  {
    title: 'blank on nfs: per-class overhead 0.1, RWX',
    source: 'blank',
    size: '20Gi',
    storageClass: 'nfs',
  },
  {
    title: 'blank 1Gi on tiny: the StorageProfile minimum 4Gi wins',
    source: 'blank',
    size: '1Gi',
    storageClass: 'tiny',
  },
  {
    title: 'blank 5Gi on tiny: above the minimum',
    source: 'blank',
    size: '5Gi',
    storageClass: 'tiny',
  },
  {
    title: "blank on local-path: no CSI driver, no PVC'",
    source: 'blank',
    size: '10Gi',
    storageClass: 'local-path',
  },
  {
    title: 'blank on a class whose StorageProfile names no access modes',
    source: 'blank',
    size: '10Gi',
    storageClass: 'no-profile',
    expect: 'refused',
    cdiSays: 'no accessMode specified in StorageProfile',
  },
  {
    title: 'blank, DataVolume asks Block on a Filesystem-only profile',
    source: 'blank',
    size: '10Gi',
    storageClass: 'standard',
    volumeMode: 'Block',
    expect: 'refused',
    cdiSays: 'no matching accessMode specified in StorageProfile',
  },
  {
    title: 'blank, DataVolume asks Block on Ceph RBD',
    source: 'blank',
    size: '10Gi',
    storageClass: 'ceph-rbd',
    volumeMode: 'Block',
  },
  {
    title:
      'blank, DataVolume asks Filesystem on Ceph RBD (second claimPropertySet)',
    source: 'blank',
    size: '10Gi',
    storageClass: 'ceph-rbd',
    volumeMode: 'Filesystem',
  },
  {
    title: 'blank, DataVolume asks RWO on Ceph RBD: the Filesystem set has it',
    source: 'blank',
    size: '10Gi',
    storageClass: 'ceph-rbd',
    accessModes: ['ReadWriteOnce'],
  },
  {
    title: 'blank, DataVolume asks RWX + Filesystem on standard: as asked',
    source: 'blank',
    size: '10Gi',
    storageClass: 'standard',
    volumeMode: 'Filesystem',
    accessModes: ['ReadWriteMany'],
  },
  {
    title: 'blank, default virt class wins over the default class',
    source: 'blank',
    size: '10Gi',
    cluster: {
      ...CLUSTER,
      classes: {
        ...CLASSES,
        nfs: {
          ...CLASSES.nfs,
          annotations: {
            'storageclass.kubevirt.io/is-default-virt-class': 'true',
          },
        },
      },
    },
  },
  {
    title: 'blank, two default classes: the newest wins',
    source: 'blank',
    size: '10Gi',
    cluster: {
      ...CLUSTER,
      classes: {
        ...CLASSES,
        'ceph-rbd': {
          ...CLASSES['ceph-rbd'],
          annotations: {
            'storageclass.kubernetes.io/is-default-class': 'true',
          },
          created: '2026-06-01T00:00:00Z',
        },
      },
    },
  },
  {
    title: 'blank, global overhead 0.1 and standard at 0',
    source: 'blank',
    size: '10Gi',
    cluster: {
      ...CLUSTER,
      globalOverhead: '0.1',
      classOverheads: { standard: '0' },
    },
  },
  // Imports.
  {
    title: "registry 30Gi on standard: PVC' and scratch",
    source: 'registry',
    size: '30Gi',
  },
  {
    title: 'registry 30Gi on Block Ceph RBD: scratch is Filesystem',
    source: 'registry',
    size: '30Gi',
    storageClass: 'ceph-rbd',
  },
  {
    title: "registry 30Gi on local-path: scratch, no PVC'",
    source: 'registry',
    size: '30Gi',
    storageClass: 'local-path',
  },
  {
    title: 'registry 30Gi with scratchSpaceStorageClass nfs',
    source: 'registry',
    size: '30Gi',
    cluster: { ...CLUSTER, scratchSpaceStorageClass: 'nfs' },
  },
  {
    title: 'registry 1Gi on tiny: scratch from the minimum',
    source: 'registry',
    size: '1Gi',
    storageClass: 'tiny',
  },
  {
    title: 'http 20Gi on standard: scratch when the image needs converting',
    source: 'http',
    size: '20Gi',
  },
  {
    title: 'http 12345679k on nfs (not MiB-aligned)',
    source: 'http',
    size: '12345679k',
    storageClass: 'nfs',
  },
  // Clones of a DataSource.
  {
    title:
      'clone of a Block image, no size: its capacity plus overhead on standard',
    source: 'clone',
    dataSource: 'fedora',
  },
  {
    title:
      'clone of a Block image, no size, on Ceph RBD: its capacity as it is',
    source: 'clone',
    dataSource: 'fedora',
    storageClass: 'ceph-rbd',
  },
  {
    title: 'clone of a Block image whose capacity exceeds its request, no size',
    source: 'clone',
    dataSource: 'ubuntu',
    storageClass: 'ceph-rbd',
  },
  {
    title: 'clone of a Block image, 30Gi on standard',
    source: 'clone',
    dataSource: 'fedora',
    size: '30Gi',
  },
  {
    title: 'clone of a Block image, 30Gi on Ceph RBD',
    source: 'clone',
    dataSource: 'fedora',
    size: '30Gi',
    storageClass: 'ceph-rbd',
  },
  {
    title: 'clone of a Block image, 1Gi: smaller than the source',
    source: 'clone',
    dataSource: 'fedora',
    size: '1Gi',
    expect: 'refused',
    cdiSays:
      'target resources requests storage size is smaller than the source',
  },
  {
    title:
      'clone of a Block image, 1Gi on tiny: the minimum 4Gi is still smaller',
    source: 'clone',
    dataSource: 'fedora',
    size: '1Gi',
    storageClass: 'tiny',
    expect: 'refused',
    cdiSays:
      'target resources requests storage size is smaller than the source',
  },
  {
    title:
      'clone of an unmeasured Filesystem image, no size: CDI measures it first',
    source: 'clone',
    dataSource: 'centos',
    expect: 'unknownSize',
  },
  {
    title:
      'clone of a measured Filesystem image whose claim has grown since: measured again',
    source: 'clone',
    dataSource: 'centos-grown',
    expect: 'unknownSize',
  },
  {
    title:
      'clone of a measured Filesystem image, no size: virtual size plus overhead',
    source: 'clone',
    dataSource: 'centos-measured',
  },
  {
    title: 'clone of a measured Filesystem image, no size, Block target',
    source: 'clone',
    dataSource: 'centos-measured',
    storageClass: 'ceph-rbd',
  },
  {
    title:
      'clone of a Filesystem image, 9728Mi: with overhead above the source',
    source: 'clone',
    dataSource: 'centos',
    size: '9728Mi',
  },
  {
    title:
      'clone of a Filesystem image, 9Gi: with overhead still below the source',
    source: 'clone',
    dataSource: 'centos',
    size: '9Gi',
    expect: 'populatorRefuses',
    cdiSays:
      'target resources requests storage size is smaller than the source',
  },
  {
    title:
      'clone of a measured Filesystem image, 9Gi on Block: holds the image',
    source: 'clone',
    dataSource: 'centos-measured',
    size: '9Gi',
    storageClass: 'ceph-rbd',
  },
  {
    title:
      'clone of a Block image into local-path (host-assisted, no populator)',
    source: 'clone',
    dataSource: 'fedora',
    size: '30Gi',
    storageClass: 'local-path',
  },
  {
    title: 'clone of a snapshot, no size: its restore size as it is',
    source: 'clone',
    dataSource: 'rhel',
  },
  {
    title: 'clone of a snapshot, 20Gi on Ceph RBD',
    source: 'clone',
    dataSource: 'rhel',
    size: '20Gi',
    storageClass: 'ceph-rbd',
  },
  {
    title: 'clone of a snapshot, 1Gi: smaller than its restore size',
    source: 'clone',
    dataSource: 'rhel',
    size: '1Gi',
    storageClass: 'ceph-rbd',
    expect: 'refused',
    cdiSays:
      'target resources requests storage size is smaller than the source',
  },
  {
    title:
      "clone in the source's own namespace: its temporary claim counts there",
    source: 'clone',
    dataSource: 'fedora',
    size: '30Gi',
    namespace: IMAGES,
  },
];

// ---------------------------------------------------------------------------
// Both sides.

/** The DataVolume the portal renders for the shape (the VM's dataVolumeTemplates entry). */
function dataVolumeOf(shape: Shape) {
  const namespace = shape.namespace ?? NS;
  const storage = {
    ...(shape.size && { size: shape.size }),
    ...(shape.storageClass && { storageClass: shape.storageClass }),
  };
  const images: Record<Shape['source'], object> = {
    clone: { dataSource: { name: shape.dataSource, namespace: IMAGES } },
    registry: {
      registry: { url: 'docker://quay.io/containerdisks/fedora:41' },
    },
    http: { http: { url: 'https://images.example.com/fedora.qcow2' } },
    blank: { containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
  };
  const image = {
    ...images[shape.source],
    ...(shape.source !== 'blank' && storage),
  };
  const request = validateVirtualMachineRequest({
    name: 'vm1',
    namespace,
    cluster: 'dev',
    owner: 'group:default/team-a',
    size: { instancetype: { name: 'u1.medium' } },
    image,
    disks: shape.source === 'blank' ? [{ name: 'data', ...storage }] : [],
  });
  const [vm] = buildVirtualMachineObjects(request);
  const templates = (
    vm.spec as {
      dataVolumeTemplates: Array<{ metadata: { name: string }; spec: any }>;
    }
  ).dataVolumeTemplates;
  const template = templates[0];
  const spec = structuredClone(template.spec);
  if (shape.volumeMode) spec.storage.volumeMode = shape.volumeMode;
  if (shape.accessModes) spec.storage.accessModes = shape.accessModes;
  return {
    request,
    dataVolume: { metadata: { name: template.metadata.name, namespace }, spec },
  };
}

function cloneSourceFor(shape: Shape): CloneSourceInfo | undefined {
  return shape.dataSource ? cloneSourceOf(GOLDEN[shape.dataSource]) : undefined;
}

function planOf(shape: Shape): DiskClaimPlan {
  const cluster = shape.cluster ?? CLUSTER;
  return diskClaimPlan({
    ...planView(cluster),
    disk: shape.source === 'blank' ? 'data' : 'rootdisk',
    dataVolume: 'vm1-x',
    source: shape.source,
    size: shape.size,
    storageClass: shape.storageClass,
    volumeMode: shape.volumeMode,
    accessModes: shape.accessModes,
    namespace: shape.namespace ?? NS,
    cloneSourceNamespace: shape.dataSource ? IMAGES : undefined,
    cloneSource: cloneSourceFor(shape),
  });
}

type Usage = Record<string, string>;

/** What a ResourceQuota of the VM's namespace counts of CDI's claims there, written out here. */
function oracleUsage(
  claims: DataVolumeOracleClaim[],
  namespace: string,
): Usage {
  const sums = new Map<string, bigint>();
  const add = (key: string, amount: bigint) =>
    sums.set(key, (sums.get(key) ?? 0n) + amount);
  for (const claim of claims) {
    if (claim.namespace !== namespace) continue;
    const bytes = BigInt(claim.storageBytes ?? 0);
    add('requests.storage', bytes);
    add('persistentvolumeclaims', 1n);
    add('count/persistentvolumeclaims', 1n);
    if (claim.storageClassName) {
      add(
        `${claim.storageClassName}.storageclass.storage.k8s.io/requests.storage`,
        bytes,
      );
      add(
        `${claim.storageClassName}.storageclass.storage.k8s.io/persistentvolumeclaims`,
        1n,
      );
    }
  }
  return Object.fromEntries([...sums].map(([k, v]) => [k, String(v)]).sort());
}

/** What the plan counts for the disk: its claim and its temporary claims, as planQuota adds them. */
function planUsage(disk: DiskClaimPlan): Usage {
  const sums = new Map<string, Quantity>();
  const claims = [
    claimQuotaUsage(disk.storageClass, disk.claim),
    ...disk.temporaryClaims.map(t => claimQuotaUsage(t.storageClass, t.size)),
  ];
  for (const usage of claims) {
    for (const [key, amount] of Object.entries(usage)) {
      sums.set(key, sums.get(key)?.add(amount) ?? amount);
    }
  }
  return Object.fromEntries(
    [...sums].map(([k, v]) => [k, String(v.value())]).sort(),
  );
}

describe('diskClaimPlan against CDI v1.65.0 (cdioracle)', () => {
  let oracle: DataVolumeOracle;
  const answers = new Map<string, DataVolumeOracleAnswer>();

  beforeAll(async () => {
    const binaries = await ensureBinaries();
    oracle = new DataVolumeOracle(binaries.cdioracle);
    for (const shape of SHAPES) {
      const { dataVolume } = dataVolumeOf(shape);
      answers.set(
        shape.title,
        await oracle.render({
          dataVolume,
          objects: clusterObjects(shape.cluster ?? CLUSTER),
        }),
      );
    }
  });

  afterAll(async () => {
    await oracle?.stop();
  });

  it('has at least 30 shapes', () => {
    expect(SHAPES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(SHAPES.map(s => [s.title, s] as const))('%s', (_title, shape) => {
    const answer = answers.get(shape.title)!;
    const disk = planOf(shape);
    const namespace = shape.namespace ?? NS;
    const target = answer.claims.find(c => c.role === 'target');
    // CDI's words, or the phrase the shape expects when they contain it.
    const phrase = (text: string | undefined) =>
      text !== undefined && shape.cdiSays && text.includes(shape.cdiSays)
        ? shape.cdiSays
        : text;
    const cdiSays =
      answer.refusal?.reason === 'SizeDetectionPending'
        ? 'size unknown'
        : phrase(answer.refusal?.message ?? answer.populatorError);
    const cdi = {
      says: cdiSays,
      claim: target && {
        storageClass: target.storageClassName,
        volumeMode: target.volumeMode ?? 'Filesystem',
        accessModes: target.accessModes,
        bytes: String(target.storageBytes),
      },
      // Every key a ResourceQuota of the VM's namespace counts, at the import's peak.
      usage: target && oracleUsage(answer.claims, namespace),
    };
    const plan = {
      says: disk.unknown ? 'size unknown' : phrase(disk.problem),
      claim: target && {
        storageClass: disk.storageClass,
        volumeMode: disk.volumeMode,
        accessModes: disk.accessModes,
        bytes: String(disk.claim.value()),
      },
      usage: target && planUsage(disk),
    };
    expect(plan).toEqual(cdi);
    // The shape shows what its title says.
    expect({ says: cdi.says, created: target !== undefined }).toEqual({
      says: shape.expect === 'unknownSize' ? 'size unknown' : shape.cdiSays,
      created: shape.expect !== 'refused' && shape.expect !== 'unknownSize',
    });
  });

  it('leaves a size it cannot tell at zero and says why', () => {
    const disk = planOf(SHAPES.find(s => s.expect === 'unknownSize')!);
    expect([disk.claim.toString(), disk.unknown]).toEqual([
      '0',
      expect.stringMatching(/size-detection pod/),
    ]);
  });
});

describe('a golden image sized from its source (no size in the request)', () => {
  let oracle: DataVolumeOracle;

  beforeAll(async () => {
    const binaries = await ensureBinaries();
    oracle = new DataVolumeOracle(binaries.cdioracle);
  });

  afterAll(async () => {
    await oracle?.stop();
  });

  const shape: Shape = {
    title: 'rootdisk from fedora, no size',
    source: 'clone',
    dataSource: 'fedora',
  };
  const input = (cloneSource?: CloneSourceInfo) => {
    const { request } = dataVolumeOf(shape);
    return {
      request,
      sizes: SizeCatalog.fallback(),
      quotas: [
        {
          metadata: { name: 'team-a' },
          spec: {
            hard: { 'requests.storage': '100Gi', persistentvolumeclaims: '10' },
          },
          status: {
            used: { 'requests.storage': '0', persistentvolumeclaims: '0' },
          },
        },
      ],
      ...planView(CLUSTER),
      ...(cloneSource && { imageCloneSource: cloneSource }),
    };
  };

  it('renders the DataVolume without a size, which CDI accepts and sizes from the source', async () => {
    const { dataVolume } = dataVolumeOf(shape);
    expect(dataVolume.spec.storage).toEqual({});
    const answer = await oracle.render({
      dataVolume,
      objects: clusterObjects(CLUSTER),
    });
    const target = answer.claims.find(c => c.role === 'target');
    // 5Gi Block capacity, aligned and with standard's 6% on a Filesystem claim.
    expect(target?.storageBytes).toBe(Math.ceil(5 * 1024 ** 3 * 1.06));

    const plan = planQuota(input(cloneSourceFor(shape)));
    const rootdisk = plan.disks.find(d => d.disk === 'rootdisk')!;
    expect(String(rootdisk.claim.value())).toBe(String(target?.storageBytes));
    expect(plan.unknowns?.filter(u => u.startsWith('Disk'))).toEqual([]);
    const row = plan.rows.find(r => r.resource === 'requests.storage')!;
    expect(row.thisVm.value()).toBeGreaterThanOrEqual(
      BigInt(target!.storageBytes!),
    );
  });

  it('says so in unknowns when the source could not be read, rather than counting it silently low', () => {
    const plan = planQuota(input());
    expect(plan.unknowns).toContainEqual(
      expect.stringMatching(
        /^Disk rootdisk: the disk takes the size of the DataSource's source, which could not be read/,
      ),
    );
  });
});
