import { createHash } from 'node:crypto';
import {
  KubevirtCondition,
  Quantity,
  VirtualMachineInstanceObject,
  VirtualMachineInstanceSpecLike,
} from '@vmportal/plugin-kubevirt-common';
import { describeError } from '../kubeClient';
import { findCondition, hasCondition } from './conditions';
import {
  applyInstancetypeAndDefaults,
  setupVmiFromVm,
} from './expandVirtualMachine';
import {
  canonicalJson,
  conflictOnPatchTestFailure,
  now,
  VIRTUAL_MACHINE_INSTANCES,
} from './resources';
import type { SimulatorContext } from './SimulatorContext';
import type { StartRevisions } from './StartRevisions';
import type { VirtualMachine } from './types';
import { isDeclarativeHotplugVolume, isHotplugVolume } from './VolumeHotplug';

type Spec = VirtualMachineInstanceSpecLike;
type Disk = NonNullable<
  NonNullable<Spec['domain']['devices']>['disks']
>[number];

/** `RestartRequired` when anything but the live-updatable fields changed (`syncRestartRequired`). */
export const NON_LIVE_UPDATABLE_CHANGE =
  'a non-live-updatable field was changed in the template spec';

/** KubeVirt's VM-controller sync error reasons of the live-update handlers. */
const HOTPLUG_CPU_ERROR = 'HotPlugCPUError';
const HOTPLUG_MEMORY_ERROR = 'HotPlugMemoryError';
const AFFINITY_CHANGE_ERROR = 'AffinityChangeError';
const TOLERATIONS_CHANGE_ERROR = 'TolerationsChangeError';

/** `liveupdate/memory`: hot-plugged memory comes in 2 MiB blocks (1 GiB with 1Gi hugepages), from 1 GiB of guest memory. */
const HOTPLUG_BLOCK_BYTES = 2n * 1024n * 1024n;
const HOTPLUG_1G_BLOCK_BYTES = 1024n * 1024n * 1024n;
const MIN_HOTPLUG_GUEST_BYTES = 1024n * 1024n * 1024n;

/** Expanded templates kept (each costs an oracle round trip to make). */
const CACHE_LIMIT = 200;

/** What {@link LiveUpdate.sync} decided for the VM. */
export interface LiveUpdateResult {
  /** The VM's `RestartRequired` condition as it is to be (null: none). */
  restartRequired: KubevirtCondition | null;
  /** A failure KubeVirt reports as the VM's `Failure` condition. */
  error?: { reason: string; message: string };
}

/**
 * What virt-controller's VM controller does with a running VM whose spec changed
 * (KubeVirt v1.9 `pkg/virt-controller/watch/vm`): `syncRestartRequired` compares
 * the spec the VMI was started from (its start revision) with the VM's, both with
 * their instancetype and preference applied, and sets `RestartRequired` for a
 * change that cannot be applied live; with the `LiveUpdate` rollout strategy (the
 * default) it then hands CPU sockets (`handleCPUChangeRequest`), guest memory
 * (`handleMemoryHotplugRequest`), node selector, affinity and tolerations to the
 * running VMI, which later moves to a new launcher pod ({@link MigrationController}).
 * Hot-pluggable volumes are added to the running VMI whatever the strategy
 * (`handleDeclarativeVolumeHotplug`).
 */
export class LiveUpdate {
  private readonly expanded = new Map<string, Promise<Spec | undefined>>();

  constructor(
    private readonly ctx: SimulatorContext,
    private readonly revisions: StartRevisions,
  ) {}

