import { CoreV1Api, KubernetesObject } from '@kubernetes/client-node';
import { ClusterInfo, waitUntil } from '../ControlPlane';
import { applyObjects, errorStatus, kubeConfigFor } from '../kubeClient';
import { demoVirtualMachine, DemoVmShape } from './demoVirtualMachine';
import { GOLDEN_IMAGES, goldenImageObjects } from './goldenImages';

/** Label on namespaces and VMs naming the owning team (the catalog provider's default). */
export const OWNER_LABEL = 'vmportal.io/owner';

const SEED_VERSION = '3';
const SEED_MARKER = { namespace: 'vmportal-system', name: 'demo-seed' };

interface TeamNamespace {
  name: string;
  owner: string;
  quota: Record<string, string>;
}

const teams: TeamNamespace[] = [
  {
    name: 'team-payments',
    owner: 'team-payments',
    quota: {
      'requests.cpu': '8',
      'requests.memory': '48Gi',
      'requests.storage': '500Gi',
      'count/virtualmachines.kubevirt.io': '10',
      persistentvolumeclaims: '20',
      pods: '30',
    },
  },
  {
    name: 'team-data',
    owner: 'team-data',
    quota: {
      'requests.cpu': '16',
      'requests.memory': '96Gi',
      // limits.* in a quota makes KubeVirt set limits on the launcher pod.
      'limits.cpu': '64',
      'limits.memory': '192Gi',
      'requests.storage': '2Ti',
      'count/virtualmachines.kubevirt.io': '12',
      pods: '40',
    },
  },
  {
    name: 'team-web',
    owner: 'team-web',
    quota: {
      'requests.cpu': '6',
      'requests.memory': '24Gi',
      'requests.storage': '200Gi',
      'count/virtualmachines.kubevirt.io': '8',
      persistentvolumeclaims: '10',
      pods: '20',
    },
  },
];

/** The demo VMs per cluster index: 0 is the first cluster, 1 the second. */
const demoVms: Array<Array<DemoVmShape>> = [
  [
    {
      name: 'payments-api-1',
      namespace: 'team-payments',
      instancetype: 'u1.medium',
      preference: 'fedora',
      os: 'fedora',
    },
    {
      name: 'payments-api-2',
      namespace: 'team-payments',
      instancetype: 'u1.medium',
      preference: 'fedora',
      os: 'fedora',
    },
    {
      name: 'payments-db',
      namespace: 'team-payments',
      instancetype: 'u1.large',
      preference: 'rhel.9',
      os: 'rhel9',
      dataVolumeGi: 60,
    },
    {
      name: 'payments-batch',
      namespace: 'team-payments',
      cores: 2,
      memory: '3Gi',
      os: 'centos-stream9',
      running: false,
    },
    {
      name: 'legacy-ledger',
      namespace: 'team-payments',
      cores: 1,
      memory: '2Gi',
      os: 'windows2k22',
      dataVolumeGi: 80,
      running: false,
    },
    {
      name: 'web-frontend-1',
      namespace: 'team-web',
      instancetype: 'u1.small',
      preference: 'ubuntu',
      os: 'ubuntu',
    },
    {
      name: 'web-frontend-2',
      namespace: 'team-web',
      instancetype: 'u1.small',
      preference: 'ubuntu',
      os: 'ubuntu',
    },
    {
      name: 'web-cache',
      namespace: 'team-web',
      cores: 2,
      memory: '4Gi',
      os: 'fedora',
      extraNetworks: ['storage-net'],
    },
    {
      name: 'web-build-agent',
      namespace: 'team-web',
      instancetype: 'o1.large',
      preference: 'fedora',
      os: 'fedora',
      running: false,
    },
    {
      name: 'reporting-gateway',
      namespace: 'team-web',
      owner: 'team-data',
      instancetype: 'u1.micro',
      preference: 'ubuntu',
      os: 'ubuntu',
    },
    {
      name: 'analytics-worker-1',
      namespace: 'team-data',
      instancetype: 'm1.large',
      preference: 'rhel.9',
      os: 'rhel9',
      dataVolumeGi: 100,
    },
  ],
  [
    {
      name: 'payments-api-1',
      namespace: 'team-payments',
      instancetype: 'u1.medium',
      preference: 'fedora',
      os: 'fedora',
    },
    {
      name: 'payments-dr-db',
      namespace: 'team-payments',
      instancetype: 'u1.large',
      preference: 'rhel.9',
      os: 'rhel9',
      dataVolumeGi: 60,
      running: false,
    },
    {
      name: 'warehouse-db',
      namespace: 'team-data',
      instancetype: 'u1.2xlarge',
      preference: 'rhel.9',
      os: 'rhel9',
      dataVolumeGi: 500,
      extraDisksGi: [200],
    },
    {
      name: 'etl-runner',
      namespace: 'team-data',
      cores: 4,
      memory: '8Gi',
      os: 'centos-stream9',
      extraNetworks: ['data-net', 'backup-net'],
    },
    {
      name: 'notebook-1',
      namespace: 'team-data',
      instancetype: 'u1.xlarge',
      preference: 'ubuntu',
      os: 'ubuntu',
    },
    {
      name: 'ml-gpu-placeholder',
      namespace: 'team-data',
      instancetype: 'cx1.medium',
      preference: 'fedora',
      os: 'fedora',
      running: false,
    },
    {
      name: 'web-staging',
      namespace: 'team-web',
      instancetype: 'u1.small',
      preference: 'fedora',
      os: 'fedora',
    },
    {
      name: 'web-canary',
      namespace: 'team-web',
      cores: 1,
      memory: '1Gi',
      os: 'fedora',
      running: false,
    },
    {
      name: 'intranet-win',
      namespace: 'team-web',
      cores: 2,
      memory: '4Gi',
      os: 'windows2k22',
      dataVolumeGi: 64,
    },
  ],
];

