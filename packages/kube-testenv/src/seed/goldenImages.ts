import type { KubernetesObject } from '@kubernetes/client-node';

/** The namespace of the demo's golden images (the portal's default `osImageNamespaces`). */
export const GOLDEN_IMAGES_NAMESPACE = 'kubevirt-os-images';

/** One golden image: a DataImportCron and the DataSource it keeps up to date. */
export interface GoldenImage {
  /** The DataSource's name (the cron's `managedDataSource`). */
  name: string;
  /** The containerdisk CDI imports (`docker://…`). */
  url: string;
  /** The import's `storage` request: room for the image and for growing it a little. */
  size: string;
  /** Cron schedule; CDI polls the registry at these times. */
  schedule: string;
  /** A common-instancetypes cluster instancetype. */
  instancetype: string;
  /** A common-instancetypes cluster preference. */
  preference: string;
}

/**
 * The demo's golden images, each sized to hold its cloud image: 5Gi for Fedora 41
 * and Ubuntu 24.04, 10Gi for CentOS Stream 9 (a 10Gi disk image).
 */
export const GOLDEN_IMAGES: GoldenImage[] = [
  {
    name: 'fedora',
    url: 'docker://quay.io/containerdisks/fedora:41',
    size: '5Gi',
    schedule: '15 3 * * 1',
    instancetype: 'u1.small',
    preference: 'fedora',
  },
  {
    name: 'ubuntu',
    url: 'docker://quay.io/containerdisks/ubuntu:24.04',
    size: '5Gi',
    schedule: '25 3 * * 1',
    instancetype: 'u1.small',
    preference: 'ubuntu',
  },
  {
    name: 'centos-stream9',
    url: 'docker://quay.io/containerdisks/centos-stream:9',
    size: '10Gi',
    schedule: '35 3 * * 1',
    instancetype: 'u1.medium',
    preference: 'centos.stream9',
  },
];

/** The ClusterRole CDI's RBAC guide grants to whoever may clone from a namespace. */
export const CDI_CLONER_ROLE = 'cdi-cloner';

/**
 * What a cluster with golden images has, as the KubeVirt SSP operator lays them
 * out: the `kubevirt-os-images` namespace with one DataImportCron and one
 * DataSource per image (the DataSource labelled with its cron, so that CDI
 * manages it, and with the default instancetype and preference for VMs booting
 * from it), and the clone permission CDI checks before a DataVolume in another
 * namespace may copy a golden image: `datavolumes/source` in the golden images'
 * namespace, granted (as CDI documents, through a `cdi-cloner` ClusterRole and a
 * RoleBinding) to the service accounts of `cloningNamespaces`, since KubeVirt
 * asks on behalf of the VM's service account.
 */
export function goldenImageObjects(
  cloningNamespaces: string[],
): KubernetesObject[] {
  const namespace = GOLDEN_IMAGES_NAMESPACE;
  const objects: KubernetesObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: CDI_CLONER_ROLE },
      rules: [
        {
          apiGroups: ['cdi.kubevirt.io'],
          resources: ['datavolumes/source'],
          verbs: ['create'],
        },
      ],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'team-namespaces-cdi-cloner', namespace },
      subjects: cloningNamespaces.map(name => ({
        kind: 'Group',
        apiGroup: 'rbac.authorization.k8s.io',
        name: `system:serviceaccounts:${name}`,
      })),
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: CDI_CLONER_ROLE,
      },
    } as KubernetesObject,
  ];
  for (const image of GOLDEN_IMAGES) {
    const cron = `${image.name}-image-cron`;
    const labels = {
      'instancetype.kubevirt.io/default-instancetype': image.instancetype,
      'instancetype.kubevirt.io/default-preference': image.preference,
    };
    objects.push(
      {
        apiVersion: 'cdi.kubevirt.io/v1beta1',
        kind: 'DataSource',
        metadata: {
          name: image.name,
          namespace,
          labels: { ...labels, 'cdi.kubevirt.io/dataImportCron': cron },
        },
        spec: { source: {} },
      } as KubernetesObject,
      {
        apiVersion: 'cdi.kubevirt.io/v1beta1',
        kind: 'DataImportCron',
        metadata: { name: cron, namespace, labels },
        spec: {
          managedDataSource: image.name,
          schedule: image.schedule,
          garbageCollect: 'Outdated',
          importsToKeep: 3,
          template: {
            spec: {
              source: { registry: { url: image.url } },
              storage: { resources: { requests: { storage: image.size } } },
            },
          },
        },
      } as KubernetesObject,
    );
  }
  return objects;
}
