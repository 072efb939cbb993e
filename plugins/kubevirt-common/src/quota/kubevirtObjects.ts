import type {
  LabelSelectorLike,
  ResourceListLike,
} from '../kube/kubernetesObjects';

/**
 * The fields of a KubeVirt VirtualMachineInstance spec (kubevirt.io/v1) that decide
 * what its virt-launcher pod requests. A VirtualMachine's `spec.template.spec` has
 * this shape too. Other fields may be present and are ignored.
 *
 * @public
 */
export interface VirtualMachineInstanceSpecLike {
  architecture?: string;
  domain: {
    cpu?: {
      cores?: number;
      sockets?: number;
      threads?: number;
      maxSockets?: number;
      model?: string;
      /** Note the spelling: the VMI says `dedicatedCpuPlacement`, instancetypes `dedicatedCPUPlacement`. */
      dedicatedCpuPlacement?: boolean;
      isolateEmulatorThread?: boolean;
      numa?: object;
      realtime?: object;
    };
    memory?: {
      guest?: string;
      maxGuest?: string;
      hugepages?: { pageSize: string };
      reservedOverhead?: { addedOverhead?: string };
    };
    resources?: {
      requests?: ResourceListLike;
      limits?: ResourceListLike;
      overcommitGuestOverhead?: boolean;
    };
    ioThreadsPolicy?: string;
    ioThreads?: { supplementalPoolThreadCount?: number };
    launchSecurity?: {
      sev?: { policy?: { encryptedState?: boolean } };
      snp?: object;
      tdx?: object;
    };
    firmware?: {
      bootloader?: {
        efi?: { secureBoot?: boolean; persistent?: boolean };
        bios?: object;
      };
      /** A kernel-boot container image adds a container-disk-like container to the pod. */
      kernelBoot?: {
        container?: { image: string; [field: string]: unknown };
        [field: string]: unknown;
      };
    };
    devices?: {
      autoattachGraphicsDevice?: boolean;
      autoattachSerialConsole?: boolean;
      autoattachPodInterface?: boolean;
      autoattachVSOCK?: boolean;
      autoattachMemBalloon?: boolean;
      autoattachInputDevice?: boolean;
      logSerialConsole?: boolean;
      tpm?: { enabled?: boolean; persistent?: boolean };
      disks?: Array<{ name: string; [field: string]: unknown }>;
      interfaces?: Array<{
        name: string;
        model?: string;
        masquerade?: object;
        bridge?: object;
        sriov?: object;
        passtBinding?: object;
        binding?: { name: string };
        [field: string]: unknown;
      }>;
      gpus?: Array<{
        name: string;
        deviceName?: string;
        claimRequest?: object;
      }>;
      hostDevices?: Array<{
        name: string;
        deviceName?: string;
        claimRequest?: object;
      }>;
      filesystems?: Array<{ name: string; virtiofs?: object }>;
      [field: string]: unknown;
    };
    [field: string]: unknown;
  };
  volumes?: Array<{
    name: string;
    containerDisk?: { image: string; [field: string]: unknown };
    dataVolume?: { name: string };
    persistentVolumeClaim?: { claimName: string };
    downwardMetrics?: object;
    /** A path of the virt-launcher container shared with virtiofs: no virtiofs container. */
    containerPath?: object;
    [field: string]: unknown;
  }>;
  networks?: Array<{
    name: string;
    pod?: object;
    multus?: { networkName: string; default?: boolean };
  }>;
  livenessProbe?: { exec?: object; [field: string]: unknown };
  readinessProbe?: { exec?: object; [field: string]: unknown };
  [field: string]: unknown;
}

/**
 * A VirtualMachineInstance (kubevirt.io/v1), or a VirtualMachine's template, reduced
 * to what decides its virt-launcher pod's resources.
 *
 * @public
 */
export interface VirtualMachineInstanceLike {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: VirtualMachineInstanceSpecLike;
}

/**
 * The spec of a VirtualMachine(Cluster)Instancetype (instancetype.kubevirt.io/v1beta1).
 *
 * @public
 */
