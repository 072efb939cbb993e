/**
 * The metadata of a Kubernetes object as the apiserver writes it in JSON (timestamps
 * stay strings). Only `name` is always set on a stored object; a template's metadata
 * is `Partial<KubeObjectMeta>`.
 *
 * @public
 */
export interface KubeObjectMeta {
  name: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: KubeOwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

/**
 * A reference from an object to its owner (`metav1.OwnerReference`).
 *
 * @public
 */
export interface KubeOwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
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
  metadata: KubeObjectMeta;
  spec?: unknown;
  status?: unknown;
}

/**
 * Resource amounts keyed by resource name, as Kubernetes writes them in JSON
 * (`{ "cpu": "500m", "memory": "4Gi" }`).
 *
 * @public
 */
export type ResourceListLike = Record<string, string>;

/**
 * A Kubernetes label selector (`metav1.LabelSelector`).
 *
 * @public
 */
export interface LabelSelectorLike {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
    values?: string[];
  }>;
}

/**
 * A ResourceQuota (core/v1) as read from the cluster: `spec.hard` is what the quota
 * allows, `status.used` what the namespace already uses.
 *
 * @public
 */
export interface ResourceQuotaLike {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    hard?: ResourceListLike;
    scopes?: string[];
    scopeSelector?: {
      matchExpressions?: Array<{
        scopeName: string;
        operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
        values?: string[];
      }>;
    };
  };
  status?: { hard?: ResourceListLike; used?: ResourceListLike };
}

/**
 * One item of a LimitRange (core/v1).
 *
 * @public
 */
export interface LimitRangeItemLike {
  type: 'Container' | 'Pod' | 'PersistentVolumeClaim' | string;
  default?: ResourceListLike;
  defaultRequest?: ResourceListLike;
  max?: ResourceListLike;
  min?: ResourceListLike;
  maxLimitRequestRatio?: ResourceListLike;
}

/**
 * A LimitRange (core/v1) as read from the cluster.
 *
 * @public
 */
export interface LimitRangeLike {
  metadata?: { name?: string; namespace?: string };
  spec?: { limits?: LimitRangeItemLike[] };
}

/**
 * A container of a pod spec as far as its resources go (core/v1 `Container`).
 *
 * @public
 */
export interface PodContainerResourcesLike {
  name: string;
  /** `Always` on an init container makes it a sidecar. */
  restartPolicy?: string;
  resources?: { requests?: ResourceListLike; limits?: ResourceListLike };
}

/**
 * A pod spec as far as its containers' resources go (core/v1 `PodSpec`).
 *
 * @public
 */
export interface PodSpecResourcesLike {
  containers?: PodContainerResourcesLike[];
  initContainers?: PodContainerResourcesLike[];
}

/**
 * A Pod (core/v1), reduced to what the portal reads of a virt-launcher pod.
 *
 * @public
 */
export interface PodObject extends KubeObject {
  spec?: PodSpecResourcesLike & { nodeName?: string };
  status?: { phase?: string; qosClass?: string; startTime?: string };
}

/**
 * A PersistentVolumeClaim's spec (core/v1), also the claim a CDI DataVolume asks for.
 *
 * @public
 */
export interface PersistentVolumeClaimSpecLike {
  accessModes?: string[];
  volumeMode?: string;
  storageClassName?: string;
  resources?: { requests?: ResourceListLike; limits?: ResourceListLike };
  [field: string]: unknown;
}

/**
 * A PersistentVolumeClaim (core/v1).
 *
 * @public
 */
export interface PersistentVolumeClaimObject extends KubeObject {
  spec?: PersistentVolumeClaimSpecLike;
  status?: { phase?: string; capacity?: ResourceListLike };
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
 * One operation of a JSON patch (RFC 6902), as the apiserver takes it.
 *
 * @public
 */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/**
 * A VolumeSnapshot (`snapshot.storage.k8s.io/v1`), as far as CDI clones from it.
 *
 * @public
 */
export interface VolumeSnapshotObject extends KubeObject {
  spec?: {
    source?: {
      persistentVolumeClaimName?: string;
      volumeSnapshotContentName?: string;
    };
    volumeSnapshotClassName?: string;
  };
  status?: { readyToUse?: boolean; restoreSize?: string };
}

/**
 * A Node (core/v1), as far as the migration plan looks at it: whether pods may be
 * scheduled there and what it offers them.
 *
 * @public
 */
export interface NodeObject extends KubeObject {
  spec?: {
    unschedulable?: boolean;
    taints?: Array<{ key: string; value?: string; effect: string }>;
  };
  status?: {
    allocatable?: Record<string, string>;
    conditions?: Array<{ type: string; status: string }>;
  };
}
