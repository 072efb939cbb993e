import type {
  LimitRangeLike,
  ResourceQuotaLike,
} from '../kube/kubernetesObjects';
import { matchesLabelSelector } from '../kube/labelSelector';
import {
  applyLimitRanges,
  applyPodApiDefaults,
  ContainerResources,
  parseResourceList,
  podQuotaUsage,
  podResourceTotals,
  ResourceQuantities,
} from '../kube/podResources';
import { Quantity } from '../kube/Quantity';
import { applyInstancetype } from './applyInstancetype';
import type {
  InstancetypeSpecLike,
  KubeVirtConfigurationLike,
  PreferenceSpecLike,
  VirtualMachineInstanceLike,
} from '../kube/kubevirtObjects';
import {
  KUBEVIRT_VERSION,
  resolveKubeVirtSettings,
  ResolvedKubeVirtSettings,
} from './kubevirtSettings';
import {
  isCpuDedicated,
  kubevirtMemoryOverhead,
  vcpusOfTopology,
  wantsGuaranteedQos,
} from './memoryOverhead';
import { goParseFloat } from './goParseFloat';
import { virtApiRefusals } from './virtApiRefusals';
import {
  defaultVirtualMachineInstance,
  setDefaultNetworkInterface,
} from './vmiDefaults';

/**
 * What a virt-launcher pod is rendered from: the VMI (or a VM's template as a VMI)
 * and, for a VM with an instancetype or preference, their specs.
 *
 * @public
 */
export interface LauncherPodInput {
  vmi: VirtualMachineInstanceLike;
  instancetype?: InstancetypeSpecLike;
  preference?: PreferenceSpecLike;
}

/**
 * The cluster and namespace a launcher pod is created in.
 *
 * @public
 */
export interface LauncherPodCluster {
  /** The KubeVirt CR's `spec.configuration`; KubeVirt's defaults where unset. */
  kubevirt?: KubeVirtConfigurationLike;
  /**
   * The KubeVirt CR's `metadata.annotations`: with the AlignCPUs gate, virt-api copies
   * `alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity` to VMIs with an isolated
   * emulator thread.
   */
  kubevirtAnnotations?: Record<string, string>;
  /**
   * The NetworkAttachmentDefinitions the VM's multus networks name: with
   * ExternalNetResourceInjection off, KubeVirt requests each one's
   * `k8s.v1.cni.cncf.io/resourceName` (an SR-IOV device pool) itself. When not given
   * and needed, `unknowns` says so.
   */
  networkAttachmentDefinitions?: Array<{
    metadata: {
      name: string;
      namespace?: string;
      annotations?: Record<string, string>;
    };
  }>;
  /**
   * The ConfigMaps of the VM's namespace that hook sidecars name
   * (`hooks.kubevirt.io/hookSidecars` entries with `configMap`): virt-controller does
   * not create the pod while one is missing. When not given and needed, `unknowns`
   * says so.
   */
  configMaps?: Array<{ metadata: { name: string } }>;
  /**
   * The KubeVirt CR's `status.defaultArchitecture` (virt-operator sets it from the
   * cluster's nodes; KubeVirt ignores `spec.configuration.architectureConfiguration.defaultArchitecture`).
   * amd64 when not given. On arm64 every launcher pod needs 128Mi more.
   */
  defaultArchitecture?: string;
  /** ResourceQuotas of the VM's namespace: `limits.cpu`/`limits.memory` make KubeVirt set limits. */
  namespaceQuotas?: ResourceQuotaLike[];
  /** Labels of the VM's namespace (`alpha.kubevirt.io/auto-memory-limits-ratio`). */
  namespaceLabels?: Record<string, string>;
  /** LimitRanges of the VM's namespace: their defaults fill what containers leave unset. */
  limitRanges?: LimitRangeLike[];
}

/**
 * A virt-launcher pod's resources, as KubeVirt v1.9.0 renders them and as a
 * ResourceQuota counts them.
 *
 * @public
 */
