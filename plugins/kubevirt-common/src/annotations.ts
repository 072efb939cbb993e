/**
 * Annotations that the KubeVirt entity provider puts on every virtual-machine Component,
 * naming the VirtualMachine the entity stands for.
 *
 * @public
 */
export const KUBEVIRT_ANNOTATIONS = {
  /** Name of the cluster, as in `kubernetes.clusterLocatorMethods`. */
  cluster: 'kubevirt.vmportal.io/cluster',
  /** Namespace of the VirtualMachine. */
  namespace: 'kubevirt.vmportal.io/namespace',
  /** Name of the VirtualMachine. */
  name: 'kubevirt.vmportal.io/name',
  /** `metadata.uid` of the VirtualMachine, to tell a re-created VM from the old one. */
  uid: 'kubevirt.vmportal.io/uid',
} as const;

/**
 * The `spec.type` of a Component that stands for a KubeVirt VirtualMachine.
 *
 * @public
 */
export const VIRTUAL_MACHINE_COMPONENT_TYPE = 'virtual-machine';
