import type {
  LabelSelectorLike,
  LimitRangeLike,
  ResourceQuotaLike,
} from '../kube/kubernetesObjects';
import { matchesLabelSelector } from '../kube/labelSelector';
import {
  applyLimitRanges,
  applyPodApiDefaults,
  ContainerResources,
  missingQuotaConstraints,
  parseResourceList,
  podQuotaUsage,
  podResourceTotals,
  ResourceQuantities,
} from '../kube/podResources';
import { Quantity } from '../kube/Quantity';
import {
  buildVirtualMachineObjects,
  dataVolumeName,
} from '../render/buildVirtualMachineObjects';
import type { VirtualMachineRequest } from '../request/VirtualMachineRequest';
import type { SizeCatalog } from '../sizes/SizeCatalog';
import type { CloneSourceInfo } from './cloneSource';
import {
  claimQuotaUsage,
  diskClaimPlan,
  DiskClaimPlan,
  resolveStorageClass,
  StorageClassInfo,
} from './dataVolumeStorage';
import {
  AAQ_MANAGED_QUOTA_SUFFIX,
  AAQ_VERSION,
  aaqCalculationMode,
  AaqCalculationMode,
  aaqLauncherPodUsage,
  isAaqSchedulableResource,
} from './applicationAwareQuota';
import { formatQuantityForHumans } from './formatQuantityForHumans';
import type {
  CdiConfigLike,
  KubeVirtConfigurationLike,
  VirtualMachineInstanceLike,
} from '../kube/kubevirtObjects';
import {
  LauncherPodCluster,
  launcherPodResources,
  LauncherPodResources,
} from './launcherPodResources';

/**
 * What {@link planQuota} needs: the request and what the caller read from the cluster.
 *
 * @public
 */
export interface PlanQuotaInput {
  request: VirtualMachineRequest;
  /** The cluster's sizes (for the request's instancetype and preference). */
  sizes: SizeCatalog;
  /** ResourceQuotas of the request's namespace, with their status. */
  quotas: ResourceQuotaLike[];
  limitRanges?: LimitRangeLike[];
  storageClasses?: StorageClassInfo[];
  cdiConfig?: CdiConfigLike;
  /**
   * For a `dataSource` image: the DataSource's source claim or snapshot, as read from
   * the cluster. CDI sizes a clone with no size from it and checks a clone's size
   * against it; without it, a clone with no size is listed in `unknowns`.
   */
  imageCloneSource?: CloneSourceInfo;
  /** The KubeVirt CR's `spec.configuration`. */
  kubevirt?: KubeVirtConfigurationLike;
  /** The KubeVirt CR's `metadata.annotations`. */
  kubevirtAnnotations?: Record<string, string>;
  /** The KubeVirt CR's `status.defaultArchitecture` (amd64 when not given). */
  kubevirtDefaultArchitecture?: string;
  /**
   * The NetworkAttachmentDefinitions the request's multus networks name (what was
   * found of them): with ExternalNetResourceInjection off, KubeVirt requests their
   * device pools itself. When not given, the plan lists them as unknown.
   */
  networkAttachmentDefinitions?: LauncherPodCluster['networkAttachmentDefinitions'];
  /** Labels of the request's namespace. */
  namespaceLabels?: Record<string, string>;
  /**
   * ApplicationAwareResourceQuotas (aaq.kubevirt.io/v1alpha1) of the request's
   * namespace, with their status: a ResourceQuota's spec and status, counted by AAQ
   * (see `aaqCalculationMode`).
   */
  applicationAwareQuotas?: ResourceQuotaLike[];
  /**
   * The AAQ CR's `spec.configuration.vmiCalculatorConfiguration.configName`: how AAQ
   * counts the VM's virt-launcher pod. AAQ counts as `VmiPodUsage` when it is unset.
   */
  aaqCalculationMode?: string;
  /**
   * The namespaces AAQ gates: its CR's `spec.namespaceSelector`, or AAQ's default
   * (`AAQ_DEFAULT_NAMESPACE_SELECTOR`) when the CR sets none. When not given, AAQ is
   * taken to gate the request's namespace.
   */
  aaqNamespaceSelector?: LabelSelectorLike;
}

