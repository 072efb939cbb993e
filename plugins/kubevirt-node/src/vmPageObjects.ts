import type { KubeObjectMeta } from '@vmportal/plugin-kubevirt-common';

/**
 * Metadata of an object read as JSON, with the fields the VM page looks at besides
 * {@link @vmportal/plugin-kubevirt-common#KubeObjectMeta}.
 *
 * @public
 */
export interface KubeObjectMetadata extends KubeObjectMeta {
  deletionTimestamp?: string;
  managedFields?: unknown[];
  ownerReferences?: Array<{ kind: string; name: string; uid: string }>;
}

/**
 * Any Kubernetes object, read as the apiserver's JSON (no typed conversion, so no
 * field is lost and timestamps stay strings).
 *
 * @public
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: KubeObjectMetadata;
  spec?: unknown;
  status?: unknown;
}

/**
 * A KubeVirt VirtualMachineInstance (kubevirt.io/v1), with the status fields the VM
 * page shows.
 *
 * @public
 */
export interface VirtualMachineInstanceObject extends KubeObject {
  spec?: {
    domain?: {
      cpu?: { cores?: number; sockets?: number; threads?: number };
      memory?: { guest?: string };
      resources?: { requests?: Record<string, string> };
    };
  };
  status?: {
    phase?: string;
    nodeName?: string;
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
    };
    interfaces?: Array<{
      name?: string;
      mac?: string;
      ipAddress?: string;
      ipAddresses?: string[];
      interfaceName?: string;
    }>;
  };
}

/**
 * Resources of one container of a pod.
 *
 * @public
 */
export interface PodContainerObject {
  name: string;
  restartPolicy?: string;
  resources?: {
    requests?: Record<string, string>;
    limits?: Record<string, string>;
  };
}

/**
 * A Pod (core/v1), reduced to what the VM page shows of the virt-launcher pod.
 *
 * @public
 */
export interface PodObject extends KubeObject {
  spec?: {
    nodeName?: string;
    containers?: PodContainerObject[];
    initContainers?: PodContainerObject[];
  };
  status?: { phase?: string; qosClass?: string; startTime?: string };
}

/**
 * A PersistentVolumeClaim (core/v1).
 *
 * @public
 */
export interface PersistentVolumeClaimObject extends KubeObject {
  spec?: {
    storageClassName?: string;
    resources?: { requests?: Record<string, string> };
  };
  status?: { phase?: string; capacity?: Record<string, string> };
}

/**
 * A CDI DataVolume (cdi.kubevirt.io/v1beta1).
 *
 * @public
 */
export interface DataVolumeObject extends KubeObject {
  spec?: {
    storage?: {
      storageClassName?: string;
      resources?: { requests?: Record<string, string> };
    };
    pvc?: {
      storageClassName?: string;
      resources?: { requests?: Record<string, string> };
    };
  };
  status?: { phase?: string; progress?: string };
}

/**
 * An Event (core/v1).
 *
 * @public
 */
export interface KubeEventObject extends KubeObject {
  involvedObject?: { kind?: string; name?: string; uid?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  series?: { count?: number; lastObservedTime?: string };
}

/**
 * A StorageClass (storage.k8s.io/v1).
 *
 * @public
 */
export interface StorageClassObject extends KubeObject {
  provisioner?: string;
  volumeBindingMode?: string;
}

/**
 * One operation of a JSON patch (RFC 6902).
 *
 * @public
 */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/**
 * A KubeVirt power subresource: `start`, `stop` and `restart` act on the
 * VirtualMachine, `pause` and `unpause` on its VirtualMachineInstance.
 *
 * @public
 */
export type KubevirtPowerSubresource =
  | 'start'
  | 'stop'
  | 'restart'
  | 'pause'
  | 'unpause';
