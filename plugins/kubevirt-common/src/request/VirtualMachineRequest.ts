import type { z } from 'zod';
import type { virtualMachineRequestSchema } from './virtualMachineRequestSchema';

/**
 * What a user asks for in the "Request a virtual machine" form, after
 * `validateVirtualMachineRequest` (defaults filled in, the owner a full group ref):
 * the output of {@link virtualMachineRequestSchema}. The types below are its parts.
 *
 * @public
 */
export type VirtualMachineRequest = z.output<
  typeof virtualMachineRequestSchema
>;

/**
 * How a requested VM runs once created (KubeVirt's `spec.runStrategy`).
 *
 * @public
 */
export type VirtualMachineRequestRunStrategy =
  VirtualMachineRequest['runStrategy'];

/**
 * The VM's size: an instancetype, or a custom CPU and memory.
 *
 * @public
 */
export type VirtualMachineSizeRequest = VirtualMachineRequest['size'];

/**
 * A size from the cluster's instancetypes, e.g. `u1.medium`.
 *
 * @public
 */
export type InstancetypeSizeRequest = Extract<
  VirtualMachineSizeRequest,
  { instancetype: unknown }
>;

/**
 * A custom size: CPU topology (vCPUs = cores × sockets × threads) and guest memory.
 *
 * @public
 */
export type CustomSizeRequest = Extract<
  VirtualMachineSizeRequest,
  { cpu: unknown }
>;

/**
 * A VirtualMachine(Cluster)Preference to apply (guest OS defaults: disk bus, TPM,
 * firmware), e.g. `fedora` or `windows.11`.
 *
 * @public
 */
export type PreferenceRequest = NonNullable<
  InstancetypeSizeRequest['preference']
>;

/**
 * The operating system disk: a container image booted as an ephemeral disk, or a
 * persistent disk (a CDI DataVolume) cloned from a DataSource or imported from a
 * registry or an http(s) URL.
 *
 * @public
 */
export type OsImageRequest = VirtualMachineRequest['image'];

/**
 * An extra empty disk; its name is unique within the VM (the DataVolume is
 * `<vm>-<name>`).
 *
 * @public
 */
export type DataDiskRequest = VirtualMachineRequest['disks'][number];

/**
 * Where a persistent disk is stored: its size (e.g. `30Gi`) and storage class (the
 * cluster's default when unset).
 *
 * @public
 */
export type DiskStorageRequest = Pick<DataDiskRequest, 'size' | 'storageClass'>;

/**
 * A network interface: on the pod network (masquerade or bridge binding) or on a
 * multus network (a NetworkAttachmentDefinition, `name` or `namespace/name`, bridge).
 *
 * @public
 */
export type NetworkInterfaceRequest =
  VirtualMachineRequest['networkInterfaces'][number];
