import { Quantity } from '../kube/Quantity';
import type {
  InstancetypeObject,
  InstancetypeSpecLike,
  PreferenceObject,
  PreferenceSpecLike,
} from '../kube/kubevirtObjects';
import { commonInstancetypes } from './commonInstancetypes';

const LABEL = 'instancetype.kubevirt.io';

/**
 * Which instancetype or preference a VM refers to (`spec.instancetype` / `spec.preference`).
 *
 * @public
 */
export interface SizeReference {
  name: string;
  kind:
    | 'VirtualMachineClusterInstancetype'
    | 'VirtualMachineInstancetype'
    | 'VirtualMachineClusterPreference'
    | 'VirtualMachinePreference';
}

/**
 * One size a VM can be given: an instancetype, with what it means for the guest.
 *
 * @public
 */
export interface InstancetypeSize {
  kind: InstancetypeObject['kind'];
  name: string;
  /** Set for a namespaced VirtualMachineInstancetype. */
  namespace?: string;
  /** `u1` of `u1.medium`; undefined for names that are not `<series>.<size>`. */
  series?: string;
  /** `medium` of `u1.medium` (or the `instancetype.kubevirt.io/size` label). */
  size?: string;
  displayName?: string;
  description?: string;
  /** vCPUs of the guest (`spec.cpu.guest`). */
  vcpus: number;
  /** Guest memory (`spec.memory.guest`). */
  memory: Quantity;
  dedicatedCPUPlacement: boolean;
  isolateEmulatorThread: boolean;
  /** Hugepage size backing the guest memory, e.g. `2Mi`. */
  hugepages?: string;
  /** Percent of guest memory not requested from the node (o1: 50). */
  overcommitPercent?: number;
  ioThreadsPolicy?: string;
  numa: boolean;
  realtime: boolean;
  /** The instancetype's spec, as KubeVirt applies it. */
  spec: InstancetypeSpecLike;
}

/**
 * A preference a VM can name (guest OS defaults such as disk bus, TPM, firmware).
 *
 * @public
 */
export interface PreferenceEntry {
  kind: PreferenceObject['kind'];
  name: string;
  namespace?: string;
  displayName?: string;
  /** `linux`, `windows`, ... from `instancetype.kubevirt.io/os-type`. */
  osType?: string;
  /** Smallest vCPUs/memory the preference asks for. */
  requirements: { vcpus?: number; memory?: Quantity };
  spec: PreferenceSpecLike;
}

/**
 * An object the catalog could not use, and why.
 *
 * @public
 */
export interface SkippedSizeObject {
  kind?: string;
  name?: string;
  reason: string;
}

const INSTANCETYPE_KINDS = new Set([
  'VirtualMachineClusterInstancetype',
  'VirtualMachineInstancetype',
]);
const PREFERENCE_KINDS = new Set([
  'VirtualMachineClusterPreference',
  'VirtualMachinePreference',
]);
const NAME_PATTERN = /^([a-z]+[0-9]*)\.([a-z0-9]+)$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringRecord(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (!isRecord(value)) return result;
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === 'string') result[key] = entry;
  }
  return result;
}

function toSize(object: InstancetypeObject): InstancetypeSize | string {
  const spec = object.spec;
  if (!isRecord(spec) || !isRecord(spec.cpu) || !isRecord(spec.memory)) {
    return 'it has no spec.cpu or spec.memory';
  }
  const vcpus = spec.cpu.guest;
  if (!Number.isInteger(vcpus) || vcpus < 1)
    return 'spec.cpu.guest is not a whole number of vCPUs';
  const memory = Quantity.tryParse(String(spec.memory.guest));
  if (!memory || memory.cmp(Quantity.ZERO) <= 0)
    return 'spec.memory.guest is not a memory size';
  const labels = stringRecord(object.metadata.labels);
  const annotations = stringRecord(object.metadata.annotations);
  const match = NAME_PATTERN.exec(object.metadata.name);
  const overcommit = spec.memory.overcommitPercent;
  return {
    kind: object.kind,
    name: object.metadata.name,
    ...(object.kind === 'VirtualMachineInstancetype' &&
    object.metadata.namespace
      ? { namespace: object.metadata.namespace }
      : {}),
    series: match?.[1],
    size: labels[`${LABEL}/size`] ?? match?.[2],
    displayName: annotations[`${LABEL}/displayName`],
    description: annotations[`${LABEL}/description`],
    vcpus,
    memory,
    dedicatedCPUPlacement: spec.cpu.dedicatedCPUPlacement === true,
    isolateEmulatorThread: spec.cpu.isolateEmulatorThread === true,
    hugepages: spec.memory.hugepages?.pageSize,
    overcommitPercent:
      typeof overcommit === 'number' && overcommit > 0 ? overcommit : undefined,
    ioThreadsPolicy: spec.ioThreadsPolicy,
    numa: spec.cpu.numa !== undefined,
    realtime: spec.cpu.realtime !== undefined,
    spec: structuredClone(spec),
  };
}

function toPreference(object: PreferenceObject): PreferenceEntry | string {
  if (!isRecord(object.spec)) return 'it has no spec';
  const labels = stringRecord(object.metadata.labels);
  const annotations = stringRecord(object.metadata.annotations);
  const requirements = object.spec.requirements;
  const memory =
    requirements?.memory?.guest !== undefined
      ? Quantity.tryParse(String(requirements.memory.guest))
      : undefined;
  return {
    kind: object.kind,
    name: object.metadata.name,
    ...(object.kind === 'VirtualMachinePreference' && object.metadata.namespace
      ? { namespace: object.metadata.namespace }
      : {}),
    displayName:
      annotations['openshift.io/display-name'] ??
      annotations[`${LABEL}/displayName`],
    osType: labels[`${LABEL}/os-type`],
    requirements: {
      ...(typeof requirements?.cpu?.guest === 'number' && {
        vcpus: requirements.cpu.guest,
      }),
      ...(memory && { memory }),
    },
    spec: structuredClone(object.spec),
  };
}