  /**
   * Decides `RestartRequired` for `vm` against the VMI it had when this round began
   * and, when `handle` (the VMI was neither just created nor just deleted), applies
   * what can be applied live to it.
   */
  async sync(
    vm: VirtualMachine,
    vmi: VirtualMachineInstanceObject,
    handle: boolean,
  ): Promise<LiveUpdateResult> {
    const config = await this.ctx.kubevirtConfiguration();
    const liveUpdate =
      (config?.vmRolloutStrategy ?? 'LiveUpdate') === 'LiveUpdate';
    const startSpec = await this.revisions.startSpec(vmi);
    const existing = findCondition(vm.status?.conditions, 'RestartRequired');
    const result: LiveUpdateResult = { restartRequired: existing ?? null };
    // KubeVirt's condition manager leaves a True condition (and its message) as it is.
    const setRestartRequired = (message: string) => {
      result.restartRequired ??=
        existing?.message === message ? existing : restartRequired(message);
    };
    // Expanding a spec costs an oracle round trip: a VM whose template, instancetype
    // and preference are those its VMI was started with has nothing to compare or
    // apply (without a start revision: whose generation the VMI reflects).
    const unchanged = startSpec
      ? canonicalJson(sizing(startSpec)) === canonicalJson(sizing(vm.spec))
      : vmi.metadata.annotations?.['kubevirt.io/vm-generation'] ===
        String(vm.metadata.generation);
    const current = unchanged ? undefined : await this.expand(vm, vm.spec);
    if (startSpec && unchanged) result.restartRequired = null;
    if (startSpec && current) {
      const last = await this.expand(vm, startSpec);
      if (last) {
        if (nonLiveChange(last, current, vm, vmi, liveUpdate))
          setRestartRequired(NON_LIVE_UPDATABLE_CHANGE);
        else result.restartRequired = null;
      }
    }
    if (!handle || vmi.metadata.deletionTimestamp) return result;

    try {
      await this.patchHotplugVolumes(vm, vmi);
    } catch (error) {
      result.error = {
        reason: 'HotPlugVolumeError',
        message: `Error encountered while handling declarative hotplug volumes: ${describeError(
          error,
        )}`,
      };
      return result;
    }
    if (!liveUpdate || result.restartRequired || !current) return result;

    const steps: Array<[string, string, () => Promise<void>]> = [
      [
        HOTPLUG_CPU_ERROR,
        'Error encountered while handling CPU change request',
        () => this.handleCpuChange(current, vmi, setRestartRequired),
      ],
      [
        AFFINITY_CHANGE_ERROR,
        'Error encountered while handling node affinity change request',
        () => this.handleAffinityChange(current, vmi),
      ],
      [
        TOLERATIONS_CHANGE_ERROR,
        'Error encountered while handling tolerations change request',
        () => this.handleTolerationsChange(current, vmi),
      ],
      [
        HOTPLUG_MEMORY_ERROR,
        'error encountered while handling memory hotplug requests',
        () => this.handleMemoryChange(current, vmi, setRestartRequired),
      ],
    ];
    for (const [reason, what, step] of steps) {
      try {
        await step();
      } catch (error) {
        result.error = { reason, message: `${what}: ${describeError(error)}` };
        return result;
      }
    }
    return result;
  }

  /**
   * The VM's template with its instancetype and preference applied and virt-api's
   * defaults added (through the oracle), as `ApplyToVM` leaves it: the hot-plug
   * maximums are left to what the VM or its instancetype say, not derived.
   */
  private expand(
    vm: VirtualMachine,
    spec: VirtualMachine['spec'],
  ): Promise<Spec | undefined> {
    const key = createHash('sha256')
      .update(`${vm.metadata.namespace}/${vm.metadata.uid}`)
      .update(canonicalJson(spec))
      .digest('hex');
    const cached = this.expanded.get(key);
    if (cached) return cached;
    const expansion = (async () => {
      const withSpec = { ...vm, spec } as VirtualMachine;
      try {
        const config = await this.ctx.kubevirtConfiguration();
        const vmi = await applyInstancetypeAndDefaults(
          this.ctx,
          withSpec,
          setupVmiFromVm(withSpec),
          // Without the LiveUpdate strategy KubeVirt's defaults derive no maxSockets/maxGuest.
          { ...config, vmRolloutStrategy: 'Stage' },
        );
        return vmi.spec;
      } catch (error) {
        this.ctx.log(
          `${vm.metadata.namespace}/${
            vm.metadata.name
          }: cannot apply the instancetype to compare with the running VMI: ${describeError(
            error,
          )}`,
        );
        this.expanded.delete(key);
        return undefined;
      }
    })();
    if (this.expanded.size >= CACHE_LIMIT) this.expanded.clear();
    this.expanded.set(key, expansion);
    return expansion;
  }

