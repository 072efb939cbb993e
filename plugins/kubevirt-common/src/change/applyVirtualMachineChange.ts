import type { VirtualMachine } from '../kube/kubevirtObjects';
import { dataVolumeName } from '../render/buildVirtualMachineObjects';
import type { VirtualMachineChange } from './virtualMachineChangeSchema';

/**
 * A change that cannot be made to this VM, naming the form field and the fix.
 *
 * @public
 */
export class VirtualMachineChangeError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'VirtualMachineChangeError';
  }
}

type Json = Record<string, unknown>;

function object(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Json)
    : {};
}

function array(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}

/** The VM's vCPU count as its template says it (sockets × cores × threads). */
export function templateVcpus(vm: VirtualMachine): number | undefined {
  const cpu = vm.spec.template?.spec?.domain?.cpu;
  if (!cpu) return undefined;
  return (cpu.sockets ?? 1) * (cpu.cores ?? 1) * (cpu.threads ?? 1);
}

function resize(
  vm: VirtualMachine,
  change: Extract<VirtualMachineChange, { kind: 'resize' }>,
): void {
  const spec = vm.spec;
  if (spec.instancetype) {
    if (change.instancetype === undefined) {
      throw new VirtualMachineChangeError(
        'instancetype',
        `VM ${vm.metadata.name} is sized by instancetype ${spec.instancetype.name}; choose another instancetype`,
      );
    }
    if (change.cpu !== undefined || change.memory !== undefined) {
      throw new VirtualMachineChangeError(
        'cpu',
        `VM ${vm.metadata.name} is sized by an instancetype; give only the instancetype, not cpu or memory`,
      );
    }
    if (change.instancetype === spec.instancetype.name) {
      throw new VirtualMachineChangeError(
        'instancetype',
        `VM ${vm.metadata.name} already has instancetype ${change.instancetype}; choose another size`,
      );
    }
    // KubeVirt records the instancetype it applied in a ControllerRevision; a new
    // name without a revision makes it take the new instancetype's spec.
    spec.instancetype = {
      ...(spec.instancetype.kind && { kind: spec.instancetype.kind }),
      name: change.instancetype,
    };
    return;
  }
  if (change.instancetype !== undefined) {
    throw new VirtualMachineChangeError(
      'instancetype',
      `VM ${vm.metadata.name} has no instancetype (its CPU and memory are in its template); give cpu and memory instead`,
    );
  }
  if (change.cpu === undefined && change.memory === undefined) {
    throw new VirtualMachineChangeError(
      'cpu',
      'give the new number of vCPUs, the new memory, or both',
    );
  }
  const template = spec.template;
  if (!template?.spec?.domain) {
    throw new VirtualMachineChangeError(
      'cpu',
      `VM ${vm.metadata.name} has no template to resize`,
    );
  }
  const domain = template.spec.domain;
  if (change.cpu !== undefined) {
    const cpu = { ...(domain.cpu ?? {}) };
    const cores = cpu.cores ?? 1;
    const threads = cpu.threads ?? 1;
    // Sockets are what KubeVirt hot-plugs: change them where the VM counts in
    // sockets; a VM that counts in cores keeps counting in cores.
    if ((cpu.sockets ?? 1) > 1 || (cores === 1 && threads === 1)) {
      if (change.cpu % (cores * threads) !== 0) {
        throw new VirtualMachineChangeError(
          'cpu',
          `VM ${
            vm.metadata.name
          } has ${cores} core(s) × ${threads} thread(s) per socket; give a multiple of ${
            cores * threads
          } vCPUs`,
        );
      }
      cpu.sockets = change.cpu / (cores * threads);
    } else {
      const sockets = cpu.sockets ?? 1;
      if (change.cpu % (sockets * threads) !== 0) {
        throw new VirtualMachineChangeError(
          'cpu',
          `VM ${
            vm.metadata.name
          } has ${sockets} socket(s) × ${threads} thread(s); give a multiple of ${
            sockets * threads
          } vCPUs`,
        );
      }
      cpu.cores = change.cpu / (sockets * threads);
    }
    domain.cpu = cpu;
  }
  if (change.memory !== undefined) {
    if (domain.memory?.guest || !domain.resources?.requests?.memory) {
      domain.memory = { ...(domain.memory ?? {}), guest: change.memory };
    } else {
      domain.resources = {
        ...domain.resources,
        requests: { ...domain.resources.requests, memory: change.memory },
      };
    }
  }
}

