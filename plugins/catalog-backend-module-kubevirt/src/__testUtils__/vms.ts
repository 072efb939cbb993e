import { KubernetesObject } from '@kubernetes/client-node';
import {
  adminKubeConfig,
  applyObjects,
  ClusterInfo,
  kubeRequest,
} from '@vmportal/kube-testenv';

/** A small, valid VirtualMachine manifest. */
export function testVm(
  name: string,
  namespace: string,
  options: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    runStrategy?: string;
  } = {},
): KubernetesObject {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: {
      name,
      namespace,
      labels: options.labels,
      annotations: options.annotations,
    },
    spec: {
      runStrategy: options.runStrategy ?? 'Halted',
      template: {
        metadata: { labels: { 'vm.kubevirt.io/name': name } },
        spec: {
          domain: {
            cpu: { cores: 1 },
            memory: { guest: '1Gi' },
            devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] },
          },
          volumes: [
            {
              name: 'root',
              containerDisk: { image: 'quay.io/containerdisks/fedora:41' },
            },
          ],
        },
      },
    },
  } as KubernetesObject;
}

/** Creates or updates VMs (server-side apply, as a GitOps tool would). */
export async function applyVms(
  cluster: ClusterInfo,
  vms: KubernetesObject[],
): Promise<void> {
  await applyObjects(adminKubeConfig(cluster), vms, 'catalog-test');
}

function vmPath(namespace: string, name: string) {
  return `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/${name}`;
}

/** JSON-merge-patches a VM (or its status with `subresource: 'status'`). */
export async function patchVm(
  cluster: ClusterInfo,
  namespace: string,
  name: string,
  patch: object,
  subresource?: 'status',
): Promise<KubernetesObject> {
  return kubeRequest<KubernetesObject>(
    adminKubeConfig(cluster),
    'PATCH',
    `${vmPath(namespace, name)}${subresource ? `/${subresource}` : ''}`,
    patch,
    'application/merge-patch+json',
  );
}

export async function deleteVm(
  cluster: ClusterInfo,
  namespace: string,
  name: string,
): Promise<void> {
  await kubeRequest(
    adminKubeConfig(cluster),
    'DELETE',
    vmPath(namespace, name),
  );
}

/** JSON-merge-patches a namespace (its labels, say). */
export async function patchNamespace(
  cluster: ClusterInfo,
  name: string,
  patch: object,
): Promise<void> {
  await kubeRequest(
    adminKubeConfig(cluster),
    'PATCH',
    `/api/v1/namespaces/${name}`,
    patch,
    'application/merge-patch+json',
  );
}

/** Creates a namespace with exactly this name (the same name on two clusters, say). */
export async function createNamespace(
  cluster: ClusterInfo,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  await applyObjects(adminKubeConfig(cluster), [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels },
    } as KubernetesObject,
  ]);
}

/** Compacts etcd up to its current revision, as the apiserver's periodic compaction would. */
export async function compactEtcd(cluster: ClusterInfo): Promise<void> {
  const range = await fetch(`${cluster.etcdUrl}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from('/').toString('base64') }),
  });
  const { header } = (await range.json()) as { header: { revision: string } };
  const response = await fetch(`${cluster.etcdUrl}/v3/kv/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision: header.revision, physical: true }),
  });
  if (!response.ok) {
    throw new Error(`etcd compaction failed: ${await response.text()}`);
  }
}
