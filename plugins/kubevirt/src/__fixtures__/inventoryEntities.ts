import type { Entity } from '@backstage/catalog-model';
import {
  instancetypeSeries,
  KUBEVIRT_ANNOTATIONS,
  KUBEVIRT_ENTITY_LABELS,
  type VirtualMachineLiveState,
} from '@vmportal/plugin-kubevirt-common';

/** What a VM entity of the inventory says of its VM; defaults for the rest. */
export interface InventoryVm {
  name: string;
  cluster?: string;
  namespace?: string;
  os?: string;
  runStrategy?: string;
  instancetype?: string;
  vcpu?: string;
  memory?: string;
  owner?: string;
}

/**
 * A `virtual-machine` Component as the KubeVirt entity provider writes it: the VM
 * name as title, a cluster-unique entity name, the inventory labels and the
 * ownedBy relation the catalog adds.
 */
export function inventoryEntity(vm: InventoryVm): Entity {
  const cluster = vm.cluster ?? 'east';
  const namespace = vm.namespace ?? 'team-web';
  const instancetype = vm.instancetype ?? 'u1.medium';
  const owner = vm.owner ?? 'group:default/team-web';
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: `${cluster}-${namespace}-${vm.name}`,
      namespace: 'default',
      title: vm.name,
      uid: `uid-${cluster}-${namespace}-${vm.name}`,
      annotations: {
        [KUBEVIRT_ANNOTATIONS.cluster]: cluster,
        [KUBEVIRT_ANNOTATIONS.namespace]: namespace,
        [KUBEVIRT_ANNOTATIONS.name]: vm.name,
      },
      labels: {
        [KUBEVIRT_ENTITY_LABELS.cluster]: cluster,
        [KUBEVIRT_ENTITY_LABELS.namespace]: namespace,
        [KUBEVIRT_ENTITY_LABELS.os]: vm.os ?? 'fedora',
        [KUBEVIRT_ENTITY_LABELS.runStrategy]: vm.runStrategy ?? 'Always',
        [KUBEVIRT_ENTITY_LABELS.instancetype]: instancetype,
        [KUBEVIRT_ENTITY_LABELS.series]: instancetypeSeries(instancetype)!,
        [KUBEVIRT_ENTITY_LABELS.vcpu]: vm.vcpu ?? '1',
        [KUBEVIRT_ENTITY_LABELS.memory]: vm.memory ?? '4Gi',
      },
    },
    spec: { type: 'virtual-machine', owner, lifecycle: 'production' },
    relations: [{ type: 'ownedBy', targetRef: owner }],
  };
}

/** The live state the backend reports of a running VM. */
export function runningState(
  entityRef: string,
  ipAddresses: string[] = ['10.244.1.17'],
): VirtualMachineLiveState {
  return {
    entityRef,
    printableStatus: 'Running',
    ready: true,
    ipAddresses,
    node: 'node-a',
  };
}
