import { createHash } from 'node:crypto';
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { errorStatus } from '../kubeClient';
import { hasCondition, removeCondition, updateCondition } from './conditions';
import { guestOsInfo } from './guestOs';
import { isFinal } from './printableStatus';
import { advanceHotplugPhase, claimInfo, VolumeStatus } from './VolumeHotplug';
import {
  canonicalJson,
  DATA_VOLUMES,
  isPatchTestFailure,
  now,
  orNotFound,
  readCustomObject,
  VIRTUAL_MACHINE_INSTANCES,
} from './resources';
import type { SimulatorContext } from './SimulatorContext';
import type {
  DataVolumeObject,
  KubevirtCondition,
  VirtualMachineInstanceObject,
} from '@vmportal/plugin-kubevirt-common';

/** What {@link VirtHandler.sync} did. */
export interface HandlerResult {
  /** The VMI as it is now (undefined if it is gone). */
  vmi: VirtualMachineInstanceObject | undefined;
  requeueAfterMs?: number;
}

/** How often a pause/unpause write is tried against a VMI whose conditions keep changing. */
const CONFLICT_ATTEMPTS = 5;

/**
 * Plays virt-handler (and the guest) on the simulated nodes: once the
 * launcher pod is ready it "boots" the domain, reports the VMI Running with
 * what a guest agent would tell (interfaces and IPs, OS, conditions), pauses
 * and unpauses it on request, and reports it Succeeded once its pod has shut
 * down after the VMI's deletion (or Failed if the pod vanished under it).
 */
export class VirtHandler {
  private readonly booting = new Map<string, number>();
  private readonly shutdownSignalled = new Set<string>();

  constructor(private readonly ctx: SimulatorContext) {}

  async sync(
    vmi: VirtualMachineInstanceObject,
    pod: V1Pod | undefined,
  ): Promise<HandlerResult> {
    const phase = vmi.status?.phase;
    const uid = vmi.metadata.uid!;
    if (isFinal(vmi)) {
      this.booting.delete(uid);
      this.shutdownSignalled.delete(uid);
    }
    if (phase !== 'Scheduled' && phase !== 'Running') return { vmi };
    const podExited =
      !pod ||
      pod.status?.phase === 'Succeeded' ||
      pod.status?.phase === 'Failed';

    if (phase === 'Scheduled') {
      const podReady = pod?.status?.conditions?.some(
        c => c.type === 'Ready' && c.status === 'True',
      );
      if (vmi.metadata.deletionTimestamp || podExited || !podReady)
        return { vmi };
      const since = this.booting.get(uid) ?? Date.now();
      this.booting.set(uid, since);
      const wait = since + this.ctx.timing.guestBootMs - Date.now();
      if (wait > 0) return { vmi, requeueAfterMs: wait };
      const started = await this.write(
        vmi,
        await this.runningStatus(vmi, pod!),
        'Running',
      );
      if (started.vmi !== vmi) {
        this.booting.delete(uid);
        await this.event(
          vmi,
          'Normal',
          'Created',
          'VirtualMachineInstance defined.',
        );
        await this.event(
          vmi,
          'Normal',
          'Started',
          'VirtualMachineInstance started.',
        );
      }
      return started;
    }

    // Running
    if (vmi.metadata.deletionTimestamp && !this.shutdownSignalled.has(uid)) {
      this.shutdownSignalled.add(uid);
      await this.event(
        vmi,
        'Normal',
        'ShuttingDown',
        'Signaled Graceful Shutdown',
      );
    }
    if (podExited) {
      const clean = Boolean(
        vmi.metadata.deletionTimestamp || pod?.status?.phase === 'Succeeded',
      );
      const status = {
        ...vmi.status,
        phase: clean ? 'Succeeded' : 'Failed',
      } as VirtualMachineInstanceObject['status'];
      const result = await this.write(
        vmi,
        status!,
        clean ? 'Succeeded' : 'Failed',
      );
      if (result.vmi !== vmi) {
        if (clean)
          await this.event(
            vmi,
            'Normal',
            'Stopped',
            'The VirtualMachineInstance was shut down.',
          );
        else
          await this.event(
            vmi,
            'Warning',
            'Stopped',
            'The VirtualMachineInstance crashed.',
          );
      }
      return result;
    }
    const refreshed = await this.runningStatus(vmi, pod!);
    if (canonicalJson(refreshed) === canonicalJson(vmi.status)) return { vmi };
    return this.write(vmi, refreshed, 'Running');
  }

