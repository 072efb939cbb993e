import type {
  KubeObject,
  KubeObjectMeta,
  LabelSelectorLike,
  PersistentVolumeClaimSpecLike,
  ResourceListLike,
} from './kubernetesObjects';

/*
 * KubeVirt's and CDI's objects as the portal reads them and the KubeVirt simulator
 * writes them. Only fields someone uses are typed; others pass through untouched.
 */

/**
 * A condition of a KubeVirt VirtualMachine or VirtualMachineInstance, or of a CDI
 * DataVolume (their condition types share these fields).
 *
 * @public
 */
export interface KubevirtCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
  lastHeartbeatTime?: string | null;
}

/**
 * A volume of a VirtualMachineInstance or of a VirtualMachine's template (the sources
 * the portal looks at; others pass through untyped).
 *
 * @public
 */
export interface VirtualMachineVolume {
  name: string;
  containerDisk?: {
    image: string;
    imagePullPolicy?: string;
    [field: string]: unknown;
  };
  dataVolume?: { name: string; hotpluggable?: boolean };
  persistentVolumeClaim?: {
    claimName: string;
    readOnly?: boolean;
    hotpluggable?: boolean;
  };
  cloudInitNoCloud?: unknown;
  cloudInitConfigDrive?: unknown;
  configMap?: unknown;
  secret?: unknown;
  serviceAccount?: unknown;
  downwardAPI?: unknown;
  downwardMetrics?: unknown;
  sysprep?: unknown;
  /** A path of the virt-launcher container shared with virtiofs: no virtiofs container. */
  containerPath?: object;
  [source: string]: unknown;
}

/**
 * A network interface of a VirtualMachineInstance (`kubevirt.io/v1` Interface).
 *
 * @public
 */
export interface KubevirtInterface {
  name: string;
  model?: string;
  macAddress?: string;
  masquerade?: object;
  bridge?: object;
  sriov?: object;
  passt?: object;
  passtBinding?: object;
  binding?: { name: string };
  [field: string]: unknown;
}

/**
 * A network of a VirtualMachineInstance (`kubevirt.io/v1` Network).
 *
 * @public
 */
export interface KubevirtNetwork {
  name: string;
  pod?: object;
  multus?: { networkName: string; default?: boolean };
}

/**
 * A KubeVirt VirtualMachineInstance spec (kubevirt.io/v1), with the fields that decide
 * what its virt-launcher pod requests and those the VM page shows. A VirtualMachine's
 * `spec.template.spec` has this shape too. Other fields may be present.
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
      uuid?: string;
      [field: string]: unknown;
    };
    machine?: { type?: string };
    devices?: {
      autoattachGraphicsDevice?: boolean;
      autoattachSerialConsole?: boolean;
      autoattachPodInterface?: boolean;
      autoattachVSOCK?: boolean;
      autoattachMemBalloon?: boolean;
      autoattachInputDevice?: boolean;
      logSerialConsole?: boolean;
      tpm?: { enabled?: boolean; persistent?: boolean };
      disks?: Array<{
        name: string;
        bootOrder?: number;
        [field: string]: unknown;
      }>;
      interfaces?: KubevirtInterface[];
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
  volumes?: VirtualMachineVolume[];
  networks?: KubevirtNetwork[];
  hostname?: string;
  startStrategy?: 'Paused';
  terminationGracePeriodSeconds?: number;
  livenessProbe?: { exec?: object; [field: string]: unknown };
  readinessProbe?: { exec?: object; [field: string]: unknown };
  [field: string]: unknown;
}

/**
 * A VirtualMachine's template (`spec.template`), or a VirtualMachineInstance as the
 * launcher pod arithmetic takes it: metadata may be partial, the spec is required.
 *
 * @public
 */
export interface VirtualMachineInstanceLike {
  metadata?: Partial<KubeObjectMeta>;
  spec: VirtualMachineInstanceSpecLike;
}

/**
 * A VirtualMachineInstance phase, as KubeVirt spells them.
 *
 * @public
 */
export type VirtualMachineInstancePhase =
  | ''
  | 'Pending'
  | 'Scheduling'
  | 'Scheduled'
  | 'Running'
  | 'Succeeded'
  | 'Failed'
  | 'WaitingForSync'
  | 'Unknown';

/**
 * A VirtualMachineInstance's status (kubevirt.io/v1).
 *
 * @public
 */
