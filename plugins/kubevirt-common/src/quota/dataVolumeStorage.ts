import { Quantity } from '../kube/Quantity';
import type { CdiConfigLike } from '../kube/kubevirtObjects';
import type { ResourceQuantities } from '../kube/podResources';
import type { CloneSourceInfo } from './cloneSource';

/**
 * CDI's default share of a Filesystem volume kept for the file system (CDI v1.65.0 `DefaultGlobalOverhead`).
 *
 * @public
 */
export const CDI_DEFAULT_FILESYSTEM_OVERHEAD = '0.06';
const ALIGN = 1024 * 1024;

/**
 * What the plan needs to know of a storage class (from the StorageClass and CDI's
 * StorageProfile of the same name); {@link storageClassInfo} builds it from the objects.
 *
 * @public
 */
export interface StorageClassInfo {
  name: string;
  /** Annotated `storageclass.kubernetes.io/is-default-class: "true"`. */
  isDefault?: boolean;
  /** Annotated `storageclass.kubevirt.io/is-default-virt-class: "true"` (wins for VM disks). */
  isDefaultVirt?: boolean;
  /** `metadata.creationTimestamp`: of several default classes, CDI takes the newest. */
  creationTimestamp?: string;
  /**
   * The StorageProfile's volume mode (first claimPropertySet); Filesystem when unknown.
   * `claimPropertySets`, when given, wins.
   */
  volumeMode?: 'Filesystem' | 'Block';
  /**
   * The StorageProfile's `status.claimPropertySets`, when it was read (an empty list:
   * the profile names none, and CDI cannot create a claim without access modes).
   */
  claimPropertySets?: Array<{ volumeMode?: string; accessModes?: string[] }>;
  /**
   * A CSIDriver is named like the class's provisioner: CDI then populates through a
   * temporary PVC' of the same size.
   */
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
  /** The size asked for; undefined when the clone takes its size from the source. */
  requested?: Quantity;
  /** The storage class the claim lands in; undefined when the cluster has no default. */
  storageClass?: string;
  volumeMode: 'Filesystem' | 'Block';
  /** The access modes CDI gives the claim, when the StorageProfile is known. */
  accessModes?: string[];
  /** CDI's file system overhead applied (`0.06`), `0` for Block. */
  filesystemOverhead: string;
  /**
   * `spec.resources.requests.storage` of the PVC CDI creates (zero when `unknown` says
   * the size cannot be told).
   */
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
  /** Why CDI would not create or fill this disk (its reason, and what to do). */
  problem?: string;
  /** Why the claim's size cannot be told (then `claim` is zero and the plan says so). */
  unknown?: string;
}

/**
 * What one claim counts against a ResourceQuota of its namespace: `requests.storage`,
 * `persistentvolumeclaims` and `count/persistentvolumeclaims`, and the same per
 * storage class (`<class>.storageclass.storage.k8s.io/requests.storage`,
 * `.../persistentvolumeclaims`).
 */