function addDisk(
  vm: VirtualMachine,
  change: Extract<VirtualMachineChange, { kind: 'add-disk' }>,
): void {
  const spec = vm.spec;
  const templateSpec = spec.template?.spec as Json | undefined;
  if (!templateSpec) {
    throw new VirtualMachineChangeError(
      'name',
      `VM ${vm.metadata.name} has no template to add a disk to`,
    );
  }
  const domain = object(templateSpec.domain);
  const devices = object(domain.devices);
  const disks = array(devices.disks);
  const volumes = array(templateSpec.volumes);
  if (
    disks.some(d => d.name === change.name) ||
    volumes.some(v => v.name === change.name)
  ) {
    throw new VirtualMachineChangeError(
      'name',
      `VM ${vm.metadata.name} already has a disk named ${change.name}; choose another name`,
    );
  }
  const dvName = dataVolumeName(vm.metadata.name, change.name);
  const templates = spec.dataVolumeTemplates ?? [];
  if (templates.some(t => t.metadata?.name === dvName)) {
    throw new VirtualMachineChangeError(
      'name',
      `VM ${vm.metadata.name} already has a DataVolume ${dvName}; choose another disk name`,
    );
  }
  const labels = object(
    object(templates[0]?.metadata as unknown).labels,
  ) as Record<string, string>;
  spec.dataVolumeTemplates = [
    ...templates,
    {
      metadata: {
        name: dvName,
        ...(Object.keys(labels).length > 0 && { labels: { ...labels } }),
      },
      spec: {
        source: { blank: {} },
        storage: {
          resources: { requests: { storage: change.size } },
          ...(change.storageClass && { storageClassName: change.storageClass }),
        },
      },
    },
  ];
  // Hot-pluggable, on the SCSI bus: KubeVirt attaches such a volume to the running
  // VM (declarative hot-plug); any other new volume waits for a restart.
  devices.disks = [...disks, { name: change.name, disk: { bus: 'scsi' } }];
  domain.devices = devices;
  templateSpec.domain = domain;
  templateSpec.volumes = [
    ...volumes,
    { name: change.name, dataVolume: { name: dvName, hotpluggable: true } },
  ];
}

/**
 * The VM's manifest with `change` made to it: a deep copy, the input untouched.
 * `decommission` and `adopt` change no field (they remove or add the whole file) and
 * return the copy as it is. Throws {@link VirtualMachineChangeError} for a change
 * that cannot be made to this VM (another kind of size, a disk name in use, the
 * same size again).
 *
 * @public
 */
export function applyVirtualMachineChange<T extends VirtualMachine>(
  manifest: T,
  change: VirtualMachineChange,
): T {
  const vm = structuredClone(manifest);
  switch (change.kind) {
    case 'resize':
      resize(vm, change);
      break;
    case 'add-disk':
      addDisk(vm, change);
      break;
    case 'run-strategy': {
      const current =
        vm.spec.runStrategy ??
        (vm.spec.running === true ? 'Always' : undefined) ??
        (vm.spec.running === false ? 'Halted' : undefined);
      if (current === change.runStrategy) {
        throw new VirtualMachineChangeError(
          'runStrategy',
          `VM ${vm.metadata.name} already runs with strategy ${current}; choose another`,
        );
      }
      // KubeVirt refuses a VM with both `running` and `runStrategy`.
      delete vm.spec.running;
      vm.spec.runStrategy = change.runStrategy;
      break;
    }
    case 'decommission':
    case 'adopt':
      break;
    default:
      throw new VirtualMachineChangeError(
        'kind',
        `unknown change ${(change as { kind: string }).kind}`,
      );
  }
  return vm;
}