function namespaceObjects(team: TeamNamespace): KubernetesObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: team.name, labels: { [OWNER_LABEL]: team.owner } },
    },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'team-quota', namespace: team.name },
      spec: { hard: team.quota },
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'container-defaults', namespace: team.name },
      spec: {
        limits: [
          {
            type: 'Container',
            // Requests only: a default *limit* below KubeVirt's launcher request (guest
            // memory + overhead) makes the apiserver refuse every launcher pod.
            defaultRequest: { cpu: '100m', memory: '128Mi' },
          },
          {
            type: 'PersistentVolumeClaim',
            max: { storage: '1Ti' },
            min: { storage: '1Gi' },
          },
        ],
      },
    } as KubernetesObject,
  ];
}

/**
 * Seeds every cluster once (a marker ConfigMap records it, so VMs that a user stopped
 * or started stay so across `npm start` runs): team namespaces owned by the demo
 * teams, with ResourceQuotas and LimitRanges, golden images (CDI DataImportCrons and
 * DataSources in `kubevirt-os-images`, which the teams may clone), and the demo
 * VirtualMachines.
 */
export async function seedDemo(
  clusters: ClusterInfo[],
  log: (line: string) => void = () => {},
): Promise<void> {
  await Promise.all(
    clusters.map(async (cluster, index) => {
      const kc = kubeConfigFor(cluster);
      const core = kc.makeApiClient(CoreV1Api);
      try {
        const marker = await core.readNamespacedConfigMap(SEED_MARKER);
        if (marker.data?.version === SEED_VERSION) return;
      } catch (error) {
        if (errorStatus(error) !== 404) throw error;
      }
      const vms = demoVms[index % demoVms.length];
      await applyObjects(
        kc,
        [
          ...teams.flatMap(namespaceObjects),
          ...goldenImageObjects(teams.map(team => team.name)),
        ],
        'vmportal-demo-seed',
      );
      // Quota admission refuses objects a new quota counts until the resourcequota
      // controller has computed its status ("status unknown for quota").
      for (const team of teams) {
        await waitUntil(
          `quota status in ${cluster.name}/${team.name}`,
          60_000,
          async () => {
            const quota = await core.readNamespacedResourceQuota({
              name: 'team-quota',
              namespace: team.name,
            });
            const used = quota.status?.used ?? {};
            return Object.keys(team.quota).every(resource => resource in used)
              ? true
              : undefined;
          },
        );
      }
      await applyObjects(kc, vms.map(demoVirtualMachine), 'vmportal-demo-seed');
      await applyObjects(
        kc,
        [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: SEED_MARKER,
            data: { version: SEED_VERSION },
          } as KubernetesObject,
        ],
        'vmportal-demo-seed',
      );
      log(
        `seeded ${cluster.name}: ${teams.length} team namespaces, ${GOLDEN_IMAGES.length} golden images, ${vms.length} VMs`,
      );
    }),
  );
}