export interface LauncherPodResources {
  /** The KubeVirt release this arithmetic follows. */
  kubevirtVersion: string;
  /** vCPUs the guest sees. */
  vcpus: number;
  /** What KubeVirt adds to the guest memory for QEMU, libvirt and friends. */
  memoryOverhead: Quantity;
  /** The compute container as KubeVirt renders it. */
  compute: { requests: ResourceQuantities; limits: ResourceQuantities };
  /** Every container as KubeVirt renders it, in pod order (compute first). */
  containers: ContainerResources[];
  /** Every container as the API server admits it (limits copied to requests, LimitRange defaults). */
  admittedContainers: ContainerResources[];
  /** The whole pod as the scheduler and ResourceQuota count it. */
  pod: { requests: ResourceQuantities; limits: ResourceQuantities };
  /** What the pod adds to each ResourceQuota resource (`requests.cpu`, `pods`, ...). */
  quotaUsage: ResourceQuantities;
  /** Why a LimitRange or the API server would refuse the pod; empty when it would not. */
  problems: string[];
  /**
   * Why KubeVirt would refuse the VM, in its own words (virt-api's validation, or the
   * VM controller's for the default interface); empty when it would not. The numbers
   * are what KubeVirt would render without the refusal.
   */
  refusals: string[];
  /**
   * What the pod will use that this arithmetic cannot know (a sidecar image's own
   * needs beyond what KubeVirt requests for it, ...); empty when nothing.
   */
  unknowns: string[];
}

const AUTO_MEMORY_LIMITS_RATIO_LABEL =
  'alpha.kubevirt.io/auto-memory-limits-ratio';
const EMULATOR_THREAD_EVEN_PARITY =
  'alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity';
const DEVICE_PREFIX = 'devices.kubevirt.io';

/** Go's `%g` of a float64, read back as an exact quantity (`fmt.Sprintf("%g")`). */
function goFloatQuantity(value: number, suffix: '' | 'm'): Quantity {
  // String(x) and Go's shortest %g print the same digits; only the layout differs.
  const text = String(value);
  const exact = Quantity.fromDecimalString(text);
  return suffix === 'm'
    ? Quantity.fromNanos(divCeil(exact.nanos, 1000n))
    : exact;
}

function divCeil(a: bigint, b: bigint): bigint {
  return a % b === 0n ? a / b : a / b + (a > 0n ? 1n : 0n);
}

class ResourceRenderer {
  readonly calculatedLimits: ResourceQuantities = {};
  readonly calculatedRequests: ResourceQuantities = {};
  constructor(
    readonly vmLimits: ResourceQuantities,
    readonly vmRequests: ResourceQuantities,
  ) {}

  limits(): ResourceQuantities {
    return { ...this.calculatedLimits, ...this.vmLimits };
  }

  requests(): ResourceQuantities {
    return { ...this.calculatedRequests, ...this.vmRequests };
  }

  /** requestResource: one more of a device-plugin resource, in limits and requests. */
  requestDevice(name: string) {
    const limits = this.limits();
    const requests = this.requests();
    const one = Quantity.fromUnits(1);
    limits[name] = limits[name] ? limits[name].add(one) : one;
    requests[name] = requests[name] ? requests[name].add(one) : one;
    Object.assign(this.calculatedLimits, limits);
    Object.assign(this.calculatedRequests, requests);
  }
}

function quotaHasLimit(
  quotas: ResourceQuotaLike[],
  namespace: string,
  resource: 'cpu' | 'memory',
): boolean {
  return quotas.some(
    quota =>
      (quota.metadata?.namespace ?? namespace) === namespace &&
      quota.spec?.hard !== undefined &&
      Object.prototype.hasOwnProperty.call(
        quota.spec.hard,
        `limits.${resource}`,
      ),
  );
}

function memoryLimitsRatio(labels: Record<string, string> | undefined): number {
  const value = labels?.[AUTO_MEMORY_LIMITS_RATIO_LABEL];
  if (value === undefined) return 2;
  // strconv.ParseFloat; KubeVirt falls back to 2 on an error or below 1 (`ratio < 1.0`,
  // so NaN and +Inf pass).
  const ratio = goParseFloat(value);
  return ratio === undefined || ratio < 1 ? 2 : ratio;
}

const INT64_MIN = -(2n ** 63n);

/**
 * Go's `int64(float64(request) * ratio)` on amd64: an out-of-range or NaN product
 * becomes the minimum int64 (the CVTTSD2SI "integer indefinite" value).
 */
function goInt64OfProduct(request: bigint, ratio: number): bigint {
  const product = Number(request) * ratio;
  if (!Number.isFinite(product) || Math.abs(product) >= 2 ** 63)
    return INT64_MIN;
  return BigInt(Math.trunc(product));
}

function supportContainerResources(
  settings: ResolvedKubeVirtSettings,
  type: string,
  defaults: {
    requests: Record<string, string>;
    limits: Record<string, string>;
  },
  guaranteed: boolean,
): { requests: ResourceQuantities; limits: ResourceQuantities } {
  const requests: ResourceQuantities = {};
  const limits: ResourceQuantities = {};
  for (const [resource, text] of Object.entries(defaults.requests)) {
    requests[resource] =
      (resource === 'ephemeral-storage'
        ? undefined
        : settings.supportContainer(type, 'requests', resource)) ??
      Quantity.parse(text);
  }
  for (const [resource, text] of Object.entries(defaults.limits)) {
    limits[resource] =
      settings.supportContainer(type, 'limits', resource) ??
      Quantity.parse(text);
  }
  if (guaranteed) {
    requests.cpu = limits.cpu;
    requests.memory = limits.memory;
  }
  return { requests, limits };
}

