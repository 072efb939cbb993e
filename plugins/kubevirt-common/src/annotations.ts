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

/**
 * The location the KubeVirt entity provider writes into `backstage.io/managed-by-location`
 * and `backstage.io/managed-by-origin-location` of the entity it emits for a VM. The
 * catalog overwrites these annotations on every entity read from a file or URL, so only
 * an entity provider can set them: the backend acts only on entities carrying the
 * location of the VM they name.
 *
 * @public
 */
export function virtualMachineEntityLocation(vm: {
  cluster: string;
  namespace: string;
  name: string;
}): string {
  return `kubevirt:${vm.cluster}/${vm.namespace}/${vm.name}`;
}
