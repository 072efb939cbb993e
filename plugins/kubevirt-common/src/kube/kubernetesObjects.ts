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
