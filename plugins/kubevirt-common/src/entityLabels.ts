/**
 * Labels that the KubeVirt entity provider puts on every virtual-machine Component, so
 * that users and the catalog API can filter VMs (for example
 * `filter=metadata.labels.kubevirt.vmportal.io/os=fedora`). Values are valid label
 * values; a label is left out when the VM does not say.
 *
 * @public
 */
export const KUBEVIRT_ENTITY_LABELS = {
  /** Cluster name, as in `kubernetes.clusterLocatorMethods`. */
  cluster: 'kubevirt.vmportal.io/cluster',
  /** Namespace of the VirtualMachine. */
  namespace: 'kubevirt.vmportal.io/namespace',
  /** Effective `spec.runStrategy` (Always, Halted, Manual, ...): what the owners asked for. */
  runStrategy: 'kubevirt.vmportal.io/run-strategy',
  /** Name of the instancetype, e.g. `u1.medium`. */
  instancetype: 'kubevirt.vmportal.io/instancetype',
  /** The instancetype's series: `u1` of `u1.medium` (KubeVirt's common instancetypes name them so). */
  series: 'kubevirt.vmportal.io/series',
  /** The instancetype's `instancetype.kubevirt.io/size` label, e.g. `medium`. */
  size: 'kubevirt.vmportal.io/size',
  /** Guest vCPUs (sockets x cores x threads, or the instancetype's `cpu.guest`). */
  vcpu: 'kubevirt.vmportal.io/vcpu',
  /** Guest memory, normalised (`4Gi`, `512Mi`). */
  memory: 'kubevirt.vmportal.io/memory',
  /** Operating system: the preference, else the `vm.kubevirt.io/os` annotation, else the boot image's name. */
  os: 'kubevirt.vmportal.io/os',
  /** Number of disks that hold data (cloud-init, config map and secret disks not counted). */
  disks: 'kubevirt.vmportal.io/disks',
} as const;