/**
 * One quota resource the VM counts against.
 *
 * @public
 */
export interface QuotaPlanRow {
  /** The quota's name. */
  quota: string;
  /**
   * Which kind of quota `quota` is: a core/v1 ResourceQuota, or an Application Aware
   * Quota ApplicationAwareResourceQuota (counted as AAQ counts). Absent means
   * ResourceQuota.
   */
  quotaKind?: 'ResourceQuota' | 'ApplicationAwareResourceQuota';
  /** The quota resource, e.g. `requests.memory`. */
  resource: string;
  hard: Quantity;
  /** What the namespace uses now (the quota's status). */
  used: Quantity;
  /** What this VM adds at its peak. */
  thisVm: Quantity;
  /** Of `thisVm`, what is needed only while its disks are imported or cloned. */
  duringImportOnly: Quantity;
  /** `used + thisVm`. */
  after: Quantity;
  fits: boolean;
}

/**
 * The VM's quota plan.
 *
 * @public
 */
export interface QuotaPlan {
  rows: QuotaPlanRow[];
  /** Whether every row fits and nothing else stops the VM. */
  fits: boolean;
  /** One sentence per row that does not fit, for the VM admin. */
  shortfalls: string[];
  /** Other reasons the VM would not be admitted or would not start (LimitRanges, unknown sizes). */
  problems: string[];
  /**
   * What the plan cannot count (a sidecar image's own needs, ...): said here rather
   * than silently left out. Does not stop the plan. (Optional only for plans made
   * before it existed; planQuota always sets it.)
   */
  unknowns?: string[];
  /** The virt-launcher pod, when the size is known. */
  launcher?: LauncherPodResources;
  /** The claims each persistent disk makes. */
  disks: DiskClaimPlan[];
  /**
   * When the namespace has ApplicationAwareResourceQuotas that AAQ enforces: the AAQ
   * release whose counting the plan follows and the calculation mode it counted in.
   */
  applicationAwareQuota?: {
    aaqVersion: string;
    calculationMode: AaqCalculationMode;
  };
}

const CDI_POD_DEFAULTS = {
  requests: { cpu: '100m', memory: '60M' },
  limits: { cpu: '750m', memory: '600M' },
};

const POD_SCOPES = new Set([
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
]);

function add(map: ResourceQuantities, key: string, amount: Quantity) {
  map[key] = map[key] ? map[key].add(amount) : amount;
}

function addAll(map: ResourceQuantities, other: ResourceQuantities) {
  for (const [key, amount] of Object.entries(other)) add(map, key, amount);
}

/** @internal */
export function isPodResource(resource: string): boolean {
  return (
    ['pods', 'count/pods', 'cpu', 'memory', 'ephemeral-storage'].includes(
      resource,
    ) ||
    /^(requests|limits)\.(cpu|memory|ephemeral-storage)$/.test(resource) ||
    /^(requests\.)?hugepages-/.test(resource) ||
    (resource.startsWith('requests.') && resource.includes('/'))
  );
}

/** Pods the plan adds (launcher and importer pods) match these quota scopes? */
/** @internal */
export function scopesMatchPod(quota: ResourceQuotaLike): boolean {
  for (const scope of quota.spec?.scopes ?? []) {
    if (
      scope === 'Terminating' ||
      scope === 'BestEffort' ||
      scope === 'CrossNamespacePodAffinity'
    ) {
      return false;
    }
    if (scope === 'PriorityClass') return false; // no priority class is set
  }
  for (const expression of quota.spec?.scopeSelector?.matchExpressions ?? []) {
    const { scopeName, operator } = expression;
    if (scopeName === 'PriorityClass') {
      // The pods set no priorityClassName, which only NotIn and DoesNotExist select.
      if (operator !== 'NotIn' && operator !== 'DoesNotExist') return false;
    } else if (
      scopeName !== 'NotTerminating' &&
      scopeName !== 'NotBestEffort'
    ) {
      return false;
    }
  }
  return true;
}