export interface InstancetypeSpecLike {
  cpu: {
    guest: number;
    model?: string;
    dedicatedCPUPlacement?: boolean;
    isolateEmulatorThread?: boolean;
    maxSockets?: number;
    numa?: object;
    realtime?: object;
  };
  memory: {
    guest: string;
    hugepages?: { pageSize: string };
    overcommitPercent?: number;
    maxGuest?: string;
  };
  ioThreadsPolicy?: string;
  ioThreads?: { supplementalPoolThreadCount?: number };
  launchSecurity?: VirtualMachineInstanceSpecLike['domain']['launchSecurity'];
  gpus?: Array<{ name: string; deviceName?: string }>;
  hostDevices?: Array<{ name: string; deviceName?: string }>;
  annotations?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  schedulerName?: string;
}

/**
 * The spec of a VirtualMachine(Cluster)Preference (instancetype.kubevirt.io/v1beta1);
 * only the preferences that change what the launcher pod requests are typed.
 *
 * @public
 */
export interface PreferenceSpecLike {
  cpu?: {
    preferredCPUTopology?: string;
    spreadOptions?: { across?: string; ratio?: number };
    [field: string]: unknown;
  };
  preferSpreadSocketToCoreRatio?: number;
  devices?: {
    preferredAutoattachGraphicsDevice?: boolean;
    preferredAutoattachSerialConsole?: boolean;
    preferredAutoattachPodInterface?: boolean;
    preferredAutoattachMemBalloon?: boolean;
    preferredAutoattachInputDevice?: boolean;
    preferredInterfaceModel?: string;
    preferredTPM?: { enabled?: boolean; persistent?: boolean };
    [field: string]: unknown;
  };
  firmware?: {
    preferredUseBios?: boolean;
    preferredEfi?: { secureBoot?: boolean; persistent?: boolean };
    [field: string]: unknown;
  };
  preferredArchitecture?: string;
  /** Applied when the VM sets no `launchSecurity` (SEV: memory overhead and a device). */
  preferredLaunchSecurity?: VirtualMachineInstanceSpecLike['domain']['launchSecurity'];
  requirements?: { cpu?: { guest?: number }; memory?: { guest?: string } };
  [field: string]: unknown;
}

/**
 * The KubeVirt CR's `spec.configuration` (KubeVirtConfiguration), reduced to the
 * settings that change what a virt-launcher pod requests. Unset fields take KubeVirt
 * v1.9.0's defaults.
 *
 * @public
 */
export interface KubeVirtConfigurationLike {
  developerConfiguration?: {
    /** vCPUs per requested CPU for VMs without dedicated CPUs (default 10). */
    cpuAllocationRatio?: number;
    /** Percent of guest memory a VM without a memory request is given (default 100). */
    memoryOvercommit?: number;
    useEmulation?: boolean;
    featureGates?: string[];
    disabledFeatureGates?: string[];
    [field: string]: unknown;
  };
  /** CPU request of every VM without dedicated CPUs (default 100m, which means "by vCPUs"). */
  cpuRequest?: string;
  /** Multiplies KubeVirt's memory overhead, e.g. "1.5". */
  additionalGuestMemoryOverheadRatio?: string;
  supportContainerResources?: Array<{
    type: string;
    resources: { requests?: ResourceListLike; limits?: ResourceListLike };
  }>;
  virtualMachineOptions?: { disableSerialConsoleLog?: object };
  /** Network settings: KubeVirt's JSON field is `network` (its Go type is `NetworkConfiguration`). */
  network?: {
    defaultNetworkInterface?: string;
    permitBridgeInterfaceOnPodNetwork?: boolean;
    binding?: Record<
      string,
      {
        sidecarImage?: string;
        computeResourceOverhead?: { requests?: ResourceListLike };
        [field: string]: unknown;
      }
    >;
    [field: string]: unknown;
  };
  autoCPULimitNamespaceLabelSelector?: LabelSelectorLike;
  architectureConfiguration?: { defaultArchitecture?: string };
  /** Storage class of the persistent TPM/EFI state volume. */
  vmStateStorageClass?: string;
  [field: string]: unknown;
}
