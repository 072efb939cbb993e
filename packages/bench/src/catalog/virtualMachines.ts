import { KubernetesObject } from '@kubernetes/client-node';
import {
  applyObjects,
  ClusterInfo,
  kubeConfigFor,
  kubeRequest,
} from '@vmportal/kube-testenv';
import type { VirtualMachine } from '@vmportal/plugin-kubevirt-common';
import { testVm } from './catalogTestUtils';

/** The owner label the provider reads by default. */
export const OWNER_LABEL = 'vmportal.io/owner';

/** One benchmark VM and what the catalog should show for it. */
export interface BenchVm {
  name: string;
  namespace: string;
  cluster: string;
  owner: string;
  /** `Always` when created; `Halted` once stopped. */
  runStrategy: string;
  exists: boolean;
  /** A change to it is in flight. */
  busy: boolean;
  /**
   * A common-instancetypes cluster instancetype (`u1.small`), instead of the test VM's
   * 1 core and 1Gi: the entity's size and series labels.
   */
  instancetype?: string;
  /** A common-instancetypes cluster preference (`rhel.9`): the entity's OS label. */
  preference?: string;
}

/** How VMs are spread: round-robin over clusters, then over namespaces. */
export interface VmLayout {
  clusters: ClusterInfo[];
  namespaces: string[];
}

/** `bench-ns-00` ... */
export function benchNamespaces(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `bench-ns-${String(i).padStart(2, '0')}`,
  );
}

/** VM `i` of the initial set: names are unique across clusters and namespaces. */
export function initialVm(i: number, layout: VmLayout): BenchVm {
  const cluster = layout.clusters[i % layout.clusters.length].name;
  const namespace =
    layout.namespaces[
      Math.floor(i / layout.clusters.length) % layout.namespaces.length
    ];
  return {
    name: `vm-${String(i).padStart(6, '0')}`,
    namespace,
    cluster,
    owner: `team-${i % 20}`,
    runStrategy: 'Always',
    exists: true,
    busy: false,
  };
}

/**
 * The manifest of a benchmark VM (the catalog tests' VM, with owner and run strategy,
 * and its instancetype and preference when it has them).
 */
export function vmManifest(vm: BenchVm): KubernetesObject {
  const manifest = testVm(vm.name, vm.namespace, {
    labels: { [OWNER_LABEL]: vm.owner },
    runStrategy: vm.runStrategy,
  }) as VirtualMachine;
  if (vm.instancetype) {
    manifest.spec.instancetype = {
      kind: 'VirtualMachineClusterInstancetype',
      name: vm.instancetype,
    };
    // KubeVirt refuses a VM that sizes itself beside its instancetype.
    const domain = manifest.spec.template?.spec?.domain;
    delete domain?.cpu;
    delete domain?.memory;
  }
  if (vm.preference) {
    manifest.spec.preference = {
      kind: 'VirtualMachineClusterPreference',
      name: vm.preference,
    };
  }
  return manifest as KubernetesObject;
}

/** The VM collection path of a namespace. */
export function vmCollectionPath(namespace: string): string {
  return `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines`;
}

/** Creates the namespaces on every cluster. */
export async function createNamespaces(layout: VmLayout): Promise<void> {
  await Promise.all(
    layout.clusters.map(cluster =>
      applyObjects(
        kubeConfigFor(cluster),
        layout.namespaces.map(
          name =>
            ({
              apiVersion: 'v1',
              kind: 'Namespace',
              metadata: { name },
            } as KubernetesObject),
        ),
      ),
    ),
  );
}

/**
 * Creates `vms` with plain POSTs, `concurrency` requests in flight per cluster, all
 * clusters at once. Calls `progress` with the number created about every 5 s.
 */
export async function createVms(
  vms: BenchVm[],
  clusters: ClusterInfo[],
  options: { concurrency: number; progress: (created: number) => void },
): Promise<void> {
  let created = 0;
  let lastReport = Date.now();
  await Promise.all(
    clusters.map(async cluster => {
      const kc = kubeConfigFor(cluster);
      const mine = vms.filter(vm => vm.cluster === cluster.name);
      let next = 0;
      await Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          while (next < mine.length) {
            const vm = mine[next++];
            await kubeRequest(
              kc,
              'POST',
              vmCollectionPath(vm.namespace),
              vmManifest(vm),
            ).catch(error => {
              throw new Error(
                `creating VM ${cluster.name}/${vm.namespace}/${vm.name}: ${
                  error instanceof Error ? error.message : String(error)
                }`,
              );
            });
            created += 1;
            if (Date.now() - lastReport > 5000) {
              lastReport = Date.now();
              options.progress(created);
            }
          }
        }),
      );
    }),
  );
}