  /** virt-handler's answer to `pause`: the guest stops, the VMI gets `Paused=True`. */
  async pause(vmi: VirtualMachineInstanceObject): Promise<void> {
    await this.updateConditions(vmi, conditions =>
      updateCondition(conditions, pausedByUser()),
    );
    this.ctx.log(`${vmi.metadata.namespace}/${vmi.metadata.name}: paused`);
    await this.event(vmi, 'Normal', 'Paused', 'VirtualMachineInstance paused');
  }

  /** virt-handler's answer to `unpause`. */
  async unpause(vmi: VirtualMachineInstanceObject): Promise<void> {
    await this.updateConditions(vmi, conditions =>
      removeCondition(conditions, 'Paused'),
    );
    this.ctx.log(`${vmi.metadata.namespace}/${vmi.metadata.name}: unpaused`);
    await this.event(
      vmi,
      'Normal',
      'Unpaused',
      'VirtualMachineInstance unpaused',
    );
  }

  /**
   * Writes the VMI's conditions as `change` makes them, with a JSON patch that tests the
   * conditions it read: the reconcilers and the guest agent write the VMI all the time,
   * and only a change to the conditions themselves is a conflict. That one re-reads the
   * VMI and tries again, as virt-handler's sync loop would; the power call must not fail
   * on the simulator's own write race.
   */
  private async updateConditions(
    vmi: VirtualMachineInstanceObject,
    change: (conditions: KubevirtCondition[]) => KubevirtCondition[],
  ): Promise<void> {
    const namespace = vmi.metadata.namespace!;
    const name = vmi.metadata.name!;
    let current: VirtualMachineInstanceObject | undefined = vmi;
    for (let attempt = 1; ; attempt++) {
      const read = current.status?.conditions;
      const next = change(read ?? []);
      try {
        await this.ctx.custom.patchNamespacedCustomObject({
          ...VIRTUAL_MACHINE_INSTANCES,
          namespace,
          name,
          body: read
            ? [
                { op: 'test', path: '/status/conditions', value: read },
                { op: 'replace', path: '/status/conditions', value: next },
              ]
            : [{ op: 'add', path: '/status/conditions', value: next }],
        });
        return;
      } catch (error) {
        const conflict =
          isPatchTestFailure(error) || errorStatus(error) === 409;
        if (!conflict || attempt >= CONFLICT_ATTEMPTS) throw error;
      }
      current = await readCustomObject<VirtualMachineInstanceObject>(
        this.ctx.custom,
        VIRTUAL_MACHINE_INSTANCES,
        namespace,
        name,
      );
      if (!current)
        throw new Error(`virtualmachineinstance ${namespace}/${name} is gone`);
    }
  }

  private async write(
    vmi: VirtualMachineInstanceObject,
    status: NonNullable<VirtualMachineInstanceObject['status']>,
    phase: string,
  ): Promise<HandlerResult> {
    const next = { ...status, phase } as NonNullable<
      VirtualMachineInstanceObject['status']
    >;
    if (phase !== vmi.status?.phase) {
      next.phaseTransitionTimestamps = [
        ...(vmi.status?.phaseTransitionTimestamps ?? []),
        { phase, phaseTransitionTimestamp: now() },
      ];
    }
    try {
      const written = (await this.ctx.custom.replaceNamespacedCustomObject({
        ...VIRTUAL_MACHINE_INSTANCES,
        namespace: vmi.metadata.namespace!,
        name: vmi.metadata.name!,
        body: { ...vmi, status: next },
      })) as VirtualMachineInstanceObject;
      if (phase !== vmi.status?.phase) {
        this.ctx.log(
          `${vmi.metadata.namespace}/${vmi.metadata.name}: VMI ${vmi.status?.phase} -> ${phase} on ${vmi.status?.nodeName}`,
        );
      }
      return { vmi: written };
    } catch (error) {
      // Someone else wrote the VMI: the caller's next round starts from the fresh one.
      if (errorStatus(error) === 409) return { vmi, requeueAfterMs: 0 };
      if (errorStatus(error) === 404) return { vmi: undefined };
      throw error;
    }
  }

