import type {
  LabelSelectorLike,
  PodSpecResourcesLike,
  ResourceListLike,
} from '../kube/kubernetesObjects';
import type {
  KubeVirtConfigurationLike,
  VirtualMachineInstanceLike,
} from '../kube/kubevirtObjects';
import {
  applyPodApiDefaults,
  ContainerResources,
  parseResourceList,
  podContainerResources,
  podQuotaUsage,
  podResourceTotals,
  ResourceQuantities,
} from '../kube/podResources';
import { matchesLabelSelector } from '../kube/labelSelector';
import { Quantity } from '../kube/Quantity';
import { applyInstancetype } from './applyInstancetype';
import { resolveKubeVirtSettings } from './kubevirtSettings';
import type {
  LauncherPodInput,
  LauncherPodResources,
} from './launcherPodResources';
import { kubevirtMemoryOverhead, vcpusOfTopology } from './memoryOverhead';
import { defaultVirtualMachineInstance } from './vmiDefaults';

/*
 * Application Aware Quota (AAQ, github.com/kubevirt/application-aware-quota) v1.8.0,
 * commit 10ca8b9c31b7486014da103abbece3e30a0cb31f, read from its source: the
 * aaq.kubevirt.io/v1alpha1 types, pkg/aaq-controller/built-in-usage-calculators
 * (virt-launcher-usage-calc.go, overhead_calculator), aaq-evaluator and the gate, ARQ
 * and RQ controllers. AAQ's Go modules cannot be fetched here, so this is written from
 * reading them; the tests replay the cases of AAQ's own calculator tests.
 */

/**
 * The AAQ release whose counting this module follows.
 *
 * @public
 */
export const AAQ_VERSION = 'v1.8.0';

/**
 * The scheduling gate AAQ's webhook puts on every new pod of a namespace it gates; only
 * the aaq-controller removes it, once the pod fits every ApplicationAwareResourceQuota.
 *
 * @public
 */
export const AAQ_SCHEDULING_GATE = 'ApplicationAwareQuotaGate';

/**
 * The namespaces AAQ gates when its CR sets no `spec.namespaceSelector`: those with the
 * label key `application-aware-quota/enable-gating`.
 *
 * @public
 */
export const AAQ_DEFAULT_NAMESPACE_SELECTOR: LabelSelectorLike = {
  matchExpressions: [
    { key: 'application-aware-quota/enable-gating', operator: 'Exists' },
  ],
};

/**
 * Name suffix of the ResourceQuota AAQ keeps beside each ApplicationAwareResourceQuota
 * for its non-schedulable resources (`requests.storage`, object counts, ...), which
 * Kubernetes' own quota admission then enforces.
 *
 * @public
 */
export const AAQ_MANAGED_QUOTA_SUFFIX =
  '-non-schedulable-resources-managed-rq-x';

/**
 * How AAQ counts a VM's virt-launcher pod (the AAQ CR's
 * `spec.configuration.vmiCalculatorConfiguration.configName`):
 *
 * - `VmiPodUsage`: as Kubernetes counts the pod (requests, limits, `pods`, ...), but a
 *   migration's target pod only counts what it needs beyond the source pod.
 * - `VirtualResources`: the guest instead of the pod: `requests.memory`, `limits.memory`
 *   and `memory` are the guest memory, `requests.cpu`, `limits.cpu` and `cpu` its vCPUs.
 * - `DedicatedVirtualResources`: only `requests.cpu/vmi` and `cpu/vmi` (vCPUs),
 *   `requests.memory/vmi` and `memory/vmi` (guest memory), `requests.instances/vmi` and
 *   `instances/vmi` (1); nothing of the standard compute resources.
 * - `GuestEffectiveResources`: the pod's compute container alone, with KubeVirt's memory
 *   overhead taken off `requests.memory` and `limits.memory`.
 * - `IgnoreVmiCalculator`: launcher pods count as any pod.
 *
 * @public
 */
export type AaqCalculationMode =
  | 'VmiPodUsage'
  | 'VirtualResources'
  | 'DedicatedVirtualResources'
  | 'IgnoreVmiCalculator'
  | 'GuestEffectiveResources';

const CALCULATOR_MODES: AaqCalculationMode[] = [
  'VmiPodUsage',
  'VirtualResources',
  'DedicatedVirtualResources',
  'GuestEffectiveResources',
];