export function claimQuotaUsage(
  storageClass: string | undefined,
  size: Quantity,
): ResourceQuantities {
  const one = Quantity.fromUnits(1);
  return {
    'requests.storage': size,
    persistentvolumeclaims: one,
    'count/persistentvolumeclaims': one,
    ...(storageClass && {
      [`${storageClass}.storageclass.storage.k8s.io/requests.storage`]: size,
      [`${storageClass}.storageclass.storage.k8s.io/persistentvolumeclaims`]:
        one,
    }),
  };
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

function bytes(quantity: Quantity): number {
  return Number(quantity.value());
}

function quantityOfBytes(value: number): Quantity {
  return Quantity.fromUnits(BigInt(value), 'BinarySI');
}

/**
 * The storage class CDI picks for a claim: the named one, else the default virt class,
 * else the default class; of several defaults the newest, then the first by name
 * (CDI's GetPlatformDefaultStorageClass).
 */
export function resolveStorageClass(
  name: string | undefined,
  classes: StorageClassInfo[],
): StorageClassInfo | undefined {
  if (name) return classes.find(c => c.name === name) ?? { name };
  const newest = (marked: StorageClassInfo[]) =>
    [...marked].sort((a, b) => {
      const at = Date.parse(a.creationTimestamp ?? '') || 0;
      const bt = Date.parse(b.creationTimestamp ?? '') || 0;
      if (at !== bt) return bt - at;
      return a.name < b.name ? -1 : Number(a.name > b.name);
    })[0];
  return (
    newest(classes.filter(c => c.isDefaultVirt)) ??
    newest(classes.filter(c => c.isDefault))
  );
}

/**
 * The claim's volume and access modes as CDI renders them from the StorageProfile
 * (renderPvcSpecVolumeModeAndAccessModesAndStorageClass): with neither set, the first
 * claimPropertySet (it must name access modes); with a volume mode, the access modes of
 * the first set of that mode; with access modes, the volume mode of the first set that
 * has one of them (else the Kubernetes default).
 */
function profileModes(
  info: StorageClassInfo | undefined,
  volumeMode: 'Filesystem' | 'Block' | undefined,
  accessModes: string[] | undefined,
):
  | { volumeMode: 'Filesystem' | 'Block'; accessModes?: string[] }
  | { problem: string } {
  const sets = info?.claimPropertySets;
  const asMode = (mode: string | undefined) =>
    mode === 'Block' ? 'Block' : 'Filesystem';
  if (accessModes?.length && volumeMode) return { volumeMode, accessModes };
  if (!sets) {
    return {
      volumeMode: volumeMode ?? info?.volumeMode ?? 'Filesystem',
      ...(accessModes?.length && { accessModes }),
    };
  }
  const profile = `the StorageProfile of storage class ${info?.name}`;
  if (accessModes?.length) {
    const match = sets.find(s =>
      (s.accessModes ?? []).some(m => accessModes.includes(m)),
    );
    return { volumeMode: asMode(match?.volumeMode), accessModes };
  }
  if (volumeMode) {
    const match = sets.find(
      s => s.volumeMode === volumeMode && (s.accessModes?.length ?? 0) > 0,
    );
    if (!match) {
      return {
        problem: `${profile} names no access modes for ${volumeMode} volumes (CDI: no matching accessMode specified in StorageProfile)`,
      };
    }
    return { volumeMode, accessModes: match.accessModes };
  }
  const first = sets[0];
  if (!first?.accessModes?.length) {
    return {
      problem: `${profile} names no access modes (CDI: no accessMode specified in StorageProfile ${info?.name}); ask the platform team to set spec.claimPropertySets on it, or choose another storage class`,
    };
  }
  return {
    volumeMode: asMode(first.volumeMode),
    accessModes: first.accessModes,
  };
}

/**
 * The claims CDI v1.65 creates for one DataVolume with a `storage` spec, as its
 * DataVolume controllers render them (checked against CDI's own controllers by
 * `dataVolumeStorage.oracle.test.ts`):
 *
 * - class: the named one, else the default virt class, else the default class;
 * - volume and access modes from the StorageProfile's claimPropertySets (no access
 *   modes there: CDI creates no claim, `problem` says so);
 * - size asked for: aligned to 1MiB plus the file system overhead on Filesystem
 *   volumes (`ceil(aligned × (1 + overhead))`, overhead from the CDIConfig status per
 *   class or global), never below the StorageProfile's minimum;
 * - a clone with no size takes the source's: a snapshot's restore size as it is; a
 *   claim's capacity (or, for a Filesystem claim of KubeVirt content, the image's
 *   virtual size CDI measures) plus the overhead on Filesystem targets, without the
 *   minimum. What cannot be told is said in `unknown`;
 * - a clone smaller than its source (after the minimum; for a Filesystem source, the
 *   claim with its overhead) is refused, in `problem`.
 *
 * On a CSI class CDI fills a PVC' of the same size first; a registry import (and an
 * http import that needs converting) also uses a scratch PVC of about the same size. A
 * clone's temporary claims live in the source's namespace and count there.
 */
export function diskClaimPlan(options: {
  disk: string;
  dataVolume: string;
  source: DiskClaimPlan['source'];
  /** The size asked for; a clone without one takes its source's size. */
  size?: string;
  storageClass?: string;
  /** The DataVolume's own `storage.volumeMode`, when it sets one. */
  volumeMode?: 'Filesystem' | 'Block';
  /** The DataVolume's own `storage.accessModes`, when it sets them. */
  accessModes?: string[];
  /** Namespace of the VM; a clone from the same namespace keeps its temporary claim there. */
  namespace: string;
  cloneSourceNamespace?: string;
  /** What CDI reads of a clone's source (its claim or snapshot), when it was read. */
  cloneSource?: CloneSourceInfo;
  storageClasses?: StorageClassInfo[];
  cdiConfig?: CdiConfigLike;
}): DiskClaimPlan {
  const classes = options.storageClasses ?? [];
  const info = resolveStorageClass(options.storageClass, classes);
  const modes = profileModes(info, options.volumeMode, options.accessModes);
  const volumeMode =
    'problem' in modes
      ? options.volumeMode ?? info?.volumeMode ?? 'Filesystem'
      : modes.volumeMode;
  const overheads = options.cdiConfig?.status?.filesystemOverhead;
  const overheadFor = (cls: string | undefined) =>
    (cls !== undefined ? overheads?.storageClass?.[cls] : undefined) ??
    overheads?.global ??
    CDI_DEFAULT_FILESYSTEM_OVERHEAD;
  const overheadText = volumeMode === 'Block' ? '0' : overheadFor(info?.name);
  const overhead = parseOverhead(overheadText);
  const inflate = (size: number) =>
    volumeMode === 'Block' ? size : cdiRequiredSpace(overhead, size);
  const minimum = info?.minimumSupportedPvcSize
    ? Quantity.tryParse(info.minimumSupportedPvcSize)
    : undefined;
  const atLeastMinimum = (q: Quantity) =>
    minimum && q.cmp(minimum) < 0 ? minimum : q;
  // A claim's usable bytes (pkg/controller's getUsableSpace), for the host-assisted check.
  const usableBytes = (
    size: Quantity,
    mode: 'Filesystem' | 'Block',
    cls?: string,
  ) =>
    mode === 'Block'
      ? bytes(size)
      : cdiUsableSpace(parseOverhead(overheadFor(cls)), bytes(size));

  const isClone = options.source === 'clone';
  const cloneSource = isClone ? options.cloneSource : undefined;
  const problems: string[] = [];
  let unknown: string | undefined;
  if ('problem' in modes) problems.push(modes.problem);

  const requested =
    options.size !== undefined ? Quantity.parse(options.size) : undefined;
  let claim: Quantity;
  if (requested) {
    // renderPvcSpecVolumeSize: cc.InflateSizeWithOverhead, then cc.GetEffectiveVolumeSize.
    claim = atLeastMinimum(quantityOfBytes(inflate(bytes(requested))));
    if (cloneSource) {
      const checked = cloneSizeCheck({
        source: cloneSource,
        requested,
        effective: atLeastMinimum(requested),
        claim,
        targetMode: volumeMode,
        targetClass: info?.name,
        populator: info?.csi === true,
        usable: usableBytes,
      });
      if (checked.problem) problems.push(checked.problem);
      unknown = checked.unknown;
    }
  } else if (!isClone) {
    throw new Error(
      `disk ${options.disk}: a size is required unless the disk is a clone`,
    );
  } else {
    const sized = sizeFromSource(cloneSource, inflate);
    claim = sized.claim ?? Quantity.ZERO;
    if (sized.problem) problems.push(sized.problem);
    unknown = sized.unknown;
  }

  const temporaryClaims: DiskClaimPlan['temporaryClaims'] = [];
  const isImport = !isClone;
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
    const usable = cdiUsableSpace(pvcOverhead, bytes(claim));
    const scratch = roundUp(cdiRequiredSpace(scratchOverhead, usable), ALIGN);
    temporaryClaims.push({
      purpose: 'scratch',
      storageClass: scratchClass,
      size: quantityOfBytes(scratch),
    });
  }
  return {
    disk: options.disk,
    dataVolume: options.dataVolume,
    source: options.source,
    ...(requested && { requested }),
    storageClass: info?.name,
    volumeMode,
    ...(!('problem' in modes) &&
      modes.accessModes && { accessModes: modes.accessModes }),
    filesystemOverhead: overheadText,
    claim,
    temporaryClaims,
    importerPod: isImport,
    waitForFirstConsumer: info?.waitForFirstConsumer === true,
    ...(problems.length > 0 && { problem: problems.join('; ') }),
    ...(unknown && { unknown }),
  };
}

