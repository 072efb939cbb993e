import type { VirtualMachine } from '../kube/kubevirtObjects';
import { Quantity } from '../kube/Quantity';
import { formatQuantityForHumans } from '../quota/formatQuantityForHumans';
import type { SizeCatalog } from '../sizes/SizeCatalog';
import { effectiveDomain } from './effectiveDomain';

/**
 * A VM's size as a person reads it: `u1.medium (1 vCPU, 4 GiB)` for a VM with an
 * instancetype, `2 vCPU, 4 GiB` for one without.
 *
 * @public
 */
export function describeVirtualMachineSize(
  vm: VirtualMachine,
  sizes: SizeCatalog,
): string {
  const domain = effectiveDomain(vm, sizes);
  const cpu = domain?.cpu;
  const vcpus = cpu
    ? (cpu.sockets ?? 1) * (cpu.cores ?? 1) * (cpu.threads ?? 1)
    : undefined;
  const memoryText =
    domain?.memory?.guest ?? domain?.resources?.requests?.memory;
  const memory = memoryText ? Quantity.tryParse(String(memoryText)) : undefined;
  const figures = [
    vcpus !== undefined ? `${vcpus} vCPU` : undefined,
    memory ? formatQuantityForHumans('memory', memory) : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const instancetype = vm.spec.instancetype?.name;
  if (instancetype)
    return figures ? `${instancetype} (${figures})` : instancetype;
  return figures || 'its template size';
}