  /** The status a running guest with (maybe) a guest agent leads virt-handler to report. */
  private async runningStatus(
    vmi: VirtualMachineInstanceObject,
    pod: V1Pod,
  ): Promise<NonNullable<VirtualMachineInstanceObject['status']>> {
    const status = structuredClone(vmi.status ?? {});
    const namespace = vmi.metadata.namespace!;
    const claims = new Map<string, V1PersistentVolumeClaim>();
    for (const volume of vmi.spec.volumes ?? []) {
      const claimName =
        volume.persistentVolumeClaim?.claimName ?? volume.dataVolume?.name;
      if (!claimName) continue;
      const claim =
        this.ctx.caches.pvc(namespace, claimName) ??
        (await orNotFound(
          this.ctx.core.readNamespacedPersistentVolumeClaim({
            namespace,
            name: claimName,
          }),
        ));
      if (claim) claims.set(volume.name, claim);
    }
    const os = guestOsInfo(await this.osHints(vmi));
    status.guestOSInfo = os ? { ...os } : {};
    status.interfaces = this.interfaces(
      vmi,
      pod,
      Boolean(os),
      os?.id === 'mswindows',
    );
    const volumes = volumeStatus(vmi, claims, pod);
    for (const entry of volumes) {
      const before = (
        vmi.status?.volumeStatus as VolumeStatus[] | undefined
      )?.find(s => s.name === entry.name);
      if (entry.hotplugVolume && entry.phase !== before?.phase && entry.reason)
        await this.event(vmi, 'Normal', entry.reason, String(entry.message));
    }
    status.volumeStatus = volumes;
    const machine = vmi.spec.domain.machine?.type;
    if (machine)
      status.machine = {
        type: machine === 'q35' ? 'pc-q35-rhel9.6.0' : machine,
      };
    status.selinuxContext = 'none';
    // The topology the domain was defined with; a CPU hot-plug changes it (MigrationController).
    const cpu = vmi.spec.domain.cpu;
    status.currentCPUTopology ??= {
      cores: cpu?.cores ?? 1,
      sockets: cpu?.sockets ?? 1,
      threads: cpu?.threads ?? 1,
    };

    let conditions: KubevirtCondition[] = status.conditions ?? [];
    const migratable = liveMigratable(vmi, claims);
    status.migrationMethod = migratable.blockMigration
      ? 'BlockMigration'
      : 'LiveMigration';
    conditions = updateCondition(conditions, migratable.condition);
    conditions = updateCondition(conditions, {
      type: 'StorageLiveMigratable',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: null,
    });
    if (!os) conditions = removeCondition(conditions, 'AgentConnected');
    else if (!hasCondition(conditions, 'AgentConnected', 'True')) {
      conditions = updateCondition(conditions, {
        type: 'AgentConnected',
        status: 'True',
        lastProbeTime: now(),
        lastTransitionTime: null,
      });
    }
    if (
      vmi.status?.phase === 'Scheduled' &&
      vmi.spec.startStrategy === 'Paused'
    ) {
      conditions = updateCondition(conditions, pausedByUser());
    }
    status.conditions = conditions;
    return status;
  }

  /** Words that may name the guest OS: preference, disk images, DataVolume sources. */
  private async osHints(vmi: VirtualMachineInstanceObject): Promise<string[]> {
    const annotations = vmi.metadata.annotations ?? {};
    const labels = vmi.metadata.labels ?? {};
    const hints = [
      annotations['kubevirt.io/cluster-preference-name'],
      annotations['kubevirt.io/preference-name'],
      labels['vm.kubevirt.io/os'],
      annotations['vm.kubevirt.io/os'],
      ...Object.keys(labels)
        .filter(k => k.startsWith('os.template.kubevirt.io/'))
        .map(k => k.slice(24)),
    ].filter((hint): hint is string => Boolean(hint));
    for (const volume of vmi.spec.volumes ?? []) {
      if (volume.containerDisk) hints.push(volume.containerDisk.image);
      if (volume.dataVolume) {
        const dv =
          this.ctx.caches.dataVolume(
            vmi.metadata.namespace!,
            volume.dataVolume.name,
          ) ??
          (await readCustomObject<DataVolumeObject>(
            this.ctx.custom,
            DATA_VOLUMES,
            vmi.metadata.namespace!,
            volume.dataVolume.name,
          ));
        const source = dv?.spec.source;
        hints.push(
          ...[
            source?.http?.url,
            source?.registry?.url,
            source?.pvc?.name,
            dv?.spec.sourceRef?.name,
            volume.dataVolume.name,
          ].filter((hint): hint is string => Boolean(hint)),
        );
      }
      if (volume.persistentVolumeClaim)
        hints.push(volume.persistentVolumeClaim.claimName);
    }
    return hints;
  }