/**
 * The mode AAQ's controller runs with for a CR's `configName`. The CRD defaults a
 * `vmiCalculatorConfiguration` without a name to `DedicatedVirtualResources`, but a CR
 * with no `vmiCalculatorConfiguration` at all (as AAQ's own release manifest) leaves
 * the name empty, and the controller then counts as `VmiPodUsage`.
 *
 * @public
 */
export function aaqCalculationMode(configName?: string): AaqCalculationMode {
  if (configName === 'IgnoreVmiCalculator') return configName;
  return CALCULATOR_MODES.find(mode => mode === configName) ?? 'VmiPodUsage';
}

/**
 * Whether AAQ's webhook gates new pods of a namespace with `labels`: its CR's
 * `spec.namespaceSelector` selects it, or, when the CR sets none, the namespace has the
 * label key `application-aware-quota/enable-gating`.
 *
 * @public
 */
export function aaqGatesNamespace(
  namespaceSelector: LabelSelectorLike | undefined,
  labels: Record<string, string> = {},
): boolean {
  return matchesLabelSelector(
    namespaceSelector ?? AAQ_DEFAULT_NAMESPACE_SELECTOR,
    labels,
  );
}

/**
 * Whether AAQ counts `resource` itself (`util.isSchedulableResource`): `pods`, `cpu`,
 * `memory`, `ephemeral-storage` and every `requests.*` or `limits.*` but
 * `requests.storage`. The others are copied into the managed ResourceQuota
 * ({@link AAQ_MANAGED_QUOTA_SUFFIX}), whose usage Kubernetes counts.
 *
 * @public
 */
export function isAaqSchedulableResource(resource: string): boolean {
  if (['pods', 'cpu', 'memory', 'ephemeral-storage'].includes(resource))
    return true;
  if (resource === 'requests.storage') return false;
  return resource.startsWith('requests.') || resource.startsWith('limits.');
}

/**
 * The VMI fields AAQ's calculator reads, besides the spec: where virt-handler reports
 * the guest's current memory and CPUs (they differ from the spec during a hotplug).
 *
 * @public
 */
export interface AaqVirtualMachineInstance extends VirtualMachineInstanceLike {
  /**
   * Read: `nodeName`, `memory.guestRequested` and `currentCPUTopology` (the latter two
   * as virt-handler reports them; they differ from the spec during a hotplug).
   */
  status?: { nodeName?: string; [field: string]: unknown };
}

function objectField(value: unknown, field: string): unknown {
  return value && typeof value === 'object'
    ? (value as Record<string, unknown>)[field]
    : undefined;
}

/** `status.currentCPUTopology` when the VMI reports one. */
function currentTopology(
  vmi: AaqVirtualMachineInstance,
): { cores?: number; sockets?: number; threads?: number } | undefined {
  const topology = vmi.status?.currentCPUTopology;
  if (!topology || typeof topology !== 'object') return undefined;
  const count = (field: string) => {
    const value = objectField(topology, field);
    return typeof value === 'number' ? value : undefined;
  };
  return {
    cores: count('cores'),
    sockets: count('sockets'),
    threads: count('threads'),
  };
}

/**
 * A pod as AAQ's evaluator reads it (a client-node `V1Pod` or the apiserver's JSON).
 *
 * @public
 */
export interface AaqPod {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; uid: string }>;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
    deletionGracePeriodSeconds?: number;
  };
  spec?: PodSpecResourcesLike & {
    nodeName?: string;
    schedulingGates?: Array<{ name: string }>;
    overhead?: ResourceListLike;
  };
  status?: { phase?: string };
}

/**
 * A VirtualMachineInstanceMigration as AAQ reads it.
 *
 * @public
 */
export interface AaqMigration {
  metadata?: {
    name?: string;
    uid?: string;
    creationTimestamp?: string | Date;
  };
  spec?: { vmiName?: string };
  status?: { phase?: string };
}

/** What AAQ's calculator needs of one launcher pod and its VMI. */
interface LauncherCounts {
  /** The whole pod as Kubernetes' pod evaluator counts it. */
  pod: ResourceQuantities;
  /** A pod with only the compute container, as the evaluator counts it. */
  computeOnly: ResourceQuantities;
  /** AAQ's memory overhead; undefined when AAQ found no KubeVirt CR (nothing is taken off). */
  overhead?: Quantity;
  vmi: AaqVirtualMachineInstance;
}

const one = () => Quantity.fromUnits(1);