  /** `handleCPUChangeRequest`: more sockets, up to `maxSockets`, go to the running VMI. */
  private async handleCpuChange(
    want: Spec,
    vmi: VirtualMachineInstanceObject,
    setRestartRequired: (message: string) => void,
  ): Promise<void> {
    const wanted = want.domain.cpu;
    const running = vmi.spec.domain.cpu;
    if (!wanted || !running) return;
    const sockets = wanted.sockets ?? 0;
    const current = running.sockets ?? 0;
    if (sockets === current) return;
    if (hasCondition(vmi.status?.conditions, 'HotVCPUChange', 'True'))
      throw new Error('another CPU hotplug is in progress');
    if (isMigrating(vmi))
      throw new Error('CPU hotplug is not allowed while VMI is migrating');
    if (sockets > (running.maxSockets ?? 0)) {
      setRestartRequired(
        "CPU sockets updated in template spec to a value higher than what's available",
      );
      return;
    }
    if (sockets < current) {
      setRestartRequired('Reduction of CPU socket count requires a restart');
      return;
    }
    if (want.architecture === 'arm64') {
      setRestartRequired("ARM doesn't support CPU hotplug");
      return;
    }
    const patch: object[] = [
      { op: 'test', path: '/spec/domain/cpu/sockets', value: current },
      { op: 'replace', path: '/spec/domain/cpu/sockets', value: sockets },
    ];
    const config = await this.ctx.kubevirtConfiguration();
    const ratio = config?.developerConfiguration?.cpuAllocationRatio ?? 10;
    const delta = Quantity.fromMilliUnits(
      (vcpus(wanted) - vcpus(running)) * Math.trunc(1000 / ratio),
    );
    for (const kind of ['requests', 'limits'] as const) {
      const asked = want.domain.resources?.[kind]?.cpu;
      const had = vmi.spec.domain.resources?.[kind]?.cpu;
      if (!asked || Quantity.parse(String(asked)).isZero()) continue;
      const before = Quantity.parse(String(had ?? '0'));
      patch.push(
        {
          op: 'test',
          path: `/spec/domain/resources/${kind}/cpu`,
          value: before.toString(),
        },
        {
          op: 'replace',
          path: `/spec/domain/resources/${kind}/cpu`,
          value: before.add(delta).toString(),
        },
      );
    }
    await this.patchVmi(vmi, patch);
    this.ctx.log(
      `${vmi.metadata.namespace}/${vmi.metadata.name}: hotplugging cpu to ${sockets} sockets`,
    );
  }

  /** `handleMemoryHotplugRequest`: more guest memory, up to `maxGuest`, goes to the running VMI. */
  private async handleMemoryChange(
    want: Spec,
    vmi: VirtualMachineInstanceObject,
    setRestartRequired: (message: string) => void,
  ): Promise<void> {
    const wantedText = want.domain.memory?.guest;
    const runningText = vmi.spec.domain.memory?.guest;
    const memoryStatus = vmi.status?.memory as
      | { guestAtBoot?: string; guestCurrent?: string }
      | undefined;
    if (!wantedText || !runningText || !memoryStatus?.guestCurrent) return;
    const conditions = vmi.status?.conditions;
    if (hasCondition(conditions, 'HotMemoryChange', 'False')) {
      setRestartRequired(
        'memory updated in template spec. Memory-hotplug failed and is not available for this VM configuration',
      );
      return;
    }
    const wanted = Quantity.parse(String(wantedText));
    const running = Quantity.parse(String(runningText));
    if (wanted.equals(running)) return;
    if (!hasCondition(conditions, 'LiveMigratable', 'True')) {
      setRestartRequired(
        'memory updated in template spec. Memory-hotplug is only available for migratable VMs',
      );
      return;
    }
    const maxText = vmi.spec.domain.memory?.maxGuest;
    if (!maxText) {
      setRestartRequired(
        'memory updated in template spec. Memory-hotplug is not available for this VM configuration',
      );
      return;
    }
    if (hasCondition(conditions, 'HotMemoryChange', 'True'))
      throw new Error('another memory hotplug is in progress');
    if (isMigrating(vmi))
      throw new Error('memory hotplug is not allowed while VMI is migrating');
    const maxGuest = Quantity.parse(String(maxText));
    const invalid = liveUpdateMemoryProblem(want, maxGuest);
    if (invalid) {
      setRestartRequired(`memory hotplug not supported, ${invalid}`);
      return;
    }
    const atBoot = memoryStatus.guestAtBoot
      ? Quantity.parse(memoryStatus.guestAtBoot)
      : undefined;
    if (atBoot && wanted.cmp(atBoot) < 0) {
      setRestartRequired(
        'memory updated in template spec to a value lower than what the VM started with',
      );
      return;
    }
    if (wanted.cmp(maxGuest) > 0) {
      setRestartRequired(
        "memory updated in template spec to a value higher than what's available",
      );
      return;
    }

    let delta = wanted.sub(Quantity.parse(memoryStatus.guestCurrent));
    const patch: object[] = [
      {
        op: 'test',
        path: '/spec/domain/memory/guest',
        value: running.toString(),
      },
      {
        op: 'replace',
        path: '/spec/domain/memory/guest',
        value: wanted.toString(),
      },
    ];
    const request = vmi.spec.domain.resources?.requests?.memory;
    if (request && !Quantity.parse(String(request)).isZero()) {
      const before = Quantity.parse(String(request));
      let after = before.add(delta);
      // Not all memory comes back after an unplug: never ask for less than the guest.
      if (after.cmp(wanted) < 0) {
        after = wanted;
        delta = wanted.sub(after);
      }
      patch.push(
        {
          op: 'test',
          path: '/spec/domain/resources/requests/memory',
          value: before.toString(),
        },
        {
          op: 'replace',
          path: '/spec/domain/resources/requests/memory',
          value: after.toString(),
        },
      );
    }
    const limit = want.domain.resources?.limits?.memory;
    if (limit && !Quantity.parse(String(limit)).isZero()) {
      const before = Quantity.parse(
        String(vmi.spec.domain.resources?.limits?.memory ?? '0'),
      );
      patch.push(
        {
          op: 'test',
          path: '/spec/domain/resources/limits/memory',
          value: before.toString(),
        },
        {
          op: 'replace',
          path: '/spec/domain/resources/limits/memory',
          value: before.add(delta).toString(),
        },
      );
    }
    await this.patchVmi(vmi, patch);
    this.ctx.log(
      `${vmi.metadata.namespace}/${
        vmi.metadata.name
      }: hotplugging memory to ${wanted.toString()}`,
    );
  }

