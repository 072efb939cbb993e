import { Quantity } from '../kube/Quantity';
import type { VirtualMachineInstanceLike } from '../kube/kubevirtObjects';
import type { ResolvedKubeVirtSettings } from './kubevirtSettings';

/*
 * virt-api's defaulting of a new VMI (KubeVirt v1.9.0 pkg/defaults
 * SetDefaultVirtualMachineInstance and the network defaults), reduced to what decides
 * the launcher pod's resources.
 */

function quantityOf(text: string | undefined): Quantity {
  return text === undefined ? Quantity.ZERO : Quantity.parse(text);
}

/**
 * Returns a defaulted copy of `vmi`. Where KubeVirt refuses to default (the VM
 * controller's `SetDefaultNetworkInterface` errors), its words are added to `refusals`.
 */
export function defaultVirtualMachineInstance(
  vmi: VirtualMachineInstanceLike,
  settings: ResolvedKubeVirtSettings,
  refusals: string[] = [],
): VirtualMachineInstanceLike {
  const result = structuredClone(vmi);
  const spec = result.spec;
  spec.domain ??= {};
  const domain = spec.domain;

  if (!spec.architecture) spec.architecture = settings.defaultArchitecture;

  // setDefaultResourceRequests
  const resources = (domain.resources ??= {});
  const limits = resources.limits ?? {};
  if (
    !quantityOf(limits.cpu).isZero() &&
    quantityOf(resources.requests?.cpu).isZero()
  ) {
    resources.requests = { ...resources.requests, cpu: limits.cpu! };
  }
  if (!settings.cpuRequestIsDefault && resources.requests?.cpu === undefined) {
    if (!domain.cpu?.dedicatedCpuPlacement) {
      resources.requests = {
        ...resources.requests,
        cpu: settings.cpuRequest.toString(),
      };
    }
  }

  // setGuestMemory
  const memory = (domain.memory ??= {});
  if (memory.guest === undefined) {
    const requestMemory = quantityOf(resources.requests?.memory);
    const limitMemory = quantityOf(resources.limits?.memory);
    if (!requestMemory.isZero()) memory.guest = resources.requests!.memory;
    else if (!limitMemory.isZero()) memory.guest = resources.limits!.memory;
    else if (memory.hugepages && Quantity.tryParse(memory.hugepages.pageSize)) {
      memory.guest = memory.hugepages.pageSize;
    }
  }

  // SetDefaultGuestCPUTopology
  const cpu = domain.cpu;
  if (!cpu || (!cpu.cores && !cpu.sockets && !cpu.threads)) {
    let sockets = 1;
    if (resources.limits?.cpu !== undefined) {
      sockets = Number(quantityOf(resources.limits.cpu).value());
    } else if (resources.requests?.cpu !== undefined) {
      sockets = Number(quantityOf(resources.requests.cpu).value());
    }
    domain.cpu = { ...cpu, sockets, cores: 1, threads: 1 };
  }

  setDefaultNetworkInterface(spec, settings, refusals);
  return result;
}

/**
 * KubeVirt's `SetDefaultNetworkInterface`, in place: the cluster's default interface on
 * the pod network when the VMI names no interface or network. Where KubeVirt refuses,
 * its words are added to `refusals`.
 */
export function setDefaultNetworkInterface(
  spec: VirtualMachineInstanceLike['spec'],
  settings: ResolvedKubeVirtSettings,
  refusals: string[],
): void {
  spec.domain ??= {};
  const devices = (spec.domain.devices ??= {});
  if (devices.autoattachPodInterface !== false) {
    if (!spec.networks?.length && !devices.interfaces?.length) {
      let refused: string | undefined;
      switch (settings.defaultNetworkInterface) {
        case 'bridge':
          if (!settings.permitBridgeInterfaceOnPodNetwork) {
            refused = 'bridge interface is not enabled in kubevirt-config';
          } else devices.interfaces = [{ name: 'default', bridge: {} }];
          break;
        case 'masquerade':
          devices.interfaces = [{ name: 'default', masquerade: {} }];
          break;
        case 'slirp':
          refused = 'slirp interface is deprecated as of v1.3';
          break;
        default:
          // KubeVirt adds the pod network with no interface (virt-operator refuses the setting).
          break;
      }
      if (refused) refusals.push(refused);
      else spec.networks = [{ name: 'default', pod: {} }];
    }
  }
}