const HOOK_SIDECARS = 'hooks.kubevirt.io/hookSidecars';

/** The sidecars `hooks.kubevirt.io/hookSidecars` asks for (hooks.UnmarshalHookSidecarList). */
function parseHookSidecars(
  text: string | undefined,
  problems: string[],
): Array<{ configMap?: { name?: string } }> {
  if (!text) return [];
  try {
    const list = JSON.parse(text);
    if (Array.isArray(list)) {
      return list.map(entry =>
        entry && typeof entry === 'object' ? entry : {},
      );
    }
  } catch {
    // reported below
  }
  problems.push(
    `the annotation ${HOOK_SIDECARS} is not a JSON list of sidecars, so virt-controller would not create the pod`,
  );
  return [];
}

/**
 * virt-controller reads each hook sidecar's ConfigMap (its script) from the VM's
 * namespace and does not create the pod when one is missing (services.TemplateService).
 */
function checkSidecarConfigMaps(
  sidecars: Array<{ configMap?: { name?: string } }>,
  cluster: LauncherPodCluster,
  renderProblems: string[],
  unknowns: string[],
) {
  const names = sidecars.flatMap(s =>
    s.configMap?.name ? [s.configMap.name] : [],
  );
  if (names.length === 0) return;
  if (!cluster.configMaps) {
    unknowns.push(
      `hook sidecars read the ConfigMap${
        names.length > 1 ? 's' : ''
      } ${names.join(
        ', ',
      )}, which were not read; virt-controller does not create the pod while one is missing`,
    );
    return;
  }
  const present = new Set(cluster.configMaps.map(c => c.metadata.name));
  for (const name of names) {
    if (!present.has(name)) {
      renderProblems.push(
        `virt-controller would not create the pod: configmaps "${name}" not found`,
      );
    }
  }
}

/** services.sidecarResources: limits 200m/64M and requests = limits with dedicated CPUs or guaranteed QoS. */
function hookSidecarResources(
  settings: ResolvedKubeVirtSettings,
  guaranteed: boolean,
): { requests: ResourceQuantities; limits: ResourceQuantities } {
  const own = (which: 'requests' | 'limits', resource: string) =>
    settings.supportContainer('sidecar', which, resource);
  const requests: ResourceQuantities = {};
  const limits: ResourceQuantities = {};
  const set = (list: ResourceQuantities, key: string, q?: Quantity) => {
    if (q) list[key] = q;
  };
  set(requests, 'cpu', own('requests', 'cpu'));
  set(requests, 'memory', own('requests', 'memory'));
  if (guaranteed) {
    limits.cpu = own('limits', 'cpu') ?? Quantity.parse('200m');
    limits.memory = own('limits', 'memory') ?? Quantity.parse('64M');
    requests.cpu = limits.cpu;
    requests.memory = limits.memory;
  } else {
    set(limits, 'cpu', own('limits', 'cpu'));
    set(limits, 'memory', own('limits', 'memory'));
  }
  return { requests, limits };
}

/** virtiofs.ResourcesForVirtioFSContainer (10m/1M requests, 100m/80M limits). */
function virtiofsContainerResources(
  settings: ResolvedKubeVirtSettings,
  dedicated: boolean,
  guaranteed: boolean,
): { requests: ResourceQuantities; limits: ResourceQuantities } {
  const own = (which: 'requests' | 'limits', resource: string, text: string) =>
    settings.supportContainer('virtiofs', which, resource) ??
    Quantity.parse(text);
  const limits: ResourceQuantities = {
    memory: own('limits', 'memory', '80M'),
    cpu: own('limits', 'cpu', '100m'),
  };
  const requests: ResourceQuantities = {
    cpu: dedicated || guaranteed ? limits.cpu : own('requests', 'cpu', '10m'),
    memory: guaranteed ? limits.memory : own('requests', 'memory', '1M'),
  };
  return { requests, limits };
}

