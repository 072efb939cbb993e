import { Quantity } from '../kube/Quantity';
import type { VirtualMachineInstanceLike } from '../kube/kubevirtObjects';
import { goParseFloat } from './goParseFloat';
import type { ResolvedKubeVirtSettings } from './kubevirtSettings';

const MI = 1024n * 1024n;
const mebibytes = (n: number) => Quantity.fromUnits(BigInt(n) * MI, 'BinarySI');

/**
 * vCPUs of a CPU topology, as KubeVirt's `hardware.GetNumberOfVCPUs`: the product of
 * the cores, sockets and threads that are set.
 */
export function vcpusOfTopology(cpu: {
  cores?: number;
  sockets?: number;
  threads?: number;
}): number {
  let vcpus = cpu.cores ?? 0;
  for (const factor of [cpu.sockets ?? 0, cpu.threads ?? 0]) {
    if (factor !== 0) vcpus = vcpus === 0 ? factor : vcpus * factor;
  }
  return vcpus;
}

/** Whether the VMI wants dedicated CPUs. */
export function isCpuDedicated(vmi: VirtualMachineInstanceLike): boolean {
  return vmi.spec.domain.cpu?.dedicatedCpuPlacement === true;
}

/**
 * KubeVirt's `WantsToHaveQOSGuaranteed`: cpu and memory requests equal their limits
 * (a memory limit alone counts, as Kubernetes would copy it to the request).
 */
export function wantsGuaranteedQos(vmi: VirtualMachineInstanceLike): boolean {
  const resources = vmi.spec.domain.resources ?? {};
  const q = (text?: string) =>
    text === undefined ? Quantity.ZERO : Quantity.parse(text);
  const requestMemory = q(resources.requests?.memory);
  const limitMemory = q(resources.limits?.memory);
  const requestCpu = q(resources.requests?.cpu);
  const limitCpu = q(resources.limits?.cpu);
  const memoryWantsIt =
    (requestMemory.isZero() && !limitMemory.isZero()) ||
    (!requestMemory.isZero() && requestMemory.equals(limitMemory));
  const cpuWantsIt = !requestCpu.isZero() && requestCpu.equals(limitCpu);
  return memoryWantsIt && cpuWantsIt;
}

/** ceil(bytes / 1000): Kubernetes' `ScaledValue(resource.Kilo)`. */
function kilo(quantity: Quantity): bigint {
  const bytes = quantity.value();
  return bytes >= 0n ? (bytes + 999n) / 1000n : bytes / 1000n;
}

/**
 * The memory KubeVirt v1.9.0 adds to a VMI's guest memory for its virt-launcher pod
 * (`KvmHypervisorBackend.GetMemoryOverhead` plus the network binding overhead of
 * `services.CalculateMemoryOverhead`): page tables (1/512 of the VMI's memory
 * request, when it has one), 220Mi for virt-launcher-monitor, virt-launcher,
 * virtlogd, virtqemud and QEMU, 8Mi per vCPU, 8Mi for the IOThread, 32Mi of video
 * RAM unless `autoattachGraphicsDevice` is false, 128Mi on arm64, 1Gi with VFIO
 * devices, 1Mi with downward metrics, 10Mi per exec probe plus 100Mi, 256Mi for SEV,
 * 53Mi for a TPM, 100Mi with dedicated CPUs or guaranteed QoS, the
 * `reservedOverhead.addedOverhead`; all times `additionalGuestMemoryOverheadRatio`;
 * then 250Mi for passt and the binding plugins' memory overhead.
 *
 * `vmi` must carry virt-api's defaults (see `defaultVirtualMachineInstance`).
 */
