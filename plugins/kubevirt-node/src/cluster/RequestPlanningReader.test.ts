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
import { RequestPlanningReader } from './RequestPlanningReader';

jest.setTimeout(90_000);

let cluster: ClusterInfo;
let namespace: string;
let reader: RequestPlanningReader;

beforeAll(async () => {
  [cluster] = testClusters();
  namespace = await createTestNamespace(cluster, 'planning');
  reader = new RequestPlanningReader(
    KubeApiTransport.create({
      cluster: cluster.name,
      url: cluster.url,
      caData: cluster.caData,
      credential: async () => ({
        type: 'bearer token',
        token: cluster.readerToken,
      }),
    }),
  );
  await applyObjects(adminKubeConfig(cluster), [
    {
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: {
        name: 'sriov-a',
        namespace,
        annotations: {
          'k8s.v1.cni.cncf.io/resourceName': 'intel.com/sriov_netdevice',
        },
      },
      spec: { config: '{"cniVersion":"0.4.0","type":"sriov"}' },
    },
  ] as any);
});

afterAll(async () => {
  await deleteTestNamespace(cluster, namespace);
});

describe('RequestPlanningReader against a real apiserver, with the reader credential', () => {
  it("reads the NetworkAttachmentDefinitions a request's multus networks name, and only those that exist", async () => {
    const state = await reader.readPlanningState(namespace, {
      networkNames: [
        'sriov-a',
        `${namespace}/sriov-a`,
        'no-such-network',
        'elsewhere/sriov-a',
      ],
    });
    expect(state.unreadable).toEqual([]);
    expect(
      state.networkAttachmentDefinitions?.map(nad => ({
        name: nad.metadata.name,
        namespace: nad.metadata.namespace,
        pool: nad.metadata.annotations?.['k8s.v1.cni.cncf.io/resourceName'],
      })),
    ).toEqual([
      { name: 'sriov-a', namespace, pool: 'intel.com/sriov_netdevice' },
    ]);
  });

  it('reads no NetworkAttachmentDefinition for a request without multus networks', async () => {
    const state = await reader.readPlanningState(namespace);
    expect(state.networkAttachmentDefinitions).toBeUndefined();
    expect(state.unreadable).toEqual([]);
  });
});

describe('RequestPlanningReader and Application Aware Quota', () => {
  let aaqNamespace: string;
  const arqPath = (ns: string, name = '') =>
    `/apis/aaq.kubevirt.io/v1alpha1/namespaces/${ns}/applicationawareresourcequotas${
      name && `/${name}`
    }`;

  beforeAll(async () => {
    aaqNamespace = await createTestNamespace(cluster, 'planning-aaq', {
      'vmportal.test/aaq': 'gated',
    });
    const kc = adminKubeConfig(cluster);
    await kubeRequest(kc, 'POST', arqPath(aaqNamespace), {
      apiVersion: 'aaq.kubevirt.io/v1alpha1',
      kind: 'ApplicationAwareResourceQuota',
      metadata: { name: 'team-vms' },
      spec: { hard: { 'requests.memory/vmi': '40Gi' } },
    });
    const arq = await kubeRequest<{ metadata: object; spec: object }>(
      kc,
      'GET',
      arqPath(aaqNamespace, 'team-vms'),
    );
    await kubeRequest(
      kc,
      'PUT',
      `${arqPath(aaqNamespace, 'team-vms')}/status`,
      {
        ...arq,
        status: {
          hard: { 'requests.memory/vmi': '40Gi' },
          used: { 'requests.memory/vmi': '16Gi' },
        },
      },
    );
    // One AAQ CR per cluster; its selector picks only this test's namespace.
    await kubeRequest(kc, 'POST', '/apis/aaq.kubevirt.io/v1alpha1/aaqs', {
      apiVersion: 'aaq.kubevirt.io/v1alpha1',
      kind: 'AAQ',
      metadata: { name: `aaq-${aaqNamespace}` },
      spec: {
        namespaceSelector: { matchLabels: { 'vmportal.test/aaq': 'gated' } },
        configuration: {
          vmiCalculatorConfiguration: { configName: 'VirtualResources' },
        },
      },
    });
  });

  afterAll(async () => {
    await kubeRequest(
      adminKubeConfig(cluster),
      'DELETE',
      `/apis/aaq.kubevirt.io/v1alpha1/aaqs/aaq-${aaqNamespace}`,
    ).catch(() => undefined);
    await deleteTestNamespace(cluster, aaqNamespace);
  });

  it("reads the namespace's ApplicationAwareResourceQuotas with their status, and the AAQ CR's mode and selector", async () => {
    const state = await reader.readPlanningState(aaqNamespace);
    expect(state.unreadable).toEqual([]);
    expect(
      state.applicationAwareQuotas?.map(q => ({
        name: q.metadata?.name,
        hard: q.spec?.hard,
        used: q.status?.used,
      })),
    ).toEqual([
      {
        name: 'team-vms',
        hard: { 'requests.memory/vmi': '40Gi' },
        // The status as the cluster has it: where the KubeVirt simulator runs (npm
        // test's shared control plane), its AAQ controller recounts it from the pods.
        used: { 'requests.memory/vmi': expect.any(String) },
      },
    ]);
    expect(state.aaqCalculationMode).toBe('VirtualResources');
    expect(state.aaqNamespaceSelector).toEqual({
      matchLabels: { 'vmportal.test/aaq': 'gated' },
    });
  });

  it('reads no ApplicationAwareResourceQuotas where the namespace has none', async () => {
    const state = await reader.readPlanningState(namespace);
    expect(state.applicationAwareQuotas).toBeUndefined();
    expect(state.unreadable).toEqual([]);
  });
});