/**
 * The resources of the virt-launcher pod KubeVirt v1.9.0 creates for a VMI, for the
 * compute container and for the whole pod as a ResourceQuota counts it.
 *
 * Follows virt-controller's `TemplateService.RenderLaunchManifest`: the instancetype
 * and preference are applied, then virt-api's defaults; the compute container asks
 * for the guest memory (scaled by `memoryOvercommit` when the VMI sets no memory
 * request) plus KubeVirt's memory overhead (or the overhead alone beside
 * `hugepages-<size>` for hugepages), `vCPUs / cpuAllocationRatio` CPUs (dedicated
 * CPUs: request = limit = vCPUs, +1 for an isolated emulator thread, memory limit =
 * request), 50M of ephemeral storage, limits when a namespace quota has `limits.cpu`
 * or `limits.memory` (memory limit = request × the namespace's
 * `alpha.kubevirt.io/auto-memory-limits-ratio`, default 2) and device-plugin
 * resources. The pod adds the `guest-console-log` sidecar and one `volume<name>`
 * init container per containerDisk (ImageVolume, on by default), or with ImageVolume
 * off the `container-disk-binary` init container and a `volume<name>` container per
 * containerDisk. Pod totals follow Kubernetes (app containers and sidecars summed;
 * each init container with the sidecars before it; the larger wins), after the API
 * server's defaults and the namespace's LimitRange defaults.
 *
 * The VM controller's order is followed (the preference's autoattach settings and the
 * default interface before the instancetype and preference), and virt-api's copy of
 * the KubeVirt CR's even-parity annotation. Also added: a `virtiofs-<volume>`
 * container per volume shared with virtiofs, the kernel-boot container, and a
 * `hook-sidecar-<i>` container per hook sidecar and per network binding plugin with a
 * sidecar image. Where KubeVirt would refuse the VM (the common rules of virt-api's
 * validation, the default interface), `refusals` says why in KubeVirt's words; what
 * cannot be known here (sidecar images' own needs, RuntimeClass overhead, DRA claims)
 * is in `unknowns`.
 *
 * @public
 */
