import { Quantity } from '../kube/Quantity';
import type {
  PersistentVolumeClaimObject,
  VolumeSnapshotObject,
} from '../kube/kubernetesObjects';

/** The annotations CDI puts on a source claim once its size-detection pod measured the image. */
const VIRTUAL_SIZE_ANNOTATION = 'cdi.Kubervirt.io/virtualSize';
const MEASURED_CAPACITY_ANNOTATION = 'cdi.Kubervirt.io/sourceCapacity';
const CONTENT_TYPE_ANNOTATION = 'cdi.kubevirt.io/storage.contentType';

/**
 * What CDI reads of a clone's source (a DataSource's PersistentVolumeClaim or
 * VolumeSnapshot) when it sizes and checks the clone.
 *
 * @public
 */
export type CloneSourceInfo =
  | {
      kind: 'PersistentVolumeClaim';
      namespace: string;
      name: string;
      /** `spec.storageClassName`. */
      storageClass?: string;
      /** `spec.volumeMode`; Filesystem when unset. */
      volumeMode?: 'Filesystem' | 'Block';
      /** `spec.resources.requests.storage`. */
      requested?: string;
      /** `status.capacity.storage`. */
      capacity?: string;
      /** The `cdi.kubevirt.io/storage.contentType` annotation (`kubevirt` on claims CDI filled). */
      contentType?: string;
      /**
       * The image's virtual size in bytes, as CDI's size-detection pod measured it for
       * an earlier clone (the `cdi.Kubervirt.io/virtualSize` annotation), when CDI
       * still trusts it: the claim's capacity is the one it was measured at
       * (`cdi.Kubervirt.io/sourceCapacity`), as CDI's getSizeFromAnnotations checks.
       */
      virtualSize?: string;
    }
  | {
      kind: 'VolumeSnapshot';
      namespace: string;
      name: string;
      /** `status.restoreSize`. */
      restoreSize?: string;
    };

/**
 * The part of a DataSource's source claim or snapshot that CDI sizes a clone from.
 *
 * @public
 */
export function cloneSourceOf(
  source:
    | ({ kind: 'PersistentVolumeClaim' } & PersistentVolumeClaimObject)
    | ({ kind: 'VolumeSnapshot' } & VolumeSnapshotObject),
): CloneSourceInfo {
  const namespace = source.metadata.namespace ?? '';
  const name = source.metadata.name;
  if (source.kind === 'VolumeSnapshot') {
    const restoreSize = source.status?.restoreSize;
    return {
      kind: 'VolumeSnapshot',
      namespace,
      name,
      ...(restoreSize !== undefined && { restoreSize: String(restoreSize) }),
    };
  }
  const annotations = source.metadata.annotations ?? {};
  const volumeMode = source.spec?.volumeMode;
  const requested = source.spec?.resources?.requests?.storage;
  const capacity = source.status?.capacity?.storage;
  const storageClass = source.spec?.storageClassName;
  const measuredAt = Quantity.tryParse(
    annotations[MEASURED_CAPACITY_ANNOTATION] ?? '',
  );
  const virtualSize =
    measuredAt &&
    measuredAt.cmp(
      Quantity.tryParse(String(capacity ?? '')) ?? Quantity.ZERO,
    ) === 0
      ? annotations[VIRTUAL_SIZE_ANNOTATION]
      : undefined;
  return {
    kind: 'PersistentVolumeClaim',
    namespace,
    name,
    ...(storageClass && { storageClass }),
    ...((volumeMode === 'Block' || volumeMode === 'Filesystem') && {
      volumeMode,
    }),
    ...(requested !== undefined && { requested: String(requested) }),
    ...(capacity !== undefined && { capacity: String(capacity) }),
    ...(annotations[CONTENT_TYPE_ANNOTATION] !== undefined && {
      contentType: annotations[CONTENT_TYPE_ANNOTATION],
    }),
    ...(virtualSize !== undefined && { virtualSize }),
  };
}