export function kubevirtMemoryOverhead(
  vmi: VirtualMachineInstanceLike,
  settings: ResolvedKubeVirtSettings,
): Quantity {
  const spec = vmi.spec;
  const domain = spec.domain;
  const devices = domain.devices ?? {};
  const requestText = domain.resources?.requests?.memory;
  const request =
    requestText === undefined ? Quantity.ZERO : Quantity.parse(requestText);

  // Page tables: NewScaledQuantity(ScaledValue(Kilo), Kilo).Value() / 512.
  let overhead = Quantity.fromUnits((kilo(request) * 1000n) / 512n);
  overhead = overhead
    .add(mebibytes(25)) // virt-launcher-monitor
    .add(mebibytes(100)) // virt-launcher
    .add(mebibytes(25)) // virtlogd
    .add(mebibytes(40)) // virtqemud
    .add(mebibytes(30)); // qemu

  let vcpus = 0;
  if (domain.cpu) {
    vcpus = vcpusOfTopology(domain.cpu);
  } else {
    const resources = domain.resources ?? {};
    const from = resources.limits?.cpu ?? resources.requests?.cpu;
    if (from !== undefined) vcpus = Number(Quantity.parse(from).value());
  }
  if (vcpus < 1) vcpus = 1;
  overhead = overhead.add(mebibytes(8).mul(vcpus));
  overhead = overhead.add(mebibytes(8)); // IOThread
  if (devices.autoattachGraphicsDevice !== false)
    overhead = overhead.add(mebibytes(32));

  const arch = spec.architecture || settings.defaultArchitecture;
  if (arch === 'arm64') overhead = overhead.add(mebibytes(128));

  const hasVfio =
    (devices.hostDevices?.length ?? 0) > 0 ||
    (devices.gpus?.length ?? 0) > 0 ||
    (devices.interfaces ?? []).some(
      i => i.sriov !== undefined && i.sriov !== null,
    );
  if (hasVfio) overhead = overhead.add(mebibytes(1024));

  if (
    (spec.volumes ?? []).some(
      v => v.downwardMetrics !== undefined && v.downwardMetrics !== null,
    )
  ) {
    overhead = overhead.add(mebibytes(1));
  }

  const liveness = !!spec.livenessProbe?.exec;
  const readiness = !!spec.readinessProbe?.exec;
  if (liveness) overhead = overhead.add(mebibytes(10));
  if (readiness) overhead = overhead.add(mebibytes(10));
  if (liveness || readiness) overhead = overhead.add(mebibytes(100));

  const launchSecurity = domain.launchSecurity;
  if (launchSecurity && (launchSecurity.sev || launchSecurity.snp)) {
    overhead = overhead.add(mebibytes(256));
  }

  if (devices.tpm && devices.tpm.enabled !== false)
    overhead = overhead.add(mebibytes(53));

  if (isCpuDedicated(vmi) || wantsGuaranteedQos(vmi))
    overhead = overhead.add(mebibytes(100));

  const added = domain.memory?.reservedOverhead?.addedOverhead;
  if (added !== undefined) overhead = overhead.add(Quantity.parse(added));

  const ratioText = settings.additionalGuestMemoryOverheadRatio;
  if (ratioText) {
    const ratio = goParseFloat(ratioText);
    if (ratio !== undefined) {
      // MultiplyMemory: int64(float64(ScaledValue(Kilo)) * (ratio - 1)) kilobytes more.
      const addition = Number(kilo(overhead)) * (ratio - 1.0);
      if (Number.isFinite(addition)) {
        overhead = overhead.add(
          Quantity.fromUnits(BigInt(Math.trunc(addition)) * 1000n),
        );
      }
    }
  }

  // Network bindings (netresources.MemoryCalculator).
  const interfaces = devices.interfaces ?? [];
  if (
    interfaces.some(
      i => i.passtBinding !== undefined && i.passtBinding !== null,
    )
  ) {
    overhead = overhead.add(mebibytes(250));
  }
  const plugins = settings.config.network?.binding ?? {};
  const seen = new Set<string>();
  for (const iface of interfaces) {
    const name = iface.binding?.name;
    if (
      !name ||
      seen.has(name) ||
      !Object.prototype.hasOwnProperty.call(plugins, name)
    ) {
      continue;
    }
    seen.add(name);
    const memory = plugins[name]?.computeResourceOverhead?.requests?.memory;
    if (memory !== undefined) overhead = overhead.add(Quantity.parse(memory));
  }
  return overhead;
}