/** @internal */
export function isScoped(quota: ResourceQuotaLike): boolean {
  return (
    (quota.spec?.scopes?.length ?? 0) > 0 ||
    (quota.spec?.scopeSelector?.matchExpressions?.length ?? 0) > 0
  );
}

/** @internal */
export function appliesToScopedQuota(quota: ResourceQuotaLike): boolean {
  const scopes = [
    ...(quota.spec?.scopes ?? []),
    ...(quota.spec?.scopeSelector?.matchExpressions ?? []).map(
      e => e.scopeName,
    ),
  ];
  return scopes.every(s => POD_SCOPES.has(s));
}

/** @internal */
export function advice(resource: string): string {
  if (/storage|persistentvolumeclaims|datavolumes/.test(resource)) {
    return 'Choose smaller disks or fewer of them, or ask the platform team to raise the quota.';
  }
  if (
    /virtualmachines|virtualmachineinstances|pods$|instances\/vmi$/.test(
      resource,
    )
  ) {
    return 'Delete a VM you no longer need or ask the platform team to raise the quota.';
  }
  return 'Choose a smaller size or ask the platform team to raise the quota.';
}

function importerPods(
  cdiConfig: CdiConfigLike | undefined,
  limitRanges: LimitRangeLike[],
) {
  const configured = cdiConfig?.status?.defaultPodResourceRequirements;
  const container: ContainerResources = {
    name: 'importer',
    kind: 'container',
    requests: parseResourceList(
      configured?.requests ?? CDI_POD_DEFAULTS.requests,
    ),
    limits: parseResourceList(configured?.limits ?? CDI_POD_DEFAULTS.limits),
  };
  const admitted = applyLimitRanges(
    applyPodApiDefaults([container]),
    limitRanges,
  );
  return {
    containers: admitted.containers,
    usage: podQuotaUsage(podResourceTotals(admitted.containers)),
  };
}

/**
 * The VMI that a rendered VirtualMachine's template becomes, plus its instancetype and
 * preference specs from the size catalog.
 */
function launcherInputOf(
  request: VirtualMachineRequest,
  sizes: SizeCatalog,
  problems: string[],
) {
  const [vm] = buildVirtualMachineObjects(request);
  const template = vm.spec!.template as {
    metadata?: { labels?: Record<string, string> };
    spec: VirtualMachineInstanceLike['spec'];
  };
  const vmi: VirtualMachineInstanceLike = {
    metadata: {
      name: request.name,
      namespace: request.namespace,
      ...(template.metadata?.labels && { labels: template.metadata.labels }),
    },
    spec: template.spec,
  };
  const size = request.size;
  let instancetype;
  if ('instancetype' in size) {
    instancetype = sizes.findInstancetype(
      size.instancetype,
      request.namespace,
    )?.spec;
    if (!instancetype) {
      problems.push(
        `The size ${size.instancetype.name} is not offered on cluster ${request.cluster}; choose one of its sizes.`,
      );
      return undefined;
    }
  }
  let preference;
  if (size.preference) {
    preference = sizes.findPreference(size.preference, request.namespace)?.spec;
    if (!preference) {
      problems.push(
        `The preference ${size.preference.name} does not exist on cluster ${request.cluster}; choose another or none.`,
      );
      return undefined;
    }
  }
  return { vmi, instancetype, preference };
}

