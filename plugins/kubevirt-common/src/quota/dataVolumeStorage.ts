import { Quantity } from '../kube/Quantity';
import type { CdiConfigLike } from '../kube/kubevirtObjects';

/**
 * CDI's default share of a Filesystem volume kept for the file system (CDI v1.65.0 `DefaultGlobalOverhead`).
 *
 * @public
 */
export const CDI_DEFAULT_FILESYSTEM_OVERHEAD = '0.06';
const ALIGN = 1024 * 1024;

/**
 * What the plan needs to know of a storage class (from the StorageClass and CDI's
 * StorageProfile of the same name).
 *
 * @public
 */
export interface StorageClassInfo {
  name: string;
  /** Annotated `storageclass.kubernetes.io/is-default-class: "true"`. */
  isDefault?: boolean;
  /** Annotated `storageclass.kubevirt.io/is-default-virt-class: "true"` (wins for VM disks). */
  isDefaultVirt?: boolean;
  /** The StorageProfile's volume mode (first claimPropertySet); Filesystem when unknown. */
  volumeMode?: 'Filesystem' | 'Block';
  /** Provisioned by a CSI driver: CDI then populates through a temporary PVC' of the same size. */
  csi?: boolean;
  /** `volumeBindingMode: WaitForFirstConsumer`. */
  waitForFirstConsumer?: boolean;
  /** The StorageProfile's `cdi.kubevirt.io/minimumSupportedPvcSize` annotation. */
  minimumSupportedPvcSize?: string;
}

/**
 * One persistent disk of a VM: the claims CDI creates for it.
 *
 * @public
 */
export interface DiskClaimPlan {
  /** Disk name in the VM (`rootdisk`, or an extra disk's name). */
  disk: string;
  dataVolume: string;
  /** Where the data comes from. */
  source: 'blank' | 'registry' | 'http' | 'clone';
  /** The size asked for. */
  requested: Quantity;
  /** The storage class the claim lands in; undefined when the cluster has no default. */
  storageClass?: string;
  volumeMode: 'Filesystem' | 'Block';
  /** CDI's file system overhead applied (`0.06`), `0` for Block. */
  filesystemOverhead: string;
  /** `spec.resources.requests.storage` of the PVC CDI creates. */
  claim: Quantity;
  /**
   * Claims that exist only while the disk is filled: CDI's populator PVC' (same size,
   * same class) and the import's scratch PVC.
   */
  temporaryClaims: Array<{
    purpose: 'populator' | 'scratch';
    storageClass?: string;
    size: Quantity;
  }>;
  /** Whether an importer pod runs in the VM's namespace while the disk is filled. */
  importerPod: boolean;
  /** Whether the class binds on first consumer (the VM's pod then waits with the import). */
  waitForFirstConsumer: boolean;
}

function parseOverhead(text: string | undefined): number {
  const value = text === undefined ? NaN : Number(text);
  return Number.isFinite(value) && value >= 0 && value < 1 ? value : 0;
}

/** CDI's util.RoundUp in float64. */
function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/**
 * CDI's util.GetRequiredSpace: aligned to 1MiB, then the overhead on top.
 *
 * @public
 */
export function cdiRequiredSpace(overhead: number, size: number): number {
  return Math.ceil(roundUp(size, ALIGN) * (1 + overhead));
}

/** CDI's util.GetUsableSpace: the overhead taken off, rounded down to 1MiB. */
export function cdiUsableSpace(overhead: number, size: number): number {
  const withoutOverhead = Math.ceil(size / (1 + overhead));
  return Math.floor(withoutOverhead / ALIGN) * ALIGN;
}

/** The storage class CDI picks for a claim: the named one, else the virt default, else the default. */
export function resolveStorageClass(
  name: string | undefined,
  classes: StorageClassInfo[],
): StorageClassInfo | undefined {
  if (name) return classes.find(c => c.name === name) ?? { name };
  return classes.find(c => c.isDefaultVirt) ?? classes.find(c => c.isDefault);
}

/**
 * The claims CDI v1.65 creates for one DataVolume with a `storage` spec: the PVC's
 * size is the asked size aligned to 1MiB plus the file system overhead on Filesystem
 * volumes (`ceil(aligned × (1 + overhead))`, overhead from the CDIConfig status per
 * class or global, default 6%), never below the StorageProfile's minimum. On a CSI
 * class CDI fills a PVC' of the same size first; a registry import (and an http
 * import that needs converting) also uses a scratch PVC of about the same size. A
 * clone's temporary claims live in the source's namespace and count there.
 */
export function diskClaimPlan(options: {
  disk: string;
  dataVolume: string;
  source: DiskClaimPlan['source'];
  size: string;
  storageClass?: string;
  /** Namespace of the VM; a clone from the same namespace keeps its temporary claim there. */
  namespace: string;
  cloneSourceNamespace?: string;
  storageClasses?: StorageClassInfo[];
  cdiConfig?: CdiConfigLike;
}): DiskClaimPlan {
  const classes = options.storageClasses ?? [];
  const info = resolveStorageClass(options.storageClass, classes);
  const volumeMode = info?.volumeMode ?? 'Filesystem';
  const overheads = options.cdiConfig?.status?.filesystemOverhead;
  const overheadFor = (cls: string | undefined) =>
    (cls !== undefined ? overheads?.storageClass?.[cls] : undefined) ??
    overheads?.global ??
    CDI_DEFAULT_FILESYSTEM_OVERHEAD;
  const overheadText = volumeMode === 'Block' ? '0' : overheadFor(info?.name);
  const overhead = parseOverhead(overheadText);
  const requested = Quantity.parse(options.size);
  const bytes = Number(requested.value());
  let claimBytes =
    volumeMode === 'Block' ? bytes : cdiRequiredSpace(overhead, bytes);
  let claim = Quantity.fromUnits(BigInt(claimBytes), 'BinarySI');
  const minimum = info?.minimumSupportedPvcSize
    ? Quantity.tryParse(info.minimumSupportedPvcSize)
    : undefined;
  if (minimum && claim.cmp(minimum) < 0) {
    claim = minimum;
    claimBytes = Number(minimum.value());
  }

  const temporaryClaims: DiskClaimPlan['temporaryClaims'] = [];
  const isImport = options.source !== 'clone';
  const populator = info?.csi === true;
  if (
    populator &&
    (isImport || options.cloneSourceNamespace === options.namespace)
  ) {
    temporaryClaims.push({
      purpose: 'populator',
      storageClass: info?.name,
      size: claim,
    });
  }
  if (options.source === 'registry' || options.source === 'http') {
    const scratchClass =
      options.cdiConfig?.status?.scratchSpaceStorageClass || info?.name;
    const pvcOverhead = volumeMode === 'Block' ? 0 : overhead;
    const scratchOverhead = parseOverhead(overheadFor(scratchClass));
    const usable = cdiUsableSpace(pvcOverhead, claimBytes);
    const scratch = roundUp(cdiRequiredSpace(scratchOverhead, usable), ALIGN);
    temporaryClaims.push({
      purpose: 'scratch',
      storageClass: scratchClass,
      size: Quantity.fromUnits(BigInt(scratch), 'BinarySI'),
    });
  }
  return {
    disk: options.disk,
    dataVolume: options.dataVolume,
    source: options.source,
    requested,
    storageClass: info?.name,
    volumeMode,
    filesystemOverhead: overheadText,
    claim,
    temporaryClaims,
    importerPod: isImport,
    waitForFirstConsumer: info?.waitForFirstConsumer === true,
  };
}
