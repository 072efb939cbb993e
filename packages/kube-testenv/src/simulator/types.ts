import type {
  V1ObjectMeta,
  V1OwnerReference,
  V1PersistentVolumeClaimSpec,
} from '@kubernetes/client-node';

/*
 * The parts of KubeVirt's and CDI's objects the simulator reads and writes.
 * Only fields it uses are typed; everything else passes through untouched,
 * because objects are always written back as read (plus our changes).
 */

/** A KubeVirt condition (VM, VMI) or a CDI DataVolume condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
  lastHeartbeatTime?: string | null;
}

/** `kubevirt.io/v1` Volume (only the sources the simulator understands). */
export interface KubevirtVolume {
  name: string;
  containerDisk?: { image: string; imagePullPolicy?: string };
  dataVolume?: { name: string; hotpluggable?: boolean };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  cloudInitNoCloud?: unknown;
  cloudInitConfigDrive?: unknown;
  [other: string]: unknown;
}

/** `kubevirt.io/v1` Interface. */
export interface KubevirtInterface {
  name: string;
  macAddress?: string;
  masquerade?: object;
  bridge?: object;
  sriov?: object;
  passt?: object;
  binding?: { name: string };
  [other: string]: unknown;
}

/** `kubevirt.io/v1` Network. */
export interface KubevirtNetwork {
  name: string;
  pod?: object;
  multus?: { networkName: string; default?: boolean };
}

/** `kubevirt.io/v1` VirtualMachineInstanceSpec (partial). */
export interface VirtualMachineInstanceSpec {
  domain: {
    cpu?: {
      cores?: number;
      sockets?: number;
      threads?: number;
      dedicatedCpuPlacement?: boolean;
    };
    memory?: { guest?: string };
    resources?: {
      requests?: Record<string, string>;
      limits?: Record<string, string>;
    };
    machine?: { type?: string };
    firmware?: { uuid?: string; [other: string]: unknown };
    devices?: {
      disks?: Array<{ name: string; [other: string]: unknown }>;
      filesystems?: Array<{ name: string }>;
      interfaces?: KubevirtInterface[];
      autoattachPodInterface?: boolean;
      [other: string]: unknown;
    };
    [other: string]: unknown;
  };
  volumes?: KubevirtVolume[];
  networks?: KubevirtNetwork[];
  startStrategy?: 'Paused';
  terminationGracePeriodSeconds?: number;
  [other: string]: unknown;
}

/** `kubevirt.io/v1` VirtualMachineInstance (partial). */
export interface VirtualMachineInstance {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec: VirtualMachineInstanceSpec;
  status?: VirtualMachineInstanceStatus;
}

/** A VMI phase, as KubeVirt spells them. */
export type VmiPhase =
  | ''
  | 'Pending'
  | 'Scheduling'
  | 'Scheduled'
  | 'Running'
  | 'Succeeded'
  | 'Failed'
  | 'WaitingForSync'
  | 'Unknown';

/** `kubevirt.io/v1` VirtualMachineInstanceStatus (partial). */
export interface VirtualMachineInstanceStatus {
  phase?: VmiPhase;
  nodeName?: string;
  conditions?: Condition[];
  phaseTransitionTimestamps?: Array<{
    phase: string;
    phaseTransitionTimestamp: string;
  }>;
  interfaces?: Array<Record<string, unknown>>;
  guestOSInfo?: Record<string, string>;
  activePods?: Record<string, string>;
  qosClass?: string;
  launcherContainerImageVersion?: string;
  volumeStatus?: Array<Record<string, unknown>>;
  [other: string]: unknown;
}

/** `kubevirt.io/v1` VirtualMachineStateChangeRequest. */
export interface StateChangeRequest {
  action: 'Start' | 'Stop';
  data?: Record<string, string>;
  uid?: string;
}

/** `kubevirt.io/v1` DataVolumeTemplateSpec. */
export interface DataVolumeTemplate {
  metadata?: V1ObjectMeta;
  spec: DataVolumeSpec;
}

/** `kubevirt.io/v1` VirtualMachine (partial). */
export interface VirtualMachine {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec: {
    running?: boolean;
    runStrategy?: string;
    instancetype?: { name: string; kind?: string };
    preference?: { name: string; kind?: string };
    template: { metadata?: V1ObjectMeta; spec: VirtualMachineInstanceSpec };
    dataVolumeTemplates?: DataVolumeTemplate[];
    [other: string]: unknown;
  };
  status?: VirtualMachineStatus;
}

/** `kubevirt.io/v1` VirtualMachineStatus (partial). */
export interface VirtualMachineStatus {
  printableStatus?: string;
  created?: boolean;
  ready?: boolean;
  runStrategy?: string;
  conditions?: Condition[];
  stateChangeRequests?: StateChangeRequest[];
  desiredGeneration?: number;
  observedGeneration?: number;
  [other: string]: unknown;
}

/** `cdi.kubevirt.io/v1beta1` DataVolumeSpec (partial). */
export interface DataVolumeSpec {
  source?: {
    http?: { url: string };
    registry?: { url?: string; imageStream?: string };
    pvc?: { name: string; namespace: string };
    blank?: object;
    upload?: object;
    snapshot?: { name: string; namespace: string };
    [other: string]: unknown;
  };
  sourceRef?: { kind: string; name: string; namespace?: string };
  pvc?: V1PersistentVolumeClaimSpec;
  storage?: V1PersistentVolumeClaimSpec;
  contentType?: string;
  [other: string]: unknown;
}

/** `cdi.kubevirt.io/v1beta1` DataVolume (partial). */
export interface DataVolume {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec: DataVolumeSpec;
  status?: {
    phase?: string;
    progress?: string;
    claimName?: string;
    restartCount?: number;
    conditions?: Condition[];
  };
}

/** The controller owner reference of `object`, if any. */
export function controllerOf(object: {
  metadata?: V1ObjectMeta;
}): V1OwnerReference | undefined {
  return object.metadata?.ownerReferences?.find(ref => ref.controller);
}

/** A controller owner reference to `owner`, as `metav1.NewControllerRef` builds it. */
export function controllerRef(
  owner: { metadata: V1ObjectMeta },
  apiVersion: string,
  kind: string,
): V1OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}
