/**
 * How a requested VM runs once created (KubeVirt's `spec.runStrategy`).
 *
 * @public
 */
export type VirtualMachineRequestRunStrategy =
  | 'Always'
  | 'Halted'
  | 'Manual'
  | 'RerunOnFailure';

/**
 * A size from the cluster's instancetypes, e.g. `u1.medium`.
 *
 * @public
 */
export interface InstancetypeSizeRequest {
  instancetype: {
    name: string;
    kind: 'VirtualMachineClusterInstancetype' | 'VirtualMachineInstancetype';
  };
  /** Guest OS defaults (disk bus, TPM, firmware), e.g. `fedora` or `windows.11`. */
  preference?: PreferenceRequest;
}

/**
 * A custom size: CPU topology and guest memory.
 *
 * @public
 */
export interface CustomSizeRequest {
  /** vCPUs = cores × sockets × threads. */
  cpu: { cores: number; sockets?: number; threads?: number };
  /** Guest memory, e.g. `4Gi`. */
  memory: string;
  preference?: PreferenceRequest;
}

/**
 * A VirtualMachine(Cluster)Preference to apply.
 *
 * @public
 */
export interface PreferenceRequest {
  name: string;
  kind: 'VirtualMachineClusterPreference' | 'VirtualMachinePreference';
}

/**
 * The VM's size: an instancetype, or a custom CPU and memory.
 *
 * @public
 */
export type VirtualMachineSizeRequest =
  | InstancetypeSizeRequest
  | CustomSizeRequest;

/**
 * Where a persistent disk is stored: its size (e.g. `30Gi`) and storage class (the
 * cluster's default when unset).
 *
 * @public
 */
export interface DiskStorageRequest {
  size: string;
  storageClass?: string;
}

/**
 * The operating system disk: a container image booted as an ephemeral disk, or a
 * persistent disk (a CDI DataVolume) cloned from a DataSource or imported from a
 * registry or an http(s) URL.
 *
 * @public
 */
export type OsImageRequest =
  | { containerDisk: { image: string } }
  | ({ dataSource: { name: string; namespace: string } } & DiskStorageRequest)
  | ({ registry: { url: string } } & DiskStorageRequest)
  | ({ http: { url: string } } & DiskStorageRequest);

/**
 * An extra empty disk.
 *
 * @public
 */
export interface DataDiskRequest extends DiskStorageRequest {
  /** Disk name, unique within the VM (the DataVolume is `<vm>-<name>`). */
  name: string;
}

/**
 * A network interface: on the pod network (masquerade or bridge binding) or on a
 * multus network (a NetworkAttachmentDefinition, `name` or `namespace/name`, bridge).
 *
 * @public
 */
export type NetworkInterfaceRequest =
  | { name: string; type: 'pod'; binding: 'masquerade' | 'bridge' }
  | { name: string; type: 'multus'; networkName: string; binding: 'bridge' };

/**
 * What a user asks for in the "Request a virtual machine" form, after
 * `validateVirtualMachineRequest` (defaults filled in).
 *
 * @public
 */
export interface VirtualMachineRequest {
  /** VM name: a DNS-1123 label of at most 63 characters. */
  name: string;
  namespace: string;
  /** Cluster name as configured under `kubernetes.clusterLocatorMethods`. */
  cluster: string;
  /** The owning group, as a full entity ref (`group:default/team-a`). */
  owner: string;
  description?: string;
  size: VirtualMachineSizeRequest;
  image: OsImageRequest;
  /** Extra empty disks (default none). */
  disks: DataDiskRequest[];
  /** Network interfaces (default one masquerade interface on the pod network). */
  networkInterfaces: NetworkInterfaceRequest[];
  /** One OpenSSH public key line, put in cloud-init's `ssh_authorized_keys`. */
  sshPublicKey?: string;
  /** Default `Always`. */
  runStrategy: VirtualMachineRequestRunStrategy;
  /** Extra labels for the VM and its pods (default none). */
  labels: Record<string, string>;
}