function addInto(target: ResourceQuantities, source: ResourceQuantities) {
  for (const [name, amount] of Object.entries(source)) {
    target[name] = target[name] ? target[name].add(amount) : amount;
  }
}

/** Kubernetes' `quota.SubtractWithNonNegativeResult`. */
function subtractNonNegative(
  a: ResourceQuantities,
  b: ResourceQuantities,
): ResourceQuantities {
  const result: ResourceQuantities = {};
  for (const [name, amount] of Object.entries(a)) {
    const rest = b[name] ? amount.sub(b[name]) : amount;
    result[name] = rest.cmp(Quantity.ZERO) > 0 ? rest : Quantity.ZERO;
  }
  for (const name of Object.keys(b)) result[name] ??= Quantity.ZERO;
  return result;
}

/**
 * AAQ's `CalculateResourceLauncherVMIUsagePodResources`: one pod, and the guest's memory
 * and vCPUs as requests, limits and bare `cpu`/`memory`. The guest memory is the last of
 * the VMI's memory limit, memory request, `memory.guest` that is set; the vCPUs are
 * cores × sockets × threads, else the CPU request or limit. For the running (source or
 * only) pod, the VMI's status wins: `memory.guestRequested` and `currentCPUTopology`.
 *
 * @public
 */
export function aaqVirtualResources(
  vmi: AaqVirtualMachineInstance,
  sourceOrOnlyPod: boolean,
): ResourceQuantities {
  const domain = vmi.spec.domain ?? {};
  const resources = domain.resources ?? {};
  const pick = (list: ResourceListLike | undefined, name: string) =>
    list?.[name] !== undefined ? Quantity.parse(list[name]) : undefined;
  let memory =
    pick(resources.requests, 'memory') ?? pick(resources.limits, 'memory');
  let cpu = pick(resources.requests, 'cpu') ?? pick(resources.limits, 'cpu');
  if (domain.memory?.guest !== undefined)
    memory = Quantity.parse(domain.memory.guest);
  if (domain.cpu)
    cpu = Quantity.fromUnits(vcpusOfTopology(domain.cpu), 'BinarySI');
  // KubeVirt sets guestRequested whenever it reports status.memory.
  const requested = objectField(vmi.status?.memory, 'guestRequested');
  if (sourceOrOnlyPod && typeof requested === 'string')
    memory = Quantity.parse(requested);
  const topology = currentTopology(vmi);
  if (sourceOrOnlyPod && topology)
    cpu = Quantity.fromUnits(vcpusOfTopology(topology), 'BinarySI');
  const guestMemory = memory ?? Quantity.ZERO;
  const guestCpu = cpu ?? Quantity.ZERO;
  return {
    pods: one(),
    'count/pods': one(),
    'requests.memory': guestMemory,
    memory: guestMemory,
    'limits.memory': guestMemory,
    'requests.cpu': guestCpu,
    cpu: guestCpu,
    'limits.cpu': guestCpu,
  };
}

/** AAQ's `CalculateUsageByConfig` for one launcher pod. */
function usageByMode(
  mode: AaqCalculationMode,
  counts: LauncherCounts,
  sourceOrOnlyPod: boolean,
): ResourceQuantities {
  switch (mode) {
    case 'VirtualResources':
      return aaqVirtualResources(counts.vmi, sourceOrOnlyPod);
    case 'DedicatedVirtualResources': {
      const virtual = aaqVirtualResources(counts.vmi, sourceOrOnlyPod);
      // The limit is copied last and wins; both are the guest's amount.
      const memory = virtual['limits.memory'] ?? virtual['requests.memory'];
      const cpu = virtual['limits.cpu'] ?? virtual['requests.cpu'];
      return {
        'requests.instances/vmi': one(),
        'instances/vmi': one(),
        'requests.memory/vmi': memory,
        'memory/vmi': memory,
        'requests.cpu/vmi': cpu,
        'cpu/vmi': cpu,
      };
    }
    case 'GuestEffectiveResources': {
      const overhead = counts.overhead;
      const taken: ResourceQuantities = {};
      if (overhead && !overhead.isZero()) {
        for (const name of ['requests.memory', 'limits.memory']) {
          if (counts.computeOnly[name]) taken[name] = overhead;
        }
      }
      // Bare `memory` keeps the overhead, as in AAQ (it only subtracts these two).
      return subtractNonNegative(counts.computeOnly, taken);
    }
    default:
      return counts.pod;
  }
}