  /** `handleAffinityChangeRequest`: node selector and affinity follow the VM's. */
  private async handleAffinityChange(
    want: Spec,
    vmi: VirtualMachineInstanceObject,
  ): Promise<void> {
    const fields = ['nodeSelector', 'affinity'] as const;
    const changed = fields.filter(
      f => canonicalJson(want[f]) !== canonicalJson(vmi.spec[f]),
    );
    if (changed.length === 0) return;
    if (isMigrating(vmi))
      throw new Error(
        'Node affinity should not be changed during VMI migration',
      );
    for (const field of changed)
      await this.patchVmi(vmi, replaceField(vmi.spec, field, want[field]));
  }

  /** `handleTolerationsChangeRequest`. */
  private async handleTolerationsChange(
    want: Spec,
    vmi: VirtualMachineInstanceObject,
  ): Promise<void> {
    if (canonicalJson(want.tolerations) === canonicalJson(vmi.spec.tolerations))
      return;
    if (isMigrating(vmi))
      throw new Error('tolerations should not be changed during VMI migration');
    await this.patchVmi(
      vmi,
      replaceField(vmi.spec, 'tolerations', want.tolerations),
    );
  }

  /**
   * Declarative volume hotplug (`storage/hotplug.patchHotplugVolumes`): the VM's
   * hot-pluggable volumes (and their disks) not yet in the running VMI are added to
   * it, the VMI's ones the VM no longer has (or has changed) are taken out.
   */
  private async patchHotplugVolumes(
    vm: VirtualMachine,
    vmi: VirtualMachineInstanceObject,
  ): Promise<void> {
    if (vmi.status?.phase !== 'Running') return;
    if (vm.spec.updateVolumesStrategy === 'Migration') return;
    const template = vm.spec.template.spec;
    const vmVolumes = byName(template.volumes ?? []);
    const vmDisks = byName(template.domain.devices?.disks ?? []);
    const withStatus = new Set(
      (vmi.status?.volumeStatus ?? []).map(s => String(s.name)),
    );
    const vmiVolumes = vmi.spec.volumes ?? [];
    const vmiDisks = vmi.spec.domain.devices?.disks ?? [];

    const volumes = vmiVolumes.filter(volume => {
      if (!isDeclarativeHotplugVolume(volume)) return true;
      const wanted = vmVolumes.get(volume.name);
      if (!wanted) return false;
      return !(
        isDeclarativeHotplugVolume(wanted) &&
        canonicalJson(wanted) !== canonicalJson(volume)
      );
    });
    const present = new Set(vmiVolumes.map(v => v.name));
    for (const volume of template.volumes ?? []) {
      if (
        isDeclarativeHotplugVolume(volume) &&
        !present.has(volume.name) &&
        !withStatus.has(volume.name)
      )
        volumes.push(structuredClone(volume));
    }
    const kept = byName(volumes);
    const disks = vmiDisks.filter(disk => {
      if (kept.has(disk.name)) return true;
      const wanted = vmDisks.get(disk.name);
      if (!wanted) return false;
      const volumeChanged = vmVolumes.has(disk.name);
      return !(volumeChanged && (!wanted.cdrom || !disk.cdrom));
    });
    const diskNames = new Set(vmiDisks.map(d => d.name));
    for (const disk of template.domain.devices?.disks ?? []) {
      const volume = kept.get(disk.name);
      if (
        volume &&
        isDeclarativeHotplugVolume(volume) &&
        !diskNames.has(disk.name)
      )
        disks.push(structuredClone(disk));
    }
    if (
      canonicalJson(volumes) === canonicalJson(vmiVolumes) &&
      canonicalJson(disks) === canonicalJson(vmiDisks)
    )
      return;
    await this.patchVmi(vmi, [
      { op: 'test', path: '/spec/volumes', value: vmi.spec.volumes ?? null },
      {
        op: 'test',
        path: '/spec/domain/devices/disks',
        value: vmi.spec.domain.devices?.disks ?? null,
      },
      {
        op: vmi.spec.volumes?.length ? 'replace' : 'add',
        path: '/spec/volumes',
        value: volumes,
      },
      {
        op: vmi.spec.domain.devices?.disks?.length ? 'replace' : 'add',
        path: '/spec/domain/devices/disks',
        value: disks,
      },
    ]);
    const added = volumes.filter(v => !present.has(v.name)).map(v => v.name);
    const removed = vmiVolumes.filter(v => !kept.has(v.name)).map(v => v.name);
    this.ctx.log(
      `${vmi.metadata.namespace}/${vmi.metadata.name}: hotplug volumes${
        added.length ? ` added ${added.join(', ')}` : ''
      }${removed.length ? ` removed ${removed.join(', ')}` : ''}`,
    );
  }

