import { Quantity } from '../kube/Quantity';
import type {
  InstancetypeSpecLike,
  PreferenceSpecLike,
  VirtualMachineInstanceLike,
} from '../kube/kubevirtObjects';

/*
 * KubeVirt v1.9.0's pkg/instancetype/apply (ApplyToVMI) and
 * pkg/instancetype/preference/apply, reduced to what changes the launcher pod's
 * resources. The VM controller runs this when it creates the VMI from a VM.
 */

type Spec = VirtualMachineInstanceLike['spec'];

/**
 * Thrown when an instancetype sets something the VM sets too (KubeVirt refuses such a VM).
 *
 * @public
 */
export class InstancetypeConflictError extends Error {
  constructor(readonly conflicts: string[]) {
    super(
      `the instancetype conflicts with the VM on ${conflicts.join(
        ', ',
      )}; remove these fields from the VM or choose a custom size`,
    );
    this.name = 'InstancetypeConflictError';
  }
}

function preferredTopology(preference?: PreferenceSpecLike): string {
  return preference?.cpu?.preferredCPUTopology ?? 'sockets';
}

function spreadOptions(preference: PreferenceSpecLike | undefined): {
  ratio: number;
  across: string;
} {
  let ratio = preference?.preferSpreadSocketToCoreRatio || 2;
  let across = 'SocketsCores';
  const options = preference?.cpu?.spreadOptions;
  if (options?.across) across = options.across;
  if (options?.ratio !== undefined) ratio = options.ratio;
  return { ratio, across };
}

const udiv = (a: number, b: number) => (b === 0 ? 0 : Math.floor(a / b));

function applyGuestCPUTopology(
  vCPUs: number,
  preference: PreferenceSpecLike | undefined,
  cpu: NonNullable<Spec['domain']['cpu']>,
) {
  cpu.cores = 1;
  cpu.sockets = 1;
  cpu.threads = 1;
  if (vCPUs === 1) return;
  switch (preferredTopology(preference)) {
    case 'preferCores':
    case 'cores':
      cpu.cores = vCPUs;
      break;
    case 'preferSockets':
    case 'preferAny':
    case 'sockets':
    case 'any':
      cpu.sockets = vCPUs;
      break;
    case 'preferThreads':
    case 'threads':
      cpu.threads = vCPUs;
      break;
    case 'preferSpread':
    case 'spread': {
      const { ratio, across } = spreadOptions(preference);
      if (across === 'SocketsCores') {
        cpu.cores = ratio;
        cpu.sockets = udiv(vCPUs, ratio);
      } else if (across === 'CoresThreads') {
        cpu.threads = ratio;
        cpu.cores = udiv(vCPUs, ratio);
      } else if (across === 'SocketsCoresThreads') {
        cpu.threads = 2;
        cpu.cores = ratio;
        cpu.sockets = udiv(udiv(vCPUs, 2), ratio);
      }
      break;
    }
    default:
      // An unknown topology leaves 1/1/1, as KubeVirt's switch does.
      break;
  }
}