/**
 * What a requested VM will count against each ResourceQuota of its namespace, and
 * whether it fits. Rows cover every quota resource the VM touches: its virt-launcher
 * pod (`pods`, `requests.cpu`/`memory`, `limits.*` when KubeVirt sets them,
 * ephemeral storage, hugepages; see {@link launcherPodResources}), the VM and VMI
 * counts, DataVolumes, and its disks' claims (`requests.storage`,
 * `persistentvolumeclaims`, and the per-class
 * `<class>.storageclass.storage.k8s.io/...`), with the PVC sizes CDI derives.
 *
 * Disks are filled before the VM starts. While that happens CDI's temporary claims
 * (the populator's PVC' on CSI classes and the scratch PVC of a registry or http
 * import) exist beside the disk's own claim, and the quota is checked when each is
 * created: an import whose temporary claim does not fit stalls. So the plan requires
 * the quota to hold the peak at once, and shows in `duringImportOnly` how much of a
 * row is temporary. The importer pods (CDI's default 100m/60M requests, 750m/600M
 * limits) count instead of the VM's pod, or beside it on WaitForFirstConsumer classes
 * where KubeVirt starts a placeholder pod to bind the claims.
 *
 * The VM is counted as running, whatever its run strategy.
 *
 * @public
 */
export function planQuota(input: PlanQuotaInput): QuotaPlan {
  const { request, quotas } = input;
  const limitRanges = input.limitRanges ?? [];
  const problems: string[] = [];
  const one = Quantity.fromUnits(1);

  // Steady state: the running VM.
  const running: ResourceQuantities = {
    'count/virtualmachines.kubevirt.io': one,
    'count/virtualmachineinstances.kubevirt.io': one,
  };
  let launcher: LauncherPodResources | undefined;
  const launcherInput = launcherInputOf(request, input.sizes, problems);
  if (launcherInput) {
    launcher = launcherPodResources(launcherInput, {
      kubevirt: input.kubevirt,
      kubevirtAnnotations: input.kubevirtAnnotations,
      defaultArchitecture: input.kubevirtDefaultArchitecture,
      networkAttachmentDefinitions: input.networkAttachmentDefinitions,
      namespaceQuotas: quotas,
      namespaceLabels: input.namespaceLabels,
      limitRanges,
    });
    addAll(running, launcher.quotaUsage);
    problems.push(
      ...launcher.refusals.map(r => `KubeVirt would refuse the VM: ${r}.`),
    );
    problems.push(
      ...launcher.problems.map(p => `The VM's pod would be refused: ${p}.`),
    );
  }

  // Disks.
  const disks: DiskClaimPlan[] = [];
  const image = request.image;
  const classes = input.storageClasses ?? [];
  const diskOptions = {
    namespace: request.namespace,
    storageClasses: classes,
    cdiConfig: input.cdiConfig,
  };
  if (!('containerDisk' in image)) {
    let source: DiskClaimPlan['source'] = 'http';
    if ('dataSource' in image) source = 'clone';
    else if ('registry' in image) source = 'registry';
    disks.push(
      diskClaimPlan({
        ...diskOptions,
        disk: 'rootdisk',
        dataVolume: dataVolumeName(request.name, 'rootdisk'),
        source,
        size: image.size,
        storageClass: image.storageClass,
        cloneSourceNamespace:
          'dataSource' in image ? image.dataSource.namespace : undefined,
        cloneSource: 'dataSource' in image ? input.imageCloneSource : undefined,
      }),
    );
  }
  for (const disk of request.disks) {
    disks.push(
      diskClaimPlan({
        ...diskOptions,
        disk: disk.name,
        dataVolume: dataVolumeName(request.name, disk.name),
        source: 'blank',
        size: disk.size,
        storageClass: disk.storageClass,
      }),
    );
  }
  const importing: ResourceQuantities = {};
  const claimUsage = (
    target: ResourceQuantities,
    storageClass: string | undefined,
    size: Quantity,
  ) => addAll(target, claimQuotaUsage(storageClass, size));
  for (const disk of disks) {
    if (!disk.storageClass) {
      problems.push(
        `Disk ${disk.disk} names no storage class and the cluster has no default one; choose a storage class.`,
      );
    }
    if (disk.problem) problems.push(`Disk ${disk.disk}: ${disk.problem}.`);
    add(running, 'count/datavolumes.cdi.kubevirt.io', one);
    claimUsage(running, disk.storageClass, disk.claim);
    for (const temporary of disk.temporaryClaims) {
      claimUsage(importing, temporary.storageClass, temporary.size);
    }
  }
  if (disks.length > 0) {
    // While importing: the disks' own claims and objects are there too.
    for (const [key, amount] of Object.entries(running)) {
      if (!isPodResource(key)) add(importing, key, amount);
    }
    const importers = disks.filter(d => d.importerPod);
    const importer = importerPods(input.cdiConfig, limitRanges);
    for (let i = 0; i < importers.length; i++)
      addAll(importing, importer.usage);
    if (launcher && disks.some(d => d.waitForFirstConsumer)) {
      addAll(importing, launcher.quotaUsage);
    }
  }
  const peakOf = (
    steady: ResourceQuantities,
    temporary: ResourceQuantities,
  ) => {
    const result: ResourceQuantities = { ...steady };
    for (const [key, amount] of Object.entries(temporary)) {
      if (!result[key] || amount.cmp(result[key]) > 0) result[key] = amount;
    }
    return result;
  };
  const peak = peakOf(running, importing);

  // Application Aware Quota: AAQ counts pods itself (the launcher pod by its
  // calculation mode, other pods as Kubernetes does) and leaves the rest (storage,
  // object counts) to the ResourceQuota it keeps beside each ARQ, counted as above.
  const arqs = input.applicationAwareQuotas ?? [];
  const unknowns = [
    ...(launcher?.unknowns ?? []),
    ...disks.flatMap(d => (d.unknown ? [`Disk ${d.disk}: ${d.unknown}.`] : [])),
  ];
  const aaqGates =
    !input.aaqNamespaceSelector ||
    matchesLabelSelector(input.aaqNamespaceSelector, input.namespaceLabels);
  const aaqMode = aaqCalculationMode(input.aaqCalculationMode);
  const aaqRunning: ResourceQuantities = {};
  const aaqImporting: ResourceQuantities = {};
  if (arqs.length > 0 && aaqGates) {
    const launcherUsage =
      launcherInput && launcher
        ? aaqLauncherPodUsage(aaqMode, launcherInput, launcher, {
            kubevirt: input.kubevirt,
            defaultArchitecture: input.kubevirtDefaultArchitecture,
          })
        : {};
    addAll(aaqRunning, launcherUsage);
    const importers = disks.filter(d => d.importerPod);
    const importer = importerPods(input.cdiConfig, limitRanges);
    for (let i = 0; i < importers.length; i++)
      addAll(aaqImporting, importer.usage);
    if (disks.some(d => d.waitForFirstConsumer))
      addAll(aaqImporting, launcherUsage);
  } else if (arqs.length > 0) {
    unknowns.push(
      `AAQ does not gate pods in namespace ${
        request.namespace
      } (its namespaceSelector does not select it), so the ApplicationAwareResourceQuota${
        arqs.length > 1 ? 's' : ''
      } ${arqs
        .map(q => q.metadata?.name)
        .join(
          ', ',
        )} limit only what the ResourceQuotas AAQ keeps beside them count; their other resources are left out`,
    );
  }
  const aaqPeak = peakOf(aaqRunning, aaqImporting);
  const aaqGains = {
    peak: (resource: string) =>
      isAaqSchedulableResource(resource)
        ? aaqPeak[resource]
        : peak[resource] ?? aaqPeak[resource],
    steady: (resource: string) =>
      isAaqSchedulableResource(resource)
        ? aaqRunning[resource]
        : running[resource] ?? aaqRunning[resource],
  };

  // Quota rows.
  const rows: QuotaPlanRow[] = [];
  const shortfalls: string[] = [];
  const enforcedArqs = aaqGates ? arqs : [];
  const addRows = (
    quota: ResourceQuotaLike,
    name: string,
    quotaKind: NonNullable<QuotaPlanRow['quotaKind']>,
    gains: {
      peak: (resource: string) => Quantity | undefined;
      steady: (resource: string) => Quantity | undefined;
      /** Whether a scoped quota of this kind counts `resource` of the pods it selects. */
      countsForPods: (resource: string) => boolean;
    },
  ) => {
    const hard = parseResourceList(quota.spec?.hard ?? quota.status?.hard);
    const used = parseResourceList(quota.status?.used);
    const scoped = isScoped(quota);
    if (scoped && !(appliesToScopedQuota(quota) && scopesMatchPod(quota)))
      return hard;
    const label = quotaKind === 'ResourceQuota' ? name : `${quotaKind} ${name}`;
    for (const resource of Object.keys(hard).sort()) {
      if (scoped && !gains.countsForPods(resource)) continue;
      const thisVm = gains.peak(resource);
      if (!thisVm) continue;
      const steady = gains.steady(resource) ?? Quantity.ZERO;
      const after = (used[resource] ?? Quantity.ZERO).add(thisVm);
      const fits = after.cmp(hard[resource]) <= 0;
      const row: QuotaPlanRow = {
        quota: name,
        quotaKind,
        resource,
        hard: hard[resource],
        used: used[resource] ?? Quantity.ZERO,
        thisVm,
        duringImportOnly:
          thisVm.cmp(steady) > 0 ? thisVm.sub(steady) : Quantity.ZERO,
        after,
        fits,
      };
      rows.push(row);
      if (!fits) {
        const f = (q: Quantity, up = false) =>
          formatQuantityForHumans(resource, q, up);
        const temporary = row.duringImportOnly.isZero()
          ? ''
          : `; ${f(
              row.duringImportOnly,
            )} of it is needed only while the disks are imported`;
        shortfalls.push(
          `${label}: ${resource} would be ${f(after)} of ${f(
            row.hard,
          )} (short by ${f(after.sub(row.hard), true)}${temporary}). ${advice(
            resource,
          )}`,
        );
      }
    }
    return hard;
  };
  quotas.forEach((quota, index) => {
    const name = quota.metadata?.name ?? `quota-${index}`;
    // The ResourceQuota AAQ keeps for an enforced ARQ: the ARQ's rows say the same.
    if (
      enforcedArqs.some(
        arq => `${arq.metadata?.name}${AAQ_MANAGED_QUOTA_SUFFIX}` === name,
      )
    )
      return;
    const hard = addRows(quota, name, 'ResourceQuota', {
      peak: resource => peak[resource],
      steady: resource => running[resource],
      countsForPods: isPodResource,
    });
    if (launcher) {
      const missing = missingQuotaConstraints(
        launcher.admittedContainers,
        Object.keys(hard),
      );
      for (const [resource, containers] of missing) {
        problems.push(
          `${name}: the VM's pod would be refused because its ${containers.join(
            ', ',
          )} container${
            containers.length > 1 ? 's set' : ' sets'
          } no ${resource}; ask the platform team to add a LimitRange default for it.`,
        );
      }
    }
  });
  // AAQ's evaluator sets no per-container constraints (its Constraints is a no-op).
  enforcedArqs.forEach((arq, index) => {
    addRows(
      arq,
      arq.metadata?.name ?? `arq-${index}`,
      'ApplicationAwareResourceQuota',
      {
        ...aaqGains,
        countsForPods: resource =>
          isPodResource(resource) || resource in aaqPeak,
      },
    );
  });
  for (const disk of disks) {
    const info = resolveStorageClass(disk.storageClass, classes);
    if (
      disk.storageClass &&
      classes.length > 0 &&
      !classes.some(c => c.name === info?.name)
    ) {
      problems.push(
        `Disk ${disk.disk}: storage class ${disk.storageClass} does not exist on cluster ${request.cluster}; choose one it has.`,
      );
    }
  }
  return {
    rows,
    fits: shortfalls.length === 0 && problems.length === 0,
    shortfalls,
    problems,
    unknowns,
    ...(launcher && { launcher }),
    disks,
    ...(enforcedArqs.length > 0 && {
      applicationAwareQuota: {
        aaqVersion: AAQ_VERSION,
        calculationMode: aaqMode,
      },
    }),
  };
}