function compareSizes(a: InstancetypeSize, b: InstancetypeSize): number {
  const series = (a.series ?? '~').localeCompare(b.series ?? '~');
  if (series !== 0) return series;
  if (a.vcpus !== b.vcpus) return a.vcpus - b.vcpus;
  const memory = a.memory.cmp(b.memory);
  if (memory !== 0) return memory;
  return Number(a.name > b.name) - Number(a.name < b.name);
}

/**
 * The sizes (instancetypes) and preferences a cluster offers, as read from it by the
 * caller, with each `u1.medium` split into series `u1` and size `medium`. When the
 * cluster offers no instancetypes, {@link SizeCatalog.fromCluster} falls back to
 * common-instancetypes v1.7.0's u1, o1, cx1 and m1 series.
 *
 * @public
 */
export class SizeCatalog {
  private constructor(
    /** Every size, ordered by series, vCPUs, memory and name. */
    readonly instancetypes: readonly InstancetypeSize[],
    /** Every preference, ordered by name. */
    readonly preferences: readonly PreferenceEntry[],
    /** Objects that were not instancetypes or preferences KubeVirt could use. */
    readonly skipped: readonly SkippedSizeObject[],
    /** `cluster` when the sizes came from the cluster, `fallback` for the built-in list. */
    readonly source: 'cluster' | 'fallback',
  ) {}

  /**
   * A catalog of exactly the given objects (instancetypes and preferences, cluster-wide
   * or namespaced, in any order; anything else is listed in `skipped`).
   */
  static fromObjects(objects: readonly unknown[]): SizeCatalog {
    const sizes: InstancetypeSize[] = [];
    const preferences: PreferenceEntry[] = [];
    const skipped: SkippedSizeObject[] = [];
    for (const object of objects) {
      if (
        !isRecord(object) ||
        !isRecord(object.metadata) ||
        typeof object.metadata.name !== 'string'
      ) {
        skipped.push({ reason: 'it is not a Kubernetes object with a name' });
        continue;
      }
      const kind = typeof object.kind === 'string' ? object.kind : undefined;
      const name = object.metadata.name;
      let result: InstancetypeSize | PreferenceEntry | string;
      if (kind && INSTANCETYPE_KINDS.has(kind)) {
        result = toSize(object as unknown as InstancetypeObject);
        if (typeof result !== 'string') sizes.push(result);
      } else if (kind && PREFERENCE_KINDS.has(kind)) {
        result = toPreference(object as unknown as PreferenceObject);
        if (typeof result !== 'string') preferences.push(result);
      } else {
        result = `kind ${
          kind ?? '(none)'
        } is not an instancetype or preference`;
      }
      if (typeof result === 'string')
        skipped.push({ kind, name, reason: result });
    }
    sizes.sort(compareSizes);
    preferences.sort(
      (a, b) => Number(a.name > b.name) - Number(a.name < b.name),
    );
    return new SizeCatalog(sizes, preferences, skipped, 'cluster');
  }

  /** The built-in common-instancetypes v1.7.0 u1, o1, cx1 and m1 sizes alone. */
  static fallback(): SizeCatalog {
    const catalog = SizeCatalog.fromObjects(commonInstancetypes());
    return new SizeCatalog(catalog.instancetypes, [], [], 'fallback');
  }

  /**
   * The cluster's sizes and preferences; when it has no usable instancetype, the
   * built-in u1, o1, cx1 and m1 sizes with the cluster's preferences.
   */
  static fromCluster(objects: readonly unknown[]): SizeCatalog {
    const catalog = SizeCatalog.fromObjects(objects);
    if (catalog.instancetypes.length > 0) return catalog;
    return new SizeCatalog(
      SizeCatalog.fallback().instancetypes,
      catalog.preferences,
      catalog.skipped,
      'fallback',
    );
  }

  /** The series names in catalog order (`u1`, `o1`, ...); sizes without one are left out. */
  series(): string[] {
    return [
      ...new Set(this.instancetypes.flatMap(s => (s.series ? [s.series] : []))),
    ];
  }

  /** The sizes of one series, smallest first. */
  sizesOf(series: string): InstancetypeSize[] {
    return this.instancetypes.filter(s => s.series === series);
  }

  /**
   * The instancetype a VM in `namespace` refers to: a cluster instancetype by name, or
   * a namespaced one by name in the VM's namespace.
   */
  findInstancetype(
    ref: { name: string; kind?: string },
    namespace?: string,
  ): InstancetypeSize | undefined {
    const kind = ref.kind ?? 'VirtualMachineClusterInstancetype';
    return this.instancetypes.find(
      s =>
        s.kind === kind &&
        s.name === ref.name &&
        (kind === 'VirtualMachineClusterInstancetype' ||
          s.namespace === namespace),
    );
  }

  /** The preference a VM in `namespace` refers to (cluster-wide, or in the VM's namespace). */
  findPreference(
    ref: { name: string; kind?: string },
    namespace?: string,
  ): PreferenceEntry | undefined {
    const kind = ref.kind ?? 'VirtualMachineClusterPreference';
    return this.preferences.find(
      p =>
        p.kind === kind &&
        p.name === ref.name &&
        (kind === 'VirtualMachineClusterPreference' ||
          p.namespace === namespace),
    );
  }
}