function applyInstancetypeToSpec(
  instancetype: InstancetypeSpecLike,
  preference: PreferenceSpecLike | undefined,
  spec: Spec,
  annotations: Record<string, string>,
): string[] {
  const conflicts: string[] = [];
  const domain = spec.domain;
  const cpu = (domain.cpu ??= {});
  const resources = domain.resources ?? {};
  const requests = resources.requests ?? {};
  const limits = resources.limits ?? {};

  const cpuConflicts: string[] = [];
  if (requests.cpu !== undefined)
    cpuConflicts.push('spec.domain.resources.requests.cpu');
  if (limits.cpu !== undefined)
    cpuConflicts.push('spec.domain.resources.limits.cpu');
  if (cpu.sockets) cpuConflicts.push('spec.domain.cpu.sockets');
  if (cpu.cores) cpuConflicts.push('spec.domain.cpu.cores');
  if (cpu.threads) cpuConflicts.push('spec.domain.cpu.threads');
  const it = instancetype.cpu;
  if (cpu.model && it.model !== undefined)
    cpuConflicts.push('spec.domain.cpu.model');
  if (cpu.dedicatedCpuPlacement && it.dedicatedCPUPlacement !== undefined) {
    cpuConflicts.push('spec.domain.cpu.dedicatedCpuPlacement');
  }
  if (cpu.isolateEmulatorThread && it.isolateEmulatorThread !== undefined) {
    cpuConflicts.push('spec.domain.cpu.isolateEmulatorThread');
  }
  if (cpu.numa && it.numa) cpuConflicts.push('spec.domain.cpu.numa');
  if (cpu.realtime && it.realtime)
    cpuConflicts.push('spec.domain.cpu.realtime');
  if (cpuConflicts.length === 0) {
    if (it.model !== undefined) cpu.model = it.model;
    if (it.dedicatedCPUPlacement !== undefined) {
      cpu.dedicatedCpuPlacement = it.dedicatedCPUPlacement;
    }
    if (it.isolateEmulatorThread !== undefined) {
      cpu.isolateEmulatorThread = it.isolateEmulatorThread;
    }
    if (it.numa) cpu.numa = structuredClone(it.numa);
    if (it.realtime) cpu.realtime = structuredClone(it.realtime);
    if (it.maxSockets !== undefined) cpu.maxSockets = it.maxSockets;
    applyGuestCPUTopology(it.guest, preference, cpu);
  }
  conflicts.push(...cpuConflicts);

  const memory = (domain.memory ??= {});
  let memoryConflict: string | undefined;
  if (memory.guest !== undefined) memoryConflict = 'spec.domain.memory.guest';
  else if (memory.hugepages && instancetype.memory.hugepages) {
    memoryConflict = 'spec.domain.memory.hugepages';
  } else if (memory.maxGuest && instancetype.memory.maxGuest) {
    memoryConflict = 'spec.domain.memory.maxGuest';
  } else if (requests.memory !== undefined) {
    memoryConflict = 'spec.domain.resources.requests.memory';
  } else if (limits.memory !== undefined) {
    memoryConflict = 'spec.domain.resources.limits.memory';
  }
  if (memoryConflict) {
    conflicts.push(memoryConflict);
  } else {
    memory.guest = instancetype.memory.guest;
    const overcommit = instancetype.memory.overcommitPercent ?? 0;
    if (overcommit > 0) {
      // int64(float32(guest) * (1 - float32(percent)/100)), in float32 as KubeVirt does.
      const guest = Quantity.parse(instancetype.memory.guest);
      const factor = Math.fround(
        1 - Math.fround(Math.fround(overcommit) / 100),
      );
      const product = Math.fround(Math.fround(Number(guest.value())) * factor);
      domain.resources = {
        ...resources,
        requests: {
          ...requests,
          memory: Quantity.fromUnits(
            BigInt(Math.trunc(product)),
            guest.format,
          ).toString(),
        },
      };
    }
    if (instancetype.memory.hugepages) {
      memory.hugepages = { ...instancetype.memory.hugepages };
    }
    if (instancetype.memory.maxGuest)
      memory.maxGuest = instancetype.memory.maxGuest;
  }

  if (instancetype.ioThreads?.supplementalPoolThreadCount !== undefined) {
    if (domain.ioThreads?.supplementalPoolThreadCount !== undefined) {
      conflicts.push('spec.domain.ioThreads.supplementalPoolThreadCount');
    } else {
      domain.ioThreads = {
        ...domain.ioThreads,
        supplementalPoolThreadCount:
          instancetype.ioThreads.supplementalPoolThreadCount,
      };
    }
  }
  if (instancetype.ioThreadsPolicy !== undefined) {
    if (domain.ioThreadsPolicy !== undefined)
      conflicts.push('spec.domain.ioThreadsPolicy');
    else domain.ioThreadsPolicy = instancetype.ioThreadsPolicy;
  }
  if (instancetype.launchSecurity) {
    if (domain.launchSecurity) conflicts.push('spec.domain.launchSecurity');
    else domain.launchSecurity = structuredClone(instancetype.launchSecurity);
  }
  const devices = (domain.devices ??= {});
  if (instancetype.gpus?.length) {
    if (devices.gpus?.length) conflicts.push('spec.domain.devices.gpus');
    else devices.gpus = structuredClone(instancetype.gpus);
  }
  if (instancetype.hostDevices?.length) {
    if (devices.hostDevices?.length)
      conflicts.push('spec.domain.devices.hostDevices');
    else devices.hostDevices = structuredClone(instancetype.hostDevices);
  }
  for (const [key, value] of Object.entries(instancetype.annotations ?? {})) {
    if (Object.prototype.hasOwnProperty.call(annotations, key)) {
      if (annotations[key] !== value) conflicts.push(`annotations.${key}`);
    } else {
      annotations[key] = value;
    }
  }
  return conflicts;
}