export interface VirtualMachineInstanceStatus {
  phase?: VirtualMachineInstancePhase;
  nodeName?: string;
  conditions?: KubevirtCondition[];
  phaseTransitionTimestamps?: Array<{
    phase?: string;
    phaseTransitionTimestamp?: string;
  }>;
  guestOSInfo?: {
    id?: string;
    name?: string;
    prettyName?: string;
    version?: string;
    kernelRelease?: string;
    [field: string]: string | undefined;
  };
  interfaces?: Array<{
    name?: string;
    mac?: string;
    ipAddress?: string;
    ipAddresses?: string[];
    interfaceName?: string;
    [field: string]: unknown;
  }>;
  activePods?: Record<string, string>;
  qosClass?: string;
  launcherContainerImageVersion?: string;
  volumeStatus?: Array<Record<string, unknown>>;
  /** The latest migration's state, as virt-handler reports it on the VMI. */
  migrationState?: VirtualMachineInstanceMigrationState & {
    migrationUid?: string;
  };
  [field: string]: unknown;
}

/**
 * A KubeVirt VirtualMachineInstance (kubevirt.io/v1).
 *
 * @public
 */
export interface VirtualMachineInstanceObject extends KubeObject {
  spec: VirtualMachineInstanceSpecLike;
  status?: VirtualMachineInstanceStatus;
}

/**
 * A CDI DataVolume's spec (cdi.kubevirt.io/v1beta1).
 *
 * @public
 */
export interface DataVolumeSpec {
  source?: {
    http?: { url: string; [field: string]: unknown };
    registry?: { url?: string; imageStream?: string; [field: string]: unknown };
    pvc?: { name: string; namespace: string };
    blank?: object;
    upload?: object;
    snapshot?: { name: string; namespace: string };
    [field: string]: unknown;
  };
  sourceRef?: { kind: string; name: string; namespace?: string };
  pvc?: PersistentVolumeClaimSpecLike;
  storage?: PersistentVolumeClaimSpecLike;
  contentType?: string;
  [field: string]: unknown;
}

/**
 * A CDI DataVolume (cdi.kubevirt.io/v1beta1).
 *
 * @public
 */
export interface DataVolumeObject extends KubeObject {
  spec: DataVolumeSpec;
  status?: {
    phase?: string;
    progress?: string;
    claimName?: string;
    restartCount?: number;
    conditions?: KubevirtCondition[];
  };
}

/**
 * A CDI DataSource (`cdi.kubevirt.io/v1beta1`): a named, refreshable clone source (a
 * golden image), pointing at a PVC or a VolumeSnapshot, or at another DataSource.
 *
 * @public
 */
export interface DataSourceObject extends KubeObject {
  spec: {
    source?: {
      pvc?: { name: string; namespace?: string };
      snapshot?: { name: string; namespace?: string };
      dataSource?: { name: string; namespace?: string };
    };
  };
  status?: { conditions?: KubevirtCondition[] };
}

/**
 * A CDI DataImportCron (`cdi.kubevirt.io/v1beta1`): imports an image on a schedule
 * and points its managed DataSource at the newest import.
 *
 * @public
 */
export interface DataImportCronObject extends KubeObject {
  spec: {
    managedDataSource?: string;
    schedule?: string;
    template?: {
      spec?: {
        source?: { registry?: { url?: string } };
        storage?: { resources?: { requests?: { storage?: string } } };
      };
    };
  };
  status?: { lastImportTimestamp?: string };
}

/**
 * A DataVolume a VirtualMachine creates for itself (`kubevirt.io/v1`
 * DataVolumeTemplateSpec).
 *
 * @public
 */
export interface DataVolumeTemplate {
  metadata?: Partial<KubeObjectMeta>;
  spec: DataVolumeSpec;
}

/**
 * A request in a VirtualMachine's status to start or stop its instance
 * (`kubevirt.io/v1` VirtualMachineStateChangeRequest).
 *
 * @public
 */
export interface VirtualMachineStateChangeRequest {
  action: 'Start' | 'Stop';
  data?: Record<string, string>;
  uid?: string;
}

/**
 * A VirtualMachine's status (kubevirt.io/v1).
 *
 * @public
 */