export function launcherPodResources(
  input: LauncherPodInput,
  cluster: LauncherPodCluster = {},
): LauncherPodResources {
  const settings = resolveKubeVirtSettings(
    cluster.kubevirt,
    cluster.defaultArchitecture,
  );
  // The VM controller's startVMI order: the preference's autoattach settings, the
  // default interface, then the instancetype and the rest of the preference (so a
  // preferred interface model applies to the default interface).
  const refusals: string[] = [];
  const unknowns: string[] = [];
  const renderProblems: string[] = [];
  const source = structuredClone(input.vmi);
  source.spec.domain ??= {};
  const sourceDevices = (source.spec.domain.devices ??= {});
  const autoattach = input.preference?.devices;
  if (autoattach) {
    for (const [from, to] of [
      ['preferredAutoattachGraphicsDevice', 'autoattachGraphicsDevice'],
      ['preferredAutoattachMemBalloon', 'autoattachMemBalloon'],
      ['preferredAutoattachPodInterface', 'autoattachPodInterface'],
      ['preferredAutoattachSerialConsole', 'autoattachSerialConsole'],
      ['preferredAutoattachInputDevice', 'autoattachInputDevice'],
    ] as const) {
      if (autoattach[from] !== undefined && sourceDevices[to] === undefined)
        sourceDevices[to] = autoattach[from];
    }
  }
  setDefaultNetworkInterface(source.spec, settings, refusals);
  const applied = applyInstancetype(
    source,
    input.instancetype,
    input.preference,
  );
  const vmi = defaultVirtualMachineInstance(applied, settings, refusals);
  refusals.push(...virtApiRefusals(vmi, settings));
  const spec = vmi.spec;
  const domain = spec.domain;
  const devices = domain.devices ?? {};
  const namespace = vmi.metadata?.namespace ?? 'default';
  const quotas = cluster.namespaceQuotas ?? [];
  let annotations = vmi.metadata?.annotations ?? {};
  // ApplyNewVMIMutations: the even-parity annotation copied from the KubeVirt CR.
  if (
    domain.cpu?.isolateEmulatorThread &&
    cluster.kubevirtAnnotations &&
    Object.prototype.hasOwnProperty.call(
      cluster.kubevirtAnnotations,
      EMULATOR_THREAD_EVEN_PARITY,
    ) &&
    settings.featureGate('AlignCPUs')
  ) {
    annotations = { ...annotations, [EMULATOR_THREAD_EVEN_PARITY]: '' };
  }
  const vmiResources = domain.resources ?? {};

  const memoryOverhead = kubevirtMemoryOverhead(vmi, settings);
  const dedicated = isCpuDedicated(vmi);
  const guaranteed = dedicated || wantsGuaranteedQos(vmi);
  const renderer = new ResourceRenderer(
    parseResourceList(vmiResources.limits),
    parseResourceList(vmiResources.requests),
  );
  const { vmLimits, vmRequests } = renderer;

  // WithEphemeralStorageRequest
  const ephemeralOverhead = Quantity.parse('50M');
  vmRequests['ephemeral-storage'] = (
    vmRequests['ephemeral-storage'] ?? Quantity.ZERO
  ).add(ephemeralOverhead);
  if (vmLimits['ephemeral-storage']) {
    vmLimits['ephemeral-storage'] =
      vmLimits['ephemeral-storage'].add(ephemeralOverhead);
  }

  // WithVirtualizationResources (getRequiredResources)
  const interfaces = devices.interfaces ?? [];
  const one = Quantity.fromUnits(1);
  if (interfaces.length > 0 || devices.autoattachPodInterface !== false) {
    vmLimits[`${DEVICE_PREFIX}/tun`] = one;
  }
  const hasVirtio = interfaces.some(i => !i.model || i.model === 'virtio');
  if (hasVirtio && !settings.allowEmulation)
    vmLimits[`${DEVICE_PREFIX}/vhost-net`] = one;
  if (!settings.allowEmulation) vmLimits[`${DEVICE_PREFIX}/kvm`] = one;
  if (devices.autoattachVSOCK === true)
    vmLimits[`${DEVICE_PREFIX}/vhost-vsock`] = one;

  const memory = domain.memory;
  const guest =
    memory?.guest !== undefined ? Quantity.parse(memory.guest) : undefined;
  const requestMemoryOfVmi = vmiResources.requests?.memory;
  const hasLimitsKey = (r: string) =>
    Object.prototype.hasOwnProperty.call(vmiResources.limits ?? {}, r);

  // 1. WithMemoryRequests (when the VMI sets no memory request)
  if (
    requestMemoryOfVmi === undefined ||
    Quantity.parse(requestMemoryOfVmi).isZero()
  ) {
    const limit = vmLimits.memory;
    const request = vmRequests.memory;
    if (limit && !limit.isZero() && (!request || request.isZero())) {
      vmRequests.memory = limit;
    }
    if (!vmRequests.memory) {
      let base: Quantity | undefined = guest;
      if (!base && memory?.hugepages)
        base = Quantity.tryParse(memory.hugepages.pageSize);
      if (base && base.value() > 0n) {
        const overcommit = settings.memoryOvercommit;
        vmRequests.memory =
          overcommit === 100
            ? base
            : Quantity.fromUnits(
                (base.value() * 100n) / BigInt(overcommit),
                base.format,
              );
      }
    }
  }

  const ioThreadCpus = domain.ioThreads?.supplementalPoolThreadCount ?? 0;
  const cpu = domain.cpu ?? {};
  if (dedicated) {
    // 2a. WithCPUPinning
    const vcpus = vcpusOfTopology(cpu);
    const additionalCpus =
      domain.ioThreadsPolicy === 'supplementalPool' &&
      domain.ioThreads?.supplementalPoolThreadCount !== undefined
        ? domain.ioThreads.supplementalPoolThreadCount
        : 0;
    if (vcpus !== 0) {
      const total = Quantity.fromUnits(vcpus + ioThreadCpus, 'BinarySI');
      vmLimits.cpu = total;
      vmRequests.cpu = total;
    } else {
      const extra = Quantity.fromUnits(ioThreadCpus, 'BinarySI');
      if (vmLimits.cpu) vmLimits.cpu = vmLimits.cpu.add(extra);
      if (vmRequests.cpu) vmRequests.cpu = vmRequests.cpu.add(extra);
    }
    if (cpu.isolateEmulatorThread) {
      const limits = vmLimits.cpu ?? Quantity.ZERO;
      let emulatorThreads = 1;
      if (
        Object.prototype.hasOwnProperty.call(
          annotations,
          EMULATOR_THREAD_EVEN_PARITY,
        ) &&
        (limits.value() + BigInt(additionalCpus)) % 2n === 0n
      ) {
        emulatorThreads = 2;
      }
      const extra = Quantity.fromUnits(emulatorThreads, 'BinarySI');
      vmLimits.cpu = limits.add(extra);
      if (vmRequests.cpu) vmRequests.cpu = vmRequests.cpu.add(extra);
    }
    if (vmRequests.memory) vmLimits.memory = vmRequests.memory;
  } else {
    // 2b. WithoutDedicatedCPU
    const withCpuLimits =
      !hasLimitsKey('cpu') &&
      (quotaHasLimit(quotas, namespace, 'cpu') ||
        (settings.config.autoCPULimitNamespaceLabelSelector !== undefined &&
          matchesLabelSelector(
            settings.config.autoCPULimitNamespaceLabelSelector,
            cluster.namespaceLabels,
          )));
    const vcpus = domain.cpu ? vcpusOfTopology(domain.cpu) : 1;
    const total = vcpus + ioThreadCpus;
    if (total !== 0) {
      const value = total / settings.cpuAllocationRatio;
      renderer.calculatedRequests.cpu =
        value < 1
          ? goFloatQuantity(value * 1000, 'm')
          : goFloatQuantity(value, '');
      if (withCpuLimits)
        renderer.calculatedLimits.cpu = Quantity.fromUnits(total);
    }
  }

  if (memory?.hugepages) {
    // 3a. WithHugePages
    const hugepageType = `hugepages-${memory.hugepages.pageSize}`;
    let hugepagesRequest = vmRequests.memory ?? Quantity.ZERO;
    if (guest && hugepagesRequest.value() > guest.value())
      hugepagesRequest = guest;
    renderer.calculatedRequests[hugepageType] = hugepagesRequest;
    renderer.calculatedLimits[hugepageType] = hugepagesRequest;
    let requestDiff = Quantity.ZERO.withFormat('DecimalSI');
    let limitDiff = Quantity.ZERO.withFormat('DecimalSI');
    if (guest) {
      const requests = vmRequests.memory ?? Quantity.ZERO;
      const limits = vmLimits.memory ?? Quantity.ZERO;
      if (requests.value() > guest.value()) requestDiff = requests.sub(guest);
      if (limits.value() > guest.value()) limitDiff = limits.sub(guest);
    }
    vmRequests.memory = requestDiff.add(memoryOverhead);
    if (vmLimits.memory) vmLimits.memory = limitDiff.add(memoryOverhead);
  } else {
    // 3b. WithMemoryOverhead
    let request = vmRequests.memory ?? Quantity.ZERO;
    if (!vmiResources.overcommitGuestOverhead)
      request = request.add(memoryOverhead);
    vmRequests.memory = request;
    if (vmLimits.memory) vmLimits.memory = vmLimits.memory.add(memoryOverhead);
  }

  // 4. WithAutoMemoryLimits
  let ratioProblem: string | undefined;
  if (!hasLimitsKey('memory') && quotaHasLimit(quotas, namespace, 'memory')) {
    const ratio = memoryLimitsRatio(cluster.namespaceLabels);
    const request = vmRequests.memory ?? Quantity.ZERO;
    const limit = goInt64OfProduct(request.value(), ratio);
    renderer.calculatedLimits.memory = Quantity.fromUnits(
      limit,
      request.format,
    );
    if (limit < 0n) {
      ratioProblem = `the namespace label ${AUTO_MEMORY_LIMITS_RATIO_LABEL}=${cluster.namespaceLabels?.[AUTO_MEMORY_LIMITS_RATIO_LABEL]} makes KubeVirt's memory limit for the compute container overflow to a negative number, so the API server would refuse the pod; set the label to a number such as 2`;
    }
  }

  // 5. Device plugins: GPUs, host devices, SEV, TDX, persistent reservation, IOMMUFD.
  for (const gpu of devices.gpus ?? []) {
    if (gpu.deviceName && !gpu.claimRequest)
      renderer.requestDevice(gpu.deviceName);
  }
  for (const hostDevice of devices.hostDevices ?? []) {
    if (hostDevice.deviceName && !hostDevice.claimRequest) {
      renderer.requestDevice(hostDevice.deviceName);
    }
  }
  // WithNetworkResources: with ExternalNetResourceInjection off, virt-controller reads
  // each multus network's NetworkAttachmentDefinition (multus.NetworkToResource).
  const multusNetworks = (spec.networks ?? []).filter(n => n.multus);
  const nadOf = (full: string) => {
    const [nadNamespace, nadName] = full.includes('/')
      ? full.split('/', 2)
      : [namespace, full];
    return {
      id: `${nadNamespace}/${nadName}`,
      nad: cluster.networkAttachmentDefinitions?.find(
        n =>
          n.metadata.name === nadName &&
          (n.metadata.namespace ?? namespace) === nadNamespace,
      ),
    };
  };
  const resourceNameOf = (nad?: { metadata: { annotations?: object } }) =>
    (nad?.metadata.annotations as Record<string, string> | undefined)?.[
      'k8s.v1.cni.cncf.io/resourceName'
    ];
  if (
    multusNetworks.length > 0 &&
    settings.featureGate('ExternalNetResourceInjection')
  ) {
    // KubeVirt leaves the device pool to multus' network-resources-injector webhook.
    const pools = multusNetworks.flatMap(n => {
      const { nad } = nadOf(n.multus!.networkName);
      const pool = resourceNameOf(nad);
      return pool ? [pool] : [];
    });
    if (pools.length > 0 || !cluster.networkAttachmentDefinitions) {
      unknowns.push(
        `with ExternalNetResourceInjection on, the device pool${
          pools.length > 0 ? ` ${[...new Set(pools)].join(', ')}` : ''
        } a multus network's NetworkAttachmentDefinition names is added to the pod by multus' network-resources-injector (where the cluster runs it), not by KubeVirt; not included here`,
      );
    }
  } else if (multusNetworks.length > 0) {
    const nads = cluster.networkAttachmentDefinitions;
    if (!nads) {
      unknowns.push(
        "with ExternalNetResourceInjection off, KubeVirt requests the device pool named by each multus network's NetworkAttachmentDefinition, which was not read; those devices are not included here",
      );
    } else {
      for (const network of multusNetworks) {
        const { id, nad } = nadOf(network.multus!.networkName);
        const resourceName = resourceNameOf(nad);
        if (!nad) {
          renderProblems.push(
            `virt-controller would not create the pod: failed to locate network attachment definition ${id}`,
          );
        } else if (resourceName) renderer.requestDevice(resourceName);
      }
    }
  }
  const launchSecurity = domain.launchSecurity;
  if (launchSecurity && (launchSecurity.sev || launchSecurity.snp)) {
    renderer.requestDevice(`${DEVICE_PREFIX}/sev`);
  }
  if (launchSecurity?.tdx) renderer.requestDevice(`${DEVICE_PREFIX}/tdx`);
  const hasReservation = (devices.disks ?? []).some(
    disk =>
      (disk.lun as { reservation?: boolean } | undefined)?.reservation === true,
  );
  if (hasReservation) renderer.requestDevice(`${DEVICE_PREFIX}/pr-helper`);
  if (settings.featureGate('IOMMUFD'))
    renderer.requestDevice(`${DEVICE_PREFIX}/iommufd`);

  const compute = { requests: renderer.requests(), limits: renderer.limits() };
  const containers: ContainerResources[] = [
    { name: 'compute', kind: 'container', ...compute },
  ];

  const containerDiskVolumes = (spec.volumes ?? []).filter(
    v => v.containerDisk,
  );
  const imageVolume = settings.featureGate('ImageVolume');
  const diskContainer = () =>
    supportContainerResources(
      settings,
      'container-disk',
      {
        requests: { cpu: '1m', memory: '1M', 'ephemeral-storage': '50M' },
        limits: { cpu: '10m', memory: '40M' },
      },
      guaranteed,
    );
  // The kernel-boot container image is served like a containerDisk (volume
  // kernel-boot-volume), as a container without ImageVolume, as an init container with it.
  const kernelBoot = !!(
    domain.firmware as { kernelBoot?: { container?: object } } | undefined
  )?.kernelBoot?.container;
  const kernelBootName = 'volumekernel-boot-volume';
  if (!imageVolume) {
    for (const volume of containerDiskVolumes) {
      containers.push({
        name: `volume${volume.name}`,
        kind: 'container',
        ...diskContainer(),
      });
    }
    if (kernelBoot) {
      containers.push({
        name: kernelBootName,
        kind: 'container',
        ...diskContainer(),
      });
    }
  }

  // generateVirtioFSContainers: one virtiofs-<volume> container per shared volume.
  const sharedVolumes = new Set(
    (devices.filesystems ?? []).map(filesystem => filesystem.name),
  );
  for (const volume of spec.volumes ?? []) {
    if (!sharedVolumes.has(volume.name) || volume.containerPath) continue;
    containers.push({
      name: `virtiofs-${volume.name}`,
      kind: 'container',
      ...virtiofsContainerResources(
        settings,
        dedicated,
        dedicated || wantsGuaranteedQos(vmi),
      ),
    });
  }

  // Hook sidecars (hooks.kubevirt.io/hookSidecars), then the network binding plugins'
  // sidecars: hook-sidecar-<i>, sized by sidecarResources.
  const hookSidecarList = parseHookSidecars(
    annotations[HOOK_SIDECARS],
    renderProblems,
  );
  checkSidecarConfigMaps(hookSidecarList, cluster, renderProblems, unknowns);
  const hookSidecars = hookSidecarList.length;
  const bindingPlugins = settings.config.network?.binding ?? {};
  const pluginSidecars = new Set(
    interfaces
      .map(i => i.binding?.name)
      .filter(
        (name): name is string =>
          !!name &&
          Object.prototype.hasOwnProperty.call(bindingPlugins, name) &&
          !!bindingPlugins[name]?.sidecarImage,
      ),
  );
  const sidecarCount = hookSidecars + pluginSidecars.size;
  for (let i = 0; i < sidecarCount; i++) {
    containers.push({
      name: `hook-sidecar-${i}`,
      kind: 'container',
      ...hookSidecarResources(settings, guaranteed),
    });
  }
  if (sidecarCount > 0) {
    unknowns.push(
      `${sidecarCount} sidecar container${
        sidecarCount > 1 ? 's' : ''
      } (hook or network binding plugin) run images whose own CPU and memory needs are unknown here; counted only as KubeVirt sizes them (${
        guaranteed
          ? 'its limits'
          : "nothing, unless the cluster's supportContainerResources set requests"
      })`,
    );
  }

  const runtimeClass = settings.config.defaultRuntimeClass;
  if (typeof runtimeClass === 'string' && runtimeClass) {
    unknowns.push(
      `the pod runs with RuntimeClass ${runtimeClass}; its pod overhead, if it has one, is added to what the quota counts and is not included here`,
    );
  }
  const claimed = [...(devices.gpus ?? []), ...(devices.hostDevices ?? [])]
    .filter(d => d.claimRequest)
    .map(d => d.name);
  if (claimed.length > 0) {
    unknowns.push(
      `devices ${claimed.join(
        ', ',
      )} come from DRA ResourceClaims, which their own quotas count; not included here`,
    );
  }

  const serialConsoleLog =
    devices.autoattachSerialConsole === false
      ? false
      : devices.logSerialConsole ?? !settings.serialConsoleLogDisabled;
  if (serialConsoleLog) {
    containers.push({
      name: 'guest-console-log',
      kind: 'sidecar',
      ...supportContainerResources(
        settings,
        'guest-console-log',
        {
          requests: { memory: '35M', cpu: '5m' },
          limits: { memory: '60M', cpu: '15m' },
        },
        guaranteed,
      ),
    });
  }
  if (!imageVolume && (containerDiskVolumes.length > 0 || kernelBoot)) {
    const requests: ResourceQuantities = {};
    const limits: ResourceQuantities = {};
    if (guaranteed) {
      limits.cpu =
        settings.supportContainer('container-disk', 'limits', 'cpu') ??
        Quantity.parse('10m');
      limits.memory =
        settings.supportContainer('container-disk', 'limits', 'memory') ??
        Quantity.parse('40M');
      Object.assign(requests, limits);
    } else {
      limits.cpu =
        settings.supportContainer('container-disk', 'limits', 'cpu') ??
        Quantity.parse('100m');
      limits.memory =
        settings.supportContainer('container-disk', 'limits', 'memory') ??
        Quantity.parse('40M');
      requests.cpu =
        settings.supportContainer('container-disk', 'requests', 'cpu') ??
        Quantity.parse('10m');
      requests.memory =
        settings.supportContainer('container-disk', 'requests', 'memory') ??
        Quantity.parse('1M');
    }
    containers.push({
      name: 'container-disk-binary',
      kind: 'init',
      requests,
      limits,
    });
    for (const volume of containerDiskVolumes) {
      containers.push({
        name: `volume${volume.name}-init`,
        kind: 'init',
        ...diskContainer(),
      });
    }
    if (kernelBoot) {
      containers.push({
        name: `${kernelBootName}-init`,
        kind: 'init',
        ...diskContainer(),
      });
    }
  } else if (imageVolume) {
    for (const volume of containerDiskVolumes) {
      containers.push({
        name: `volume${volume.name}`,
        kind: 'init',
        ...diskContainer(),
      });
    }
    if (kernelBoot) {
      containers.push({
        name: kernelBootName,
        kind: 'init',
        ...diskContainer(),
      });
    }
  }

  const defaulted = applyPodApiDefaults(containers);
  const { containers: admittedContainers, problems } = applyLimitRanges(
    defaulted,
    cluster.limitRanges,
  );
  problems.unshift(...renderProblems);
  if (ratioProblem) problems.push(ratioProblem);
  const pod = podResourceTotals(admittedContainers);
  return {
    kubevirtVersion: KUBEVIRT_VERSION,
    vcpus: domain.cpu ? vcpusOfTopology(domain.cpu) : 1,
    memoryOverhead,
    compute,
    containers,
    admittedContainers,
    pod,
    quotaUsage: podQuotaUsage(pod),
    problems,
    refusals: [...new Set(refusals)],
    unknowns,
  };
}
