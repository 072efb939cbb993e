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
} from './kubevirtObjects';
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
import { defaultVirtualMachineInstance } from './vmiDefaults';

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
  const ratio = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())
    ? Number(value.trim())
    : NaN;
  // KubeVirt falls back to 2 for a value it cannot parse or below 1.
  return Number.isFinite(ratio) && ratio >= 1 ? ratio : 2;
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

/**
 * The resources of the virt-launcher pod KubeVirt v1.9.0 creates for a VMI, for the
 * compute container and for the whole pod as a ResourceQuota counts it.
 *
 * Follows virt-controller's `TemplateService.RenderLaunchManifest`: the instancetype
 * and preference are applied, then virt-api's defaults; the compute container asks
 * for the guest memory (scaled by `memoryOvercommit` when the VMI sets no memory
 * request) plus {@link kubevirtMemoryOverhead} (or the overhead alone beside
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
 * Not modelled: hook sidecars, network-binding plugin sidecars, virtiofs containers,
 * multus resource injection with `ExternalNetResourceInjection` disabled (it needs the
 * NetworkAttachmentDefinitions), kernel-boot containers and DRA claims.
 *
 * @public
 */
export function launcherPodResources(
  input: LauncherPodInput,
  cluster: LauncherPodCluster = {},
): LauncherPodResources {
  const settings = resolveKubeVirtSettings(cluster.kubevirt);
  const applied = applyInstancetype(
    input.vmi,
    input.instancetype,
    input.preference,
  );
  const vmi = defaultVirtualMachineInstance(applied, settings);
  const spec = vmi.spec;
  const domain = spec.domain;
  const devices = domain.devices ?? {};
  const namespace = vmi.metadata?.namespace ?? 'default';
  const quotas = cluster.namespaceQuotas ?? [];
  const annotations = vmi.metadata?.annotations ?? {};
  const vmiResources = domain.resources ?? {};

  if ((devices.filesystems?.length ?? 0) > 0) {
    throw new Error(
      'virtiofs filesystems are not modelled by launcherPodResources',
    );
  }

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
  if (!hasLimitsKey('memory') && quotaHasLimit(quotas, namespace, 'memory')) {
    const ratio = memoryLimitsRatio(cluster.namespaceLabels);
    const request = vmRequests.memory ?? Quantity.ZERO;
    renderer.calculatedLimits.memory = Quantity.fromUnits(
      BigInt(Math.trunc(Number(request.value()) * ratio)),
      request.format,
    );
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
  if (!imageVolume) {
    for (const volume of containerDiskVolumes) {
      containers.push({
        name: `volume${volume.name}`,
        kind: 'container',
        ...diskContainer(),
      });
    }
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
  if (!imageVolume && containerDiskVolumes.length > 0) {
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
  } else if (imageVolume) {
    for (const volume of containerDiskVolumes) {
      containers.push({
        name: `volume${volume.name}`,
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
  };
}