export interface VirtualMachineStatus {
  printableStatus?: string;
  created?: boolean;
  ready?: boolean;
  runStrategy?: string;
  conditions?: KubevirtCondition[];
  stateChangeRequests?: VirtualMachineStateChangeRequest[];
  desiredGeneration?: number;
  observedGeneration?: number;
  [field: string]: unknown;
}

/**
 * A KubeVirt `VirtualMachine` (kubevirt.io/v1).
 *
 * @public
 */
export interface VirtualMachine extends KubeObject {
  spec: {
    runStrategy?: string;
    /** Deprecated by KubeVirt in favour of `runStrategy`: true is Always, false is Halted. */
    running?: boolean;
    instancetype?: { kind?: string; name: string };
    preference?: { kind?: string; name: string };
    dataVolumeTemplates?: DataVolumeTemplate[];
    template?: VirtualMachineInstanceLike;
    [field: string]: unknown;
  };
  status?: VirtualMachineStatus;
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

/**
 * CDI's cluster configuration (the `CDIConfig` named `config`), reduced to what sizes
 * a DataVolume's claims and its importer pod.
 *
 * @public
 */
export interface CdiConfigLike {
  status?: {
    filesystemOverhead?: {
      global?: string;
      storageClass?: Record<string, string>;
    };
    scratchSpaceStorageClass?: string;
    defaultPodResourceRequirements?: {
      requests?: Record<string, string>;
      limits?: Record<string, string>;
    };
  };
}

/**
 * CDI's cluster configuration (`cdiconfigs.cdi.kubevirt.io` named `config`), as read.
 *
 * @public
 */
export type CdiConfigObject = KubeObject & CdiConfigLike;

/**
 * A CDI StorageProfile (`storageprofiles.cdi.kubevirt.io`): how CDI creates claims in
 * the storage class of the same name.
 *
 * @public
 */
export interface StorageProfileObject extends KubeObject {
  status?: {
    storageClass?: string;
    provisioner?: string;
    claimPropertySets?: Array<{
      volumeMode?: string;
      accessModes?: string[];
    }>;
  };
}

/**
 * The KubeVirt custom resource (`kubevirts.kubevirt.io`), reduced to its configuration.
 *
 * @public
 */
export interface KubevirtObject extends KubeObject {
  spec?: { configuration?: KubeVirtConfigurationLike };
  /** `defaultArchitecture` is set by virt-operator from the nodes, and wins over the spec's. */
  status?: { defaultArchitecture?: string };
}

/**
 * A KubeVirt instancetype (`VirtualMachineClusterInstancetype` or the namespaced
 * `VirtualMachineInstancetype`, instancetype.kubevirt.io/v1beta1) as read from a
 * cluster.
 *
 * @public
 */
export interface VirtualMachineInstancetype extends KubeObject {
  spec: InstancetypeSpecLike;
}

/**
 * An instancetype whose kind is known, as the size catalog holds it.
 *
 * @public
 */
export interface InstancetypeObject extends VirtualMachineInstancetype {
  kind: 'VirtualMachineClusterInstancetype' | 'VirtualMachineInstancetype';
}

/**
 * A `VirtualMachineClusterPreference` or namespaced `VirtualMachinePreference`
 * (instancetype.kubevirt.io/v1beta1) as read from a cluster.
 *
 * @public
 */
export interface PreferenceObject extends KubeObject {
  kind: 'VirtualMachineClusterPreference' | 'VirtualMachinePreference';
  spec: PreferenceSpecLike;
}

/**
 * A VirtualMachineInstanceMigration (kubevirt.io/v1): a request to move a running VMI
 * to another node, and how far it got.
 *
 * @public
 */
export interface VirtualMachineInstanceMigrationObject extends KubeObject {
  spec: { vmiName: string };
  status?: {
    /** Pending, Scheduling, Scheduled, PreparingTarget, TargetReady, Running, Succeeded, Failed. */
    phase?: string;
    conditions?: KubevirtCondition[];
    migrationState?: VirtualMachineInstanceMigrationState;
  };
}

/**
 * Where a live migration stands: on the VirtualMachineInstanceMigration and on the
 * VMI (`status.migrationState`, for the VMI's latest migration).
 *
 * @public
 */
export interface VirtualMachineInstanceMigrationState {
  sourceNode?: string;
  targetNode?: string;
  targetPod?: string;
  startTimestamp?: string;
  endTimestamp?: string;
  completed?: boolean;
  failed?: boolean;
  failureReason?: string;
}
