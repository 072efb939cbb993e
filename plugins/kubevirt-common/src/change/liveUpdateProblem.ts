import type {
  KubeVirtConfigurationLike,
  VirtualMachine,
} from '../kube/kubevirtObjects';
import { Quantity } from '../kube/Quantity';
import type { SizeCatalog } from '../sizes/SizeCatalog';
import { effectiveDomain } from './effectiveDomain';

/** KubeVirt's default `liveUpdateConfiguration.maxHotplugRatio`. */
const DEFAULT_MAX_HOTPLUG_RATIO = 4;

interface LiveUpdateConfiguration {
  vmRolloutStrategy?: string;
  liveUpdateConfiguration?: {
    maxHotplugRatio?: number;
    maxCpuSockets?: number;
    maxGuest?: string;
  };
}

/**
 * Why KubeVirt v1.9 cannot resize the running VM `before` to `after` live (so it
 * sets `RestartRequired`), or undefined when it can: with the `LiveUpdate` rollout
 * strategy (the default), only more CPU sockets (up to the VMI's `maxSockets`:
 * the instancetype's, or the cluster's `maxCpuSockets`, or sockets × `maxHotplugRatio`)
 * and more guest memory (up to `maxGuest`, the same way) are hot-plugged; cores,
 * threads, less memory and every other field need a restart.
 *
 * @public
 */
export function liveUpdateProblem(
  before: VirtualMachine,
  after: VirtualMachine,
  sizes: SizeCatalog,
  kubevirt?: KubeVirtConfigurationLike,
): string | undefined {
  const config = (kubevirt ?? {}) as LiveUpdateConfiguration;
  if (config.vmRolloutStrategy && config.vmRolloutStrategy !== 'LiveUpdate') {
    return `the cluster's KubeVirt applies changes at restart (vmRolloutStrategy ${config.vmRolloutStrategy})`;
  }
  const old = effectiveDomain(before, sizes);
  const next = effectiveDomain(after, sizes);
  if (!old || !next) return 'its size cannot be read';
  const ratio =
    config.liveUpdateConfiguration?.maxHotplugRatio ??
    DEFAULT_MAX_HOTPLUG_RATIO;
  const oldCpu = old.cpu ?? {};
  const newCpu = next.cpu ?? {};
  if ((oldCpu.cores ?? 1) !== (newCpu.cores ?? 1)) {
    return 'the number of cores per socket changes; only sockets are hot-plugged';
  }
  if ((oldCpu.threads ?? 1) !== (newCpu.threads ?? 1)) {
    return 'the number of threads per core changes';
  }
  const oldSockets = oldCpu.sockets ?? 1;
  const newSockets = newCpu.sockets ?? 1;
  const maxSockets =
    oldCpu.maxSockets ??
    config.liveUpdateConfiguration?.maxCpuSockets ??
    oldSockets * ratio;
  if (newSockets > maxSockets) {
    return `${newSockets} sockets is more than the ${maxSockets} the running VM can take`;
  }
  if (
    Boolean(oldCpu.dedicatedCpuPlacement) !==
    Boolean(newCpu.dedicatedCpuPlacement)
  ) {
    return 'dedicated CPU placement changes';
  }
  const oldGuest = Quantity.tryParse(String(old.memory?.guest ?? ''));
  const newGuest = Quantity.tryParse(String(next.memory?.guest ?? ''));
  if (oldGuest && newGuest && !oldGuest.equals(newGuest)) {
    if (newGuest.cmp(oldGuest) < 0) {
      return 'memory shrinks, and KubeVirt does not unplug memory';
    }
    const maxText =
      old.memory?.maxGuest ?? config.liveUpdateConfiguration?.maxGuest;
    const maxGuest = maxText
      ? Quantity.tryParse(String(maxText))
      : oldGuest.mul(ratio);
    if (maxGuest && newGuest.cmp(maxGuest) > 0) {
      return `${newGuest.toString()} of memory is more than the ${maxGuest.toString()} the running VM can take`;
    }
    if (old.memory?.hugepages || next.memory?.hugepages) {
      return 'hugepages-backed memory is not hot-plugged';
    }
  }
  return undefined;
}