  private async patchVmi(vmi: VirtualMachineInstanceObject, patch: object[]) {
    await this.ctx.custom
      .patchNamespacedCustomObject({
        ...VIRTUAL_MACHINE_INSTANCES,
        namespace: vmi.metadata.namespace!,
        name: vmi.metadata.name!,
        body: patch,
      })
      .catch(conflictOnPatchTestFailure);
  }
}

/**
 * Whether `current` differs from `last` (both expanded) in more than what KubeVirt
 * can apply to the running VMI: hot-plug volumes and their disks, and with
 * `LiveUpdate` CPU sockets, guest memory, node selector, affinity and tolerations.
 */
function nonLiveChange(
  lastSeen: Spec,
  current: Spec,
  vm: VirtualMachine,
  vmi: VirtualMachineInstanceObject,
  liveUpdate: boolean,
): boolean {
  const last = structuredClone(lastSeen);
  const migrationStrategy = vm.spec.updateVolumesStrategy === 'Migration';
  if (validLiveUpdateVolumes(last, current, migrationStrategy))
    last.volumes = current.volumes;
  if (validLiveUpdateDisks(last, current)) {
    (last.domain.devices ??= {}).disks = current.domain.devices?.disks;
  }
  if (liveUpdate) {
    if (last.domain.cpu && current.domain.cpu)
      last.domain.cpu.sockets = current.domain.cpu.sockets;
    if (current.domain.memory?.guest)
      (last.domain.memory ??= {}).guest = current.domain.memory.guest;
    last.nodeSelector = current.nodeSelector;
    last.affinity = current.affinity;
    last.tolerations = current.tolerations;
  }
  const uuid = current.domain.firmware?.uuid;
  if (uuid && vmi.spec.domain.firmware?.uuid === uuid)
    last.domain.firmware = { ...last.domain.firmware, uuid };
  return canonicalJson(last) !== canonicalJson(current);
}

/** `validLiveUpdateVolumes`: only hot-plug volumes were added, changed or removed. */
function validLiveUpdateVolumes(
  last: Spec,
  current: Spec,
  migrationStrategy: boolean,
): boolean {
  const old = byName(last.volumes ?? []);
  for (const volume of current.volumes ?? []) {
    const before = old.get(volume.name);
    if (isHotplugVolume(volume)) old.delete(volume.name);
    else if (!before) return false;
    else if (
      migrationStrategy &&
      (volume.persistentVolumeClaim || volume.dataVolume)
    )
      old.delete(volume.name);
    else if (canonicalJson(before) !== canonicalJson(volume)) return false;
    else old.delete(volume.name);
  }
  return [...old.values()].every(isHotplugVolume);
}