/**
 * A clone's size when none is asked for (the clone controllers' detectCloneSize): a
 * snapshot's restore size as it is; a claim's capacity, or for a Filesystem claim of
 * KubeVirt content the image's virtual size, plus the overhead on a Filesystem target.
 */
function sizeFromSource(
  source: CloneSourceInfo | undefined,
  inflate: (size: number) => number,
): { claim?: Quantity; problem?: string; unknown?: string } {
  if (!source) {
    return {
      unknown:
        "the disk takes the size of the DataSource's source, which could not be read; give a size to plan it",
    };
  }
  const where = `${source.namespace}/${source.name}`;
  if (source.kind === 'VolumeSnapshot') {
    const restore = source.restoreSize
      ? Quantity.tryParse(source.restoreSize)
      : undefined;
    if (!restore || restore.cmp(Quantity.ZERO) <= 0) {
      return {
        problem: `the snapshot ${where} has no restore size, so CDI cannot tell the clone's size (CDI: size not specified by user/provisioner, can't tell how much needed for restore); give a size`,
      };
    }
    return { claim: restore };
  }
  if (
    (source.volumeMode ?? 'Filesystem') === 'Filesystem' &&
    source.contentType === 'kubevirt'
  ) {
    const virtual = source.virtualSize
      ? Quantity.tryParse(source.virtualSize)
      : undefined;
    if (!virtual) {
      return {
        unknown: `the disk takes the virtual size of the image in ${where}, which CDI measures with a size-detection pod when it first clones it; give a size to plan it`,
      };
    }
    return { claim: quantityOfBytes(inflate(bytes(virtual))) };
  }
  const capacity = source.capacity
    ? Quantity.tryParse(source.capacity)
    : undefined;
  if (!capacity) {
    return {
      unknown: `the disk takes the capacity of ${where}, which has none yet; give a size to plan it`,
    };
  }
  return { claim: quantityOfBytes(inflate(bytes(capacity))) };
}