function applyPreferenceToSpec(preference: PreferenceSpecLike, spec: Spec) {
  const devices = (spec.domain.devices ??= {});
  const prefs = preference.devices;
  if (prefs) {
    if (prefs.preferredTPM && devices.tpm === undefined) {
      devices.tpm = { ...prefs.preferredTPM };
    }
    const autoattach: Array<[keyof typeof prefs, keyof typeof devices]> = [
      ['preferredAutoattachGraphicsDevice', 'autoattachGraphicsDevice'],
      ['preferredAutoattachMemBalloon', 'autoattachMemBalloon'],
      ['preferredAutoattachPodInterface', 'autoattachPodInterface'],
      ['preferredAutoattachSerialConsole', 'autoattachSerialConsole'],
      ['preferredAutoattachInputDevice', 'autoattachInputDevice'],
    ];
    for (const [from, to] of autoattach) {
      if (prefs[from] !== undefined && devices[to] === undefined) {
        (devices as Record<string, unknown>)[to] = prefs[from];
      }
    }
    for (const iface of devices.interfaces ?? []) {
      if (prefs.preferredInterfaceModel && !iface.model) {
        iface.model = prefs.preferredInterfaceModel;
      }
    }
  }
  const firmware = preference.firmware;
  if (firmware) {
    const fw = ((spec.domain.firmware as Spec['domain']['firmware']) ??= {});
    const bootloader = (fw.bootloader ??= {});
    if (firmware.preferredUseBios && !bootloader.bios && !bootloader.efi) {
      bootloader.bios = {};
    }
    if (!bootloader.efi && !bootloader.bios && firmware.preferredEfi) {
      bootloader.efi = { ...firmware.preferredEfi };
    }
  }
  if (preference.preferredArchitecture && !spec.architecture) {
    spec.architecture = preference.preferredArchitecture;
  }
  // applyLaunchSecurityPreferences (SEV adds memory overhead and a device).
  if (preference.preferredLaunchSecurity && !spec.domain.launchSecurity) {
    spec.domain.launchSecurity = structuredClone(
      preference.preferredLaunchSecurity,
    );
  }
}

/**
 * The VMI the VM controller would create: `vmi` with the instancetype and preference
 * applied as KubeVirt v1.9.0 does (CPU topology from the instancetype's guest vCPUs
 * and the preferred topology, guest memory, o1-style memory overcommit as a float32
 * request, hugepages, dedicated CPUs, IO threads; the preference's TPM, autoattach
 * devices, interface model, firmware, architecture and launch security). Throws an
 * {@link InstancetypeConflictError} when both set the same field.
 */
export function applyInstancetype(
  vmi: VirtualMachineInstanceLike,
  instancetype?: InstancetypeSpecLike,
  preference?: PreferenceSpecLike,
): VirtualMachineInstanceLike {
  const result = structuredClone(vmi);
  if (!instancetype && !preference) return result;
  const metadata = (result.metadata ??= {});
  const annotations = { ...(metadata.annotations ?? {}) };
  if (instancetype) {
    const conflicts = applyInstancetypeToSpec(
      instancetype,
      preference,
      result.spec,
      annotations,
    );
    if (conflicts.length > 0) throw new InstancetypeConflictError(conflicts);
  }
  if (preference) applyPreferenceToSpec(preference, result.spec);
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  return result;
}