/** `validLiveUpdateDisks`: only disks of hot-plug volumes were added, changed or removed. */
function validLiveUpdateDisks(last: Spec, current: Spec): boolean {
  const oldDisks = byName<Disk>(last.domain.devices?.disks ?? []);
  const oldVolumes = byName(last.volumes ?? []);
  const volumes = byName(current.volumes ?? []);
  const disks = byName<Disk>(current.domain.devices?.disks ?? []);
  for (const disk of current.domain.devices?.disks ?? []) {
    const volume = volumes.get(disk.name);
    const before = oldDisks.get(disk.name);
    if (volume && isHotplugVolume(volume)) oldDisks.delete(disk.name);
    else if (!before) return false;
    else if (canonicalJson(before) !== canonicalJson(disk)) return false;
    else oldDisks.delete(disk.name);
  }
  for (const disk of oldDisks.values()) {
    const volume = oldVolumes.get(disk.name);
    if (volume && !isHotplugVolume(volume)) return false;
    if (disk.cdrom && !disks.has(disk.name)) return false;
  }
  return true;
}

/** `memory.ValidateLiveUpdateMemory`: why this VM's memory cannot be hot-plugged, if it cannot. */
function liveUpdateMemoryProblem(
  spec: Spec,
  maxGuest: Quantity,
): string | undefined {
  const domain = spec.domain;
  if (domain.cpu?.realtime)
    return 'Memory hotplug is not compatible with realtime VMs';
  if (
    (domain.cpu?.numa as { guestMappingPassthrough?: object } | undefined)
      ?.guestMappingPassthrough
  )
    return 'Memory hotplug is not compatible with guest mapping passthrough';
  if (domain.launchSecurity)
    return 'Memory hotplug is not compatible with encrypted VMs';
  const block =
    domain.memory?.hugepages?.pageSize === '1Gi'
      ? HOTPLUG_1G_BLOCK_BYTES
      : HOTPLUG_BLOCK_BYTES;
  if (!domain.memory?.guest)
    return 'Guest memory must be configured when memory hotplug is enabled';
  const guest = Quantity.parse(String(domain.memory.guest));
  if (guest.cmp(maxGuest) > 0)
    return 'Guest memory is greater than the configured maxGuest memory';
  const blockText = Quantity.fromUnits(block, 'BinarySI').toString();
  if (guest.value() % block !== 0n)
    return `Guest memory must be ${blockText} aligned`;
  if (maxGuest.value() % block !== 0n)
    return `MaxGuest must be ${blockText} aligned`;
  if (spec.architecture !== 'amd64')
    return 'Memory hotplug is only available for x86_64 VMs';
  if (guest.value() < MIN_HOTPLUG_GUEST_BYTES)
    return 'Memory hotplug is only available for VMs with at least 1Gi of guest memory';
  return undefined;
}

/** `setRestartRequired`: status True, no reason. */
function restartRequired(message: string): KubevirtCondition {
  return {
    type: 'RestartRequired',
    status: 'True',
    message,
    lastProbeTime: null,
    lastTransitionTime: now(),
  };
}

/** What of a VM's spec its VMI is built from. */
function sizing(spec: VirtualMachine['spec']) {
  return {
    template: spec.template,
    instancetype: spec.instancetype,
    preference: spec.preference,
  };
}

/** `migrations.IsMigrating`: a migration has started and not ended. */
export function isMigrating(vmi: VirtualMachineInstanceObject): boolean {
  const state = vmi.status?.migrationState as
    | { startTimestamp?: string; endTimestamp?: string }
    | undefined;
  return Boolean(state?.startTimestamp && !state.endTimestamp);
}

function vcpus(cpu: NonNullable<Spec['domain']['cpu']>): number {
  return (cpu.sockets ?? 1) * (cpu.cores ?? 1) * (cpu.threads ?? 1);
}

function byName<T extends { name: string }>(items: T[]): Map<string, T> {
  return new Map(items.map(item => [item.name, item]));
}

/** A JSON patch setting (or removing) one top-level field of the VMI spec, testing the old value. */
function replaceField(spec: Spec, field: string, value: unknown): object[] {
  const path = `/spec/${field}`;
  if (value === undefined) return [{ op: 'remove', path }];
  if (spec[field] === undefined) return [{ op: 'add', path, value }];
  return [
    { op: 'test', path, value: spec[field] },
    { op: 'replace', path, value },
  ];
}