function tooSmall(
  source: CloneSourceInfo,
  requested: Quantity,
  target: Quantity,
  sourceSize: Quantity,
): string {
  return `${requested} is smaller than its source ${source.namespace}/${
    source.name
  } (CDI: target resources requests storage size is smaller than the source ${target.value()} < ${sourceSize.value()}); ask for at least ${sourceSize}, or leave the size out to take the source's`;
}

/**
 * CDI's checks of a clone's asked-for size against its source: the clone controllers'
 * validateClone (a Block source claim) and validateSnapshotClone (a snapshot's restore
 * size), both through cc.ValidateRequestedCloneSize on the size after the minimum; for
 * a Filesystem source claim, the clone populator's validateSourcePVC (the claim, with
 * its overhead, against the source's request) on CSI classes, and pkg/controller's
 * ValidateCanCloneSourceAndTargetSpec (usable space against usable space) otherwise.
 * A Block target of a KubeVirt image is let through when it holds the image's virtual
 * size (detectCloneSize marks it permissive).
 */
function cloneSizeCheck(args: {
  source: CloneSourceInfo;
  requested: Quantity;
  effective: Quantity;
  claim: Quantity;
  targetMode: 'Filesystem' | 'Block';
  targetClass?: string;
  populator: boolean;
  usable: (
    size: Quantity,
    mode: 'Filesystem' | 'Block',
    cls?: string,
  ) => number;
}): { problem?: string; unknown?: string } {
  const { source, requested, effective, claim } = args;
  if (source.kind === 'VolumeSnapshot') {
    const restore = source.restoreSize
      ? Quantity.tryParse(source.restoreSize)
      : undefined;
    if (!restore || restore.cmp(Quantity.ZERO) < 0) {
      return {
        problem: `the snapshot ${source.namespace}/${source.name} has no restore size, so CDI cannot clone it (CDI: snapshot has no restore size)`,
      };
    }
    return restore.cmp(Quantity.ZERO) > 0 && effective.cmp(restore) < 0
      ? { problem: tooSmall(source, requested, effective, restore) }
      : {};
  }
  const sourceRequest = source.requested
    ? Quantity.tryParse(source.requested)
    : undefined;
  if (!sourceRequest) return {};
  if (source.volumeMode === 'Block') {
    return effective.cmp(sourceRequest) < 0
      ? { problem: tooSmall(source, requested, effective, sourceRequest) }
      : {};
  }
  if (args.targetMode === 'Block' && source.contentType === 'kubevirt') {
    const virtual = source.virtualSize
      ? Quantity.tryParse(source.virtualSize)
      : undefined;
    if (virtual && requested.cmp(virtual) >= 0) return {};
    if (!virtual) {
      return claim.cmp(sourceRequest) < 0
        ? {
            unknown: `whether CDI clones ${source.namespace}/${source.name} into ${requested} depends on the image's virtual size, which CDI measures with a size-detection pod when it first clones the image`,
          }
        : {};
    }
  }
  if (args.populator) {
    return claim.cmp(sourceRequest) < 0
      ? { problem: tooSmall(source, requested, claim, sourceRequest) }
      : {};
  }
  const sourceUsable = args.usable(
    sourceRequest,
    'Filesystem',
    source.storageClass,
  );
  const targetUsable = args.usable(claim, args.targetMode, args.targetClass);
  return sourceUsable > targetUsable
    ? { problem: tooSmall(source, requested, claim, sourceRequest) }
    : {};
}