  private interfaces(
    vmi: VirtualMachineInstanceObject,
    pod: V1Pod,
    agent: boolean,
    windows: boolean,
  ) {
    const networks = vmi.spec.networks ?? [];
    return (vmi.spec.domain.devices?.interfaces ?? []).map((iface, index) => {
      const network = networks.find(n => n.name === iface.name);
      const mac = iface.macAddress ?? macFor(vmi.metadata.uid!, iface.name);
      const windowsName = index === 0 ? 'Ethernet' : `Ethernet ${index + 1}`;
      const guestName = windows ? windowsName : `eth${index}`;
      let ip: string | undefined;
      if (network?.pod) ip = pod.status?.podIP;
      else if (network?.multus && agent)
        ip = this.secondaryIp(vmi, network.multus.networkName);
      const status: Record<string, unknown> = {
        name: iface.name,
        mac,
        infoSource: [
          'domain',
          ...(agent ? ['guest-agent'] : []),
          ...(agent && network?.multus ? ['multus-status'] : []),
        ].join(', '),
        queueCount: 1,
        linkState: 'up',
      };
      if (agent) status.interfaceName = guestName;
      if (network?.multus)
        status.podInterfaceName = `pod${createHash('sha256')
          .update(iface.name)
          .digest('hex')
          .slice(0, 11)}`;
      if (ip) {
        status.ipAddress = ip;
        status.ipAddresses = [ip];
      }
      return status;
    });
  }

  /**
   * A 192.168.x.y address on a secondary (Multus) network: x fixed per network,
   * y the lowest not used by another VMI on it; stable once reported.
   */
  private secondaryIp(
    vmi: VirtualMachineInstanceObject,
    networkName: string,
  ): string {
    const reported = vmi.status?.interfaces?.find(
      i =>
        i.infoSource !== undefined &&
        String(i.infoSource).includes('multus') &&
        i.ipAddress &&
        (vmi.spec.networks ?? []).some(
          n => n.name === i.name && n.multus?.networkName === networkName,
        ),
    );
    if (reported?.ipAddress) return String(reported.ipAddress);
    const subnet =
      1 +
      (createHash('sha256').update(networkName).digest().readUInt16BE(0) % 250);
    const used = new Set<string>();
    for (const other of this.ctx.caches.virtualMachineInstances()) {
      if (other.metadata.uid === vmi.metadata.uid) continue;
      for (const i of other.status?.interfaces ?? [])
        if (i.ipAddress) used.add(String(i.ipAddress));
    }
    for (let host = 10; host < 255; host++) {
      const ip = `192.168.${subnet}.${host}`;
      if (!used.has(ip)) return ip;
    }
    return `192.168.${subnet}.254`;
  }

  private event(
    vmi: VirtualMachineInstanceObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) {
    return this.ctx.events.record(
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        metadata: vmi.metadata,
      },
      type,
      reason,
      message,
      { component: 'virt-handler', host: vmi.status?.nodeName },
    );
  }
}

/** The `Paused` condition virt-handler sets when a user (or `startStrategy: Paused`) pauses the guest. */
function pausedByUser(): KubevirtCondition {
  const timestamp = now();
  return {
    type: 'Paused',
    status: 'True',
    reason: 'PausedByUser',
    message: 'VMI was paused by user',
    lastProbeTime: timestamp,
    lastTransitionTime: timestamp,
  };
}

/** A stable libvirt-style MAC (52:54:00:…) for an interface without one. */
function macFor(uid: string, name: string): string {
  const bytes = createHash('sha256').update(`${uid}/${name}`).digest();
  return [
    '52',
    '54',
    '00',
    ...[0, 1, 2].map(i => bytes[i].toString(16).padStart(2, '0')),
  ].join(':');
}

/**
 * Disk targets as libvirt assigns them per bus: vda, vdb… for virtio, sda… for
 * sata/scsi. A hot-plugged volume (one the launcher pod does not mount) keeps what
 * virt-controller reported about its attachment and gets its target once attached
 * ({@link advanceHotplugPhase}); one being unplugged keeps its entry while its
 * attachment pod is there.
 */