/**
 * The memory overhead AAQ takes off in `GuestEffectiveResources`: AAQ's own copy of
 * KubeVirt's arithmetic, which has no `reservedOverhead.addedOverhead` and no passt
 * binding overhead, and uses the architecture AAQ's controller runs on (taken to be the
 * cluster's default architecture). `vmi` must carry virt-api's defaults.
 *
 * @public
 */
export function aaqMemoryOverhead(
  vmi: VirtualMachineInstanceLike,
  kubevirt?: KubeVirtConfigurationLike,
  defaultArchitecture?: string,
): Quantity {
  const copy = structuredClone(vmi);
  delete copy.spec.architecture;
  const domain = copy.spec.domain;
  if (domain?.memory) delete domain.memory.reservedOverhead;
  for (const iface of domain?.devices?.interfaces ?? []) {
    delete iface.passtBinding;
  }
  return kubevirtMemoryOverhead(
    copy,
    resolveKubeVirtSettings(kubevirt, defaultArchitecture),
  );
}

/** Kubernetes' pod evaluator (`core.PodUsageFunc`) for one pod object. */
function kubernetesPodUsage(
  pod: AaqPod,
  containers: ContainerResources[],
  withOverhead: boolean,
  now: number,
): ResourceQuantities {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded')
    return { 'count/pods': one() };
  const deletion = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  if (
    deletion !== undefined &&
    grace !== undefined &&
    now > new Date(deletion).getTime() + grace * 1000
  ) {
    return { 'count/pods': one() };
  }
  const totals = podResourceTotals(applyPodApiDefaults(containers));
  if (withOverhead) {
    const overhead = parseResourceList(pod.spec?.overhead);
    addInto(totals.requests, overhead);
    for (const [name, amount] of Object.entries(overhead)) {
      if (totals.limits[name])
        totals.limits[name] = totals.limits[name].add(amount);
    }
  }
  return podQuotaUsage(totals);
}

/** AAQ's `UnfinishedVMIPods`. */
function unfinishedLauncherPods(
  pods: AaqPod[],
  vmi: AaqVirtualMachineInstance,
): AaqPod[] {
  return pods.filter(
    pod =>
      pod.status?.phase !== 'Failed' &&
      pod.status?.phase !== 'Succeeded' &&
      pod.metadata?.labels?.['kubevirt.io'] === 'virt-launcher' &&
      (pod.metadata.ownerReferences ?? []).some(
        ref => ref.uid === vmi.metadata?.uid,
      ),
  );
}

const time = (value: string | Date | undefined) =>
  value === undefined ? 0 : new Date(value).getTime();

/** AAQ's `getLatestVmimIfExist`: the newest migration of the VMI that has not failed. */
function latestMigration(
  migrations: AaqMigration[],
  vmiName: string | undefined,
): AaqMigration | undefined {
  let latest: AaqMigration | undefined;
  let latestTime = 0;
  for (const migration of migrations) {
    if (
      migration.status?.phase !== 'Failed' &&
      migration.spec?.vmiName === vmiName &&
      time(migration.metadata?.creationTimestamp) > latestTime
    ) {
      latest = migration;
      latestTime = time(migration.metadata?.creationTimestamp);
    }
  }
  return latest;
}

/** AAQ's `getSourcePod`: the newest launcher pod on the VMI's node (any, before it has one). */
function sourcePod(
  pods: AaqPod[],
  vmi: AaqVirtualMachineInstance,
): AaqPod | undefined {
  let current: AaqPod | undefined;
  const node = vmi.status?.nodeName;
  for (const pod of pods) {
    if (node && node !== pod.spec?.nodeName) continue;
    if (
      !current ||
      time(current.metadata?.creationTimestamp) <
        time(pod.metadata?.creationTimestamp)
    ) {
      current = pod;
    }
  }
  return current;
}

/** AAQ's `getTargetPod`: the pod labelled and annotated with the migration's UID and name. */
function targetPod(
  pods: AaqPod[],
  migration: AaqMigration | undefined,
): AaqPod | undefined {
  if (!migration) return undefined;
  return pods.find(
    pod =>
      pod.metadata?.labels?.['kubevirt.io/migrationJobUID'] ===
        migration.metadata?.uid &&
      pod.metadata?.annotations?.['kubevirt.io/migrationJobName'] ===
        migration.metadata?.name,
  );
}

/**
 * What the pods of a namespace are, as AAQ's evaluator sees them.
 *
 * @public
 */
