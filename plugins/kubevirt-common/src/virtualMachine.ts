/**
 * The parts of a Kubernetes object's metadata the VM Portal reads.
 *
 * @public
 */
export interface KubeObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * A volume of a VirtualMachine's template, as KubeVirt's API has it (the sources the
 * portal looks at; others pass through untyped).
 *
 * @public
 */
export interface VirtualMachineVolume {
  name: string;
  containerDisk?: { image: string };
  dataVolume?: { name: string };
  persistentVolumeClaim?: { claimName: string };
  cloudInitNoCloud?: unknown;
  cloudInitConfigDrive?: unknown;
  configMap?: unknown;
  secret?: unknown;
  serviceAccount?: unknown;
  downwardAPI?: unknown;
  downwardMetrics?: unknown;
  sysprep?: unknown;
  [source: string]: unknown;
}

/**
 * Volume sources that carry configuration for the guest (cloud-init, secrets, config
 * maps, sysprep...), not its data: they are not counted as disks.
 *
 * @public
 */
export const CONFIG_VOLUME_SOURCES: readonly string[] = [
  'cloudInitNoCloud',
  'cloudInitConfigDrive',
  'configMap',
  'secret',
  'serviceAccount',
  'downwardAPI',
  'downwardMetrics',
  'sysprep',
];

/** Volume sources KubeVirt knows, in the order they are looked for. */
const VOLUME_SOURCES: readonly string[] = [
  'containerDisk',
  'dataVolume',
  'persistentVolumeClaim',
  ...CONFIG_VOLUME_SOURCES,
  'emptyDisk',
  'ephemeral',
  'hostDisk',
  'memoryDump',
];

/**
 * The source a volume is made from (`containerDisk`, `dataVolume`, `cloudInitNoCloud`,
 * ...): the first source KubeVirt knows, else its first other field.
 *
 * @public
 */
export function volumeSourceType(volume: VirtualMachineVolume): string {
  return (
    VOLUME_SOURCES.find(source => volume[source] !== undefined) ??
    Object.keys(volume).find(key => key !== 'name') ??
    'unknown'
  );
}

/**
 * A KubeVirt `VirtualMachine` (kubevirt.io/v1), reduced to the fields the portal reads.
 *
 * @public
 */
export interface VirtualMachine {
  apiVersion?: string;
  kind?: string;
  metadata: KubeObjectMeta;
  spec: {
    runStrategy?: string;
    /** Deprecated by KubeVirt in favour of `runStrategy`: true is Always, false is Halted. */
    running?: boolean;
    instancetype?: { kind?: string; name: string };
    preference?: { kind?: string; name: string };
    dataVolumeTemplates?: Array<{
      metadata?: { name?: string };
      spec?: {
        source?: {
          registry?: { url?: string };
          http?: { url?: string };
          pvc?: { name?: string; namespace?: string };
        };
        sourceRef?: { kind?: string; name?: string; namespace?: string };
      };
    }>;
    template?: {
      metadata?: {
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
      };
      spec?: {
        hostname?: string;
        domain?: {
          cpu?: { cores?: number; sockets?: number; threads?: number };
          memory?: { guest?: string };
          resources?: {
            requests?: Record<string, string>;
            limits?: Record<string, string>;
          };
          devices?: {
            disks?: Array<{ name: string; bootOrder?: number }>;
            interfaces?: Array<{ name: string }>;
          };
        };
        volumes?: VirtualMachineVolume[];
        networks?: Array<{ name: string }>;
      };
    };
  };
  status?: {
    printableStatus?: string;
    ready?: boolean;
    created?: boolean;
    conditions?: Array<{
      type: string;
      status: string;
      reason?: string;
      message?: string;
    }>;
  };
}

/**
 * The run strategies KubeVirt knows.
 *
 * @public
 */
export const VIRTUAL_MACHINE_RUN_STRATEGIES = [
  'Always',
  'Halted',
  'Manual',
  'RerunOnFailure',
  'Once',
  'WaitAsReceiver',
] as const;

/**
 * A VirtualMachine's effective run strategy: `spec.runStrategy`, else the deprecated
 * `spec.running` (true is Always, false is Halted), else Halted as KubeVirt defaults.
 *
 * @public
 */
export function virtualMachineRunStrategy(vm: VirtualMachine): string {
  if (vm.spec.runStrategy) return vm.spec.runStrategy;
  if (vm.spec.running === true) return 'Always';
  return 'Halted';
}

/**
 * A KubeVirt instancetype (`VirtualMachineClusterInstancetype` or the namespaced
 * `VirtualMachineInstancetype`, instancetype.kubevirt.io/v1beta1), reduced to the size
 * it gives a VM.
 *
 * @public
 */
export interface VirtualMachineInstancetype {
  apiVersion?: string;
  kind?: string;
  metadata: KubeObjectMeta;
  spec: {
    cpu?: { guest?: number };
    memory?: { guest?: string; overcommitPercent?: number };
  };
}
