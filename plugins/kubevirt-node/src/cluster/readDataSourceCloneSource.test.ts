import {
  adminKubeConfig,
  applyObjects,
  ClusterInfo,
  createTestNamespace,
  deleteTestNamespace,
  kubeRequest,
  testClusters,
} from '@vmportal/kube-testenv';
import { KubeApiTransport } from '../transport/KubeApiTransport';
import { readDataSourceCloneSource } from './readDataSourceCloneSource';

jest.setTimeout(90_000);

let cluster: ClusterInfo;
let namespace: string;
let transport: KubeApiTransport;

beforeAll(async () => {
  [cluster] = testClusters();
  namespace = await createTestNamespace(cluster, 'golden');
  transport = KubeApiTransport.create({
    cluster: cluster.name,
    url: cluster.url,
    caData: cluster.caData,
    credential: async () => ({
      type: 'bearer token',
      token: cluster.readerToken,
    }),
  });
  const admin = adminKubeConfig(cluster);
  await applyObjects(admin, [
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'fedora-42',
        namespace,
        annotations: {
          'cdi.kubevirt.io/storage.contentType': 'kubevirt',
          'cdi.Kubervirt.io/virtualSize': '5368709120',
          'cdi.Kubervirt.io/sourceCapacity': '6Gi',
        },
      },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'standard',
        resources: { requests: { storage: '6Gi' } },
      },
    },
    {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataSource',
      metadata: { name: 'fedora', namespace },
      spec: { source: { pvc: { name: 'fedora-42', namespace } } },
    },
    {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataSource',
      metadata: { name: 'fedora-next', namespace },
      spec: { source: { pvc: { name: 'fedora-43', namespace } } },
    },
  ] as any);
  // The provisioner's part: the claim bound, with its capacity.
  await kubeRequest(
    admin,
    'PATCH',
    `/api/v1/namespaces/${namespace}/persistentvolumeclaims/fedora-42/status`,
    { status: { phase: 'Bound', capacity: { storage: '6Gi' } } },
    'application/merge-patch+json',
  );
});

afterAll(async () => {
  await deleteTestNamespace(cluster, namespace);
});

describe('readDataSourceCloneSource against a real apiserver, with the reader credential', () => {
  it("reads the DataSource's claim: mode, sizes and CDI's measurement of the image", async () => {
    expect(
      await readDataSourceCloneSource(transport, namespace, 'fedora'),
    ).toEqual({
      source: {
        kind: 'PersistentVolumeClaim',
        namespace,
        name: 'fedora-42',
        storageClass: 'standard',
        volumeMode: 'Filesystem',
        requested: '6Gi',
        capacity: '6Gi',
        contentType: 'kubevirt',
        virtualSize: '5368709120',
      },
    });
  });

  it('says why when the DataSource or its claim is missing', async () => {
    expect(
      await readDataSourceCloneSource(transport, namespace, 'fedora-next'),
    ).toEqual({
      unknown: `the claim ${namespace}/fedora-43 of DataSource ${namespace}/fedora-next does not exist`,
    });
    expect(
      await readDataSourceCloneSource(transport, namespace, 'no-such-image'),
    ).toEqual({
      unknown: `the DataSource ${namespace}/no-such-image does not exist`,
    });
  });
});