export interface AaqNamespaceState {
  mode: AaqCalculationMode;
  /** Every pod of the namespace. */
  pods: AaqPod[];
  /** The namespace's VirtualMachineInstances. */
  vmis: AaqVirtualMachineInstance[];
  /** The namespace's VirtualMachineInstanceMigrations. */
  migrations: AaqMigration[];
  /**
   * The KubeVirt CR's `spec.configuration`, or undefined when there is no KubeVirt CR
   * (then `GuestEffectiveResources` takes no overhead off, as AAQ).
   */
  kubevirt?: KubeVirtConfigurationLike;
  /** The KubeVirt CR's `status.defaultArchitecture`. */
  defaultArchitecture?: string;
  /** Milliseconds since the epoch (default: now): a deleted pod past its grace period counts no more. */
  now?: number;
}

/**
 * What one pod adds to an ApplicationAwareResourceQuota, as AAQ's evaluator counts it: a
 * gated pod nothing; a virt-launcher pod of an existing VMI by the calculation mode (the
 * VMI's running pod in full, a migration's target pod only what it needs beyond that,
 * any other launcher pod of the VMI nothing); every other pod as Kubernetes counts it.
 *
 * @public
 */
export function aaqPodUsage(
  pod: AaqPod,
  state: AaqNamespaceState,
): ResourceQuantities {
  if ((pod.spec?.schedulingGates?.length ?? 0) > 0) return {};
  const now = state.now ?? Date.now();
  const containers = podContainerResources(pod.spec);
  const standard = () => kubernetesPodUsage(pod, containers, true, now);
  const owner = pod.metadata?.ownerReferences?.[0];
  if (
    state.mode === 'IgnoreVmiCalculator' ||
    owner?.kind !== 'VirtualMachineInstance'
  ) {
    return standard();
  }
  const vmi = state.vmis.find(v => v.metadata?.name === owner.name);
  if (!vmi) return standard();
  const launchers = unfinishedLauncherPods(state.pods, vmi);
  // Not one of the VMI's live launcher pods: AAQ's calculator errs and the evaluator
  // falls back to Kubernetes' count.
  if (!launchers.some(p => p.metadata?.name === pod.metadata?.name))
    return standard();
  const counts: LauncherCounts = {
    pod: standard(),
    computeOnly: kubernetesPodUsage(
      pod,
      containers.filter(c => c.kind === 'container' && c.name === 'compute'),
      false,
      now,
    ),
    overhead: state.kubevirt
      ? aaqMemoryOverhead(vmi, state.kubevirt, state.defaultArchitecture)
      : undefined,
    vmi,
  };
  const source = usageByMode(state.mode, counts, true);
  const name = pod.metadata?.name;
  if (sourcePod(launchers, vmi)?.metadata?.name === name) return source;
  const migration = latestMigration(state.migrations, vmi.metadata?.name);
  if (targetPod(launchers, migration)?.metadata?.name === name) {
    return subtractNonNegative(usageByMode(state.mode, counts, false), source);
  }
  // An orphan launcher pod, about to be deleted.
  return {};
}

/**
 * What a new VM's virt-launcher pod will add to each ApplicationAwareResourceQuota
 * resource, as AAQ counts it in `mode`: from the same VMI (instancetype, preference and
 * virt-api's defaults applied) and the same pod that `launcherPodResources` rendered.
 *
 * @public
 */
export function aaqLauncherPodUsage(
  mode: AaqCalculationMode,
  input: LauncherPodInput,
  launcher: LauncherPodResources,
  cluster: {
    kubevirt?: KubeVirtConfigurationLike;
    defaultArchitecture?: string;
  } = {},
): ResourceQuantities {
  if (mode === 'IgnoreVmiCalculator' || mode === 'VmiPodUsage')
    return launcher.quotaUsage;
  const settings = resolveKubeVirtSettings(
    cluster.kubevirt,
    cluster.defaultArchitecture,
  );
  const vmi = defaultVirtualMachineInstance(
    applyInstancetype(input.vmi, input.instancetype, input.preference),
    settings,
  );
  const compute = launcher.admittedContainers.filter(
    c => c.kind === 'container' && c.name === 'compute',
  );
  return usageByMode(
    mode,
    {
      pod: launcher.quotaUsage,
      computeOnly: podQuotaUsage(podResourceTotals(compute)),
      overhead: aaqMemoryOverhead(
        vmi,
        cluster.kubevirt,
        cluster.defaultArchitecture,
      ),
      vmi,
    },
    true,
  );
}
