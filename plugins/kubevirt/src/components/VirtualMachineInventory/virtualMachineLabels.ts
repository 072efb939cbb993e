import type { Entity } from '@backstage/catalog-model';
import { KUBEVIRT_ENTITY_LABELS } from '@vmportal/plugin-kubevirt-common';
import { formatQuantity } from '../../lib/quantity';

/** What the KubeVirt entity provider's labels say of a VM; a field is absent when the VM does not say. */
export interface VirtualMachineLabels {
  cluster?: string;
  namespace?: string;
  runStrategy?: string;
  instancetype?: string;
  vcpu?: string;
  /** Guest memory for people: `4 GiB`. */
  memory?: string;
  os?: string;
}

/** The VM facts of an entity, from the labels the KubeVirt entity provider sets. */
export function virtualMachineLabels(entity: Entity): VirtualMachineLabels {
  const labels = entity.metadata.labels ?? {};
  const memory = labels[KUBEVIRT_ENTITY_LABELS.memory];
  return {
    cluster: labels[KUBEVIRT_ENTITY_LABELS.cluster],
    namespace: labels[KUBEVIRT_ENTITY_LABELS.namespace],
    runStrategy: labels[KUBEVIRT_ENTITY_LABELS.runStrategy],
    instancetype: labels[KUBEVIRT_ENTITY_LABELS.instancetype],
    vcpu: labels[KUBEVIRT_ENTITY_LABELS.vcpu],
    memory: memory ? formatQuantity(memory, 'memory') : undefined,
    os: labels[KUBEVIRT_ENTITY_LABELS.os],
  };
}