function volumeStatus(
  vmi: VirtualMachineInstanceObject,
  claims: Map<string, V1PersistentVolumeClaim>,
  pod: V1Pod,
): VolumeStatus[] {
  const previous = new Map(
    ((vmi.status?.volumeStatus ?? []) as VolumeStatus[]).map(s => [s.name, s]),
  );
  const mounted = new Set((pod.spec?.volumes ?? []).map(v => v.name));
  const disks = vmi.spec.domain.devices?.disks ?? [];
  const counters = new Map<string, number>();
  const targets = new Map<string, string>();
  for (const disk of disks) {
    const kind = (disk.cdrom ?? disk.lun ?? disk.disk ?? {}) as {
      bus?: string;
    };
    const prefix =
      kind.bus === 'sata' || kind.bus === 'scsi' || disk.cdrom ? 'sd' : 'vd';
    const n = counters.get(prefix) ?? 0;
    counters.set(prefix, n + 1);
    targets.set(disk.name, `${prefix}${String.fromCharCode(97 + n)}`);
  }
  const entries = (vmi.spec.volumes ?? []).map(volume => {
    const before = previous.get(volume.name);
    previous.delete(volume.name);
    const hotplug =
      !mounted.has(volume.name) &&
      Boolean(volume.persistentVolumeClaim || volume.dataVolume);
    const entry: VolumeStatus = {
      name: volume.name,
      target: targets.get(volume.name) ?? '',
    };
    const claim = claims.get(volume.name);
    if (claim) entry.persistentVolumeClaimInfo = claimInfo(claim);
    if (volume.containerDisk) entry.containerDiskVolume = { checksum: 0 };
    if (!hotplug) return entry;
    const attachment: VolumeStatus = {
      ...entry,
      target: before?.phase === 'Ready' ? entry.target : '',
      phase: before?.phase,
      reason: before?.reason,
      message: before?.message,
      hotplugVolume: before?.hotplugVolume ?? {},
    };
    return advanceHotplugPhase(attachment, entry.target ?? '');
  });
  const unplugging = [...previous.values()].filter(s => s.hotplugVolume);
  return [...entries, ...unplugging];
}

/** virt-handler's `calculateLiveMigrationCondition`, for the checks that apply here. */
function liveMigratable(
  vmi: VirtualMachineInstanceObject,
  claims: Map<string, V1PersistentVolumeClaim>,
): { condition: KubevirtCondition; blockMigration: boolean } {
  const notMigratable = (
    reason: string,
    message: string,
    blockMigration: boolean,
  ) => ({
    condition: {
      type: 'LiveMigratable',
      status: 'False' as const,
      reason,
      message,
      lastProbeTime: null,
      lastTransitionTime: null,
    },
    blockMigration,
  });
  let blockMigration = false;
  let blockError: string | undefined;
  for (const volume of vmi.spec.volumes ?? []) {
    const claim = claims.get(volume.name);
    if (volume.persistentVolumeClaim || volume.dataVolume) {
      const claimName =
        volume.persistentVolumeClaim?.claimName ?? volume.dataVolume!.name;
      if (!claim) {
        blockMigration = true;
        blockError ??= `cannot migrate VMI: Unable to determine if PVC ${claimName} is shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)`;
      } else if (!claim.spec?.accessModes?.includes('ReadWriteMany')) {
        blockMigration = true;
        blockError ??= `cannot migrate VMI: PVC ${claimName} is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)`;
      }
    } else if (
      volume.containerDisk ||
      volume.cloudInitNoCloud ||
      volume.cloudInitConfigDrive
    ) {
      // local, copied along (block migration)
      if (volume.containerDisk) blockMigration = true;
    }
  }
  const networks = vmi.spec.networks ?? [];
  const podNetwork = networks.find(n => n.pod);
  if (podNetwork) {
    const primary = (vmi.spec.domain.devices?.interfaces ?? []).find(
      i => i.name === podNetwork.name,
    );
    const allowed =
      primary?.masquerade ||
      primary?.passt ||
      primary?.binding?.name === 'passt' ||
      (primary?.bridge &&
        vmi.metadata.annotations?.[
          'kubevirt.io/allow-pod-bridge-network-live-migration'
        ] !== undefined);
    if (!primary) {
      return notMigratable(
        'InterfaceNotLiveMigratable',
        `no primary interface found for network ${podNetwork.name}`,
        blockMigration,
      );
    }
    if (!allowed) {
      return notMigratable(
        'InterfaceNotLiveMigratable',
        'cannot migrate VMI which does not use masquerade or a migratable plugin to connect to the pod network',
        blockMigration,
      );
    }
  }
  if (blockError)
    return notMigratable('DisksNotLiveMigratable', blockError, blockMigration);
  return {
    condition: {
      type: 'LiveMigratable',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: null,
    },
    blockMigration,
  };
}
