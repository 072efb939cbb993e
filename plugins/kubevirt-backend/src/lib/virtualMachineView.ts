import {
  DataVolumeObject,
  formatResourceList,
  KubeEventObject,
  PersistentVolumeClaimObject,
  podContainerResources,
  PodObject,
  podResourceTotals,
  ResourceQuantities,
  VirtualMachine,
  VirtualMachineInstanceObject,
  VirtualMachineInstancetype,
  VirtualMachineVolume,
  ViewCondition,
  ViewDisk,
  ViewEvent,
  ViewInterface,
  VirtualMachineView,
  volumeSourceType,
} from '@vmportal/plugin-kubevirt-common';
import { stringify } from 'yaml';

/** The devices of a VM template's domain that the page reads, beyond the common type. */
interface TemplateDevices {
  disks?: Array<{
    name: string;
    disk?: { bus?: string };
    cdrom?: { bus?: string };
    lun?: { bus?: string };
  }>;
  interfaces?: Array<{
    name: string;
    macAddress?: string;
    masquerade?: object;
    bridge?: object;
    sriov?: object;
    passt?: object;
    binding?: { name?: string };
  }>;
}

interface TemplateNetwork {
  name: string;
  pod?: object;
  multus?: { networkName?: string };
}

function templateSpec(vm: VirtualMachine) {
  return vm.spec.template?.spec;
}

/** The volume source's kind and what it points at (image, DataVolume or claim). */
function volumeSource(volume: VirtualMachineVolume | undefined): {
  type: string;
  source?: string;
} {
  if (!volume) return { type: 'unknown' };
  if (volume.containerDisk) {
    return { type: 'containerDisk', source: volume.containerDisk.image };
  }
  if (volume.dataVolume) {
    return { type: 'dataVolume', source: volume.dataVolume.name };
  }
  if (volume.persistentVolumeClaim) {
    return {
      type: 'persistentVolumeClaim',
      source: volume.persistentVolumeClaim.claimName,
    };
  }
  return { type: volumeSourceType(volume) };
}

/**
 * The claim a volume is stored on: the DataVolume's PVC (same name) or the named
 * claim; undefined for volumes without persistent storage.
 *
 * @internal
 */
export function volumeClaimName(
  volume: VirtualMachineVolume,
): string | undefined {
  return volume.dataVolume?.name ?? volume.persistentVolumeClaim?.claimName;
}

/**
 * The VM's disks, each joined with its volume and, for persistent ones, the
 * DataVolume and claim read from the cluster (keyed by claim name).
 *
 * @internal
 */
export function viewDisks(
  vm: VirtualMachine,
  dataVolumes: Map<string, DataVolumeObject>,
  claims: Map<string, PersistentVolumeClaimObject>,
  vmi?: VirtualMachineInstanceObject,
): ViewDisk[] {
  const volumeStatus = (vmi?.status?.volumeStatus ?? []) as Array<{
    name?: string;
    phase?: string;
  }>;
  const spec = templateSpec(vm);
  const devices = (spec?.domain?.devices ?? {}) as TemplateDevices;
  const volumes = spec?.volumes ?? [];
  return (devices.disks ?? []).map(disk => {
    const volume = volumes.find(v => v.name === disk.name);
    const { type, source } = volumeSource(volume);
    const view: ViewDisk = { name: disk.name, type };
    const bus = disk.disk?.bus ?? disk.cdrom?.bus ?? disk.lun?.bus;
    if (bus) view.bus = bus;
    if (source) view.source = source;
    const claimName = volume ? volumeClaimName(volume) : undefined;
    if (claimName) {
      const claim = claims.get(claimName);
      const dataVolume = volume?.dataVolume
        ? dataVolumes.get(claimName)
        : undefined;
      const dvStorage = dataVolume?.spec?.storage ?? dataVolume?.spec?.pvc;
      const size =
        claim?.status?.capacity?.storage ??
        claim?.spec?.resources?.requests?.storage ??
        dvStorage?.resources?.requests?.storage;
      if (size) view.size = size;
      const storageClass =
        claim?.spec?.storageClassName ?? dvStorage?.storageClassName;
      if (storageClass) view.storageClass = storageClass;
      const phase = dataVolume?.status?.phase ?? claim?.status?.phase;
      if (phase) view.phase = phase;
      if (dataVolume?.status?.progress) {
        view.progress = dataVolume.status.progress;
      }
    }
    const hotpluggable =
      volume?.dataVolume?.hotpluggable ||
      volume?.persistentVolumeClaim?.hotpluggable;
    if (vmi && hotpluggable) {
      view.hotplug =
        volumeStatus.find(v => v.name === disk.name)?.phase ?? 'Not attached';
    }
    return view;
  });
}

/**
 * The VM's network interfaces: the template's interfaces joined with their networks
 * and with what the running VMI reports (MAC, IPs, the guest's interface name).
 *
 * @internal
 */
export function viewInterfaces(
  vm: VirtualMachine,
  vmi: VirtualMachineInstanceObject | undefined,
): ViewInterface[] {
  const spec = templateSpec(vm);
  const devices = (spec?.domain?.devices ?? {}) as TemplateDevices;
  const networks = (spec?.networks ?? []) as TemplateNetwork[];
  const reported = vmi?.status?.interfaces ?? [];
  return (devices.interfaces ?? []).map(iface => {
    const network = networks.find(n => n.name === iface.name);
    const status = reported.find(r => r.name === iface.name);
    let binding: string | undefined;
    if (iface.masquerade) binding = 'masquerade';
    else if (iface.bridge) binding = 'bridge';
    else if (iface.sriov) binding = 'sriov';
    else if (iface.passt) binding = 'passt';
    else if (iface.binding?.name) binding = iface.binding.name;
    const ips =
      status?.ipAddresses ?? (status?.ipAddress ? [status.ipAddress] : []);
    const view: ViewInterface = {
      name: iface.name,
      network:
        network?.multus?.networkName ?? (network?.pod ? 'pod' : 'unknown'),
      ipAddresses: [...ips],
    };
    if (binding) view.binding = binding;
    const mac = status?.mac ?? iface.macAddress;
    if (mac) view.mac = mac;
    if (status?.interfaceName) view.interfaceName = status.interfaceName;
    return view;
  });
}

function eventTime(event: KubeEventObject): string | undefined {
  return (
    event.series?.lastObservedTime ??
    event.lastTimestamp ??
    event.eventTime ??
    event.firstTimestamp ??
    event.metadata.creationTimestamp
  );
}

/**
 * Events newest first, at most `limit`, as the page shows them.
 *
 * @internal
 */
export function viewEvents(
  events: KubeEventObject[],
  limit: number,
): ViewEvent[] {
  const seen = new Set<string>();
  return events
    .filter(e => {
      const key =
        e.metadata.uid ?? `${e.metadata.namespace}/${e.metadata.name}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map(e => ({ event: e, at: eventTime(e) }))
    .sort((a, b) => Date.parse(b.at ?? '') - Date.parse(a.at ?? '') || 0)
    .slice(0, limit)
    .map(({ event, at }) => {
      const view: ViewEvent = {
        type: event.type ?? 'Normal',
        reason: event.reason ?? '',
        message: event.message ?? '',
        count: event.series?.count ?? event.count ?? 1,
        object: {
          kind: event.involvedObject?.kind ?? '',
          name: event.involvedObject?.name ?? '',
        },
      };
      if (at) view.lastTimestamp = at;
      return view;
    });
}

/**
 * The launcher pod the page shows: the running one of a VMI's pods, else the newest.
 *
 * @internal
 */
export function pickLauncherPod(pods: PodObject[]): PodObject | undefined {
  const live = pods.filter(p => !p.metadata.deletionTimestamp);
  const candidates = live.length > 0 ? live : pods;
  return (
    candidates.find(p => p.status?.phase === 'Running') ??
    [...candidates].sort(
      (a, b) =>
        Date.parse(b.metadata.creationTimestamp ?? '') -
        Date.parse(a.metadata.creationTimestamp ?? ''),
    )[0]
  );
}

/**
 * The running VMI's launcher pod among the pods labelled with its VM's name: its own
 * (`kubevirt.io/created-by` is the VMI's uid), not an earlier run's still going; any
 * of them while the VMI's own is not known. During and after a live migration a VMI
 * has two pods, both running until the source's QEMU hands over: the one on the
 * VMI's node (`status.nodeName`, which KubeVirt moves at the hand-over) is the one
 * that runs it. Undefined without a VMI.
 *
 * @internal
 */
export function launcherPodOf(
  vmi: VirtualMachineInstanceObject | undefined,
  namedPods: PodObject[],
): PodObject | undefined {
  if (!vmi) return undefined;
  const ownPods = namedPods.filter(
    p => p.metadata.labels?.['kubevirt.io/created-by'] === vmi.metadata.uid,
  );
  const pods = ownPods.length > 0 ? ownPods : namedPods;
  const node = vmi.status?.nodeName;
  const onNode = node ? pods.filter(p => p.spec?.nodeName === node) : [];
  return pickLauncherPod(onNode.length > 0 ? onNode : pods);
}

/**
 * The launcher pod's summary: phase, QoS class, each container's requests and limits,
 * the pod's effective requests (as the scheduler and quotas count them) and a pod
 * limit only for resources every container limits. KubeVirt's sidecars carry small
 * limits while the compute container often has none: their sum is no limit on the pod.
 *
 * @internal
 */
export function launcherPodSummary(
  pod: PodObject,
): NonNullable<VirtualMachineView['launcherPod']> {
  // The API server stores only valid quantities, so parsing cannot fail here.
  const containers = podContainerResources(pod.spec);
  const totals = podResourceTotals(containers);
  const limits: ResourceQuantities = {};
  for (const [resource, limit] of Object.entries(totals.limits)) {
    if (containers.every(c => c.limits[resource])) limits[resource] = limit;
  }
  const summary: NonNullable<VirtualMachineView['launcherPod']> = {
    name: pod.metadata.name,
    phase: pod.status?.phase ?? 'Unknown',
    // App containers first: the compute container is the one people look for.
    containers: [
      ...containers.filter(c => c.kind === 'container'),
      ...containers.filter(c => c.kind !== 'container'),
    ].map(c => ({
      name: c.name,
      kind: c.kind,
      requests: formatResourceList(c.requests),
      limits: formatResourceList(c.limits),
    })),
    requests: formatResourceList(totals.requests),
    limits: formatResourceList(limits),
  };
  if (pod.status?.qosClass) summary.qosClass = pod.status.qosClass;
  return summary;
}

/**
 * The VM's size: its instancetype and preference names, and the vCPUs and guest
 * memory from the instancetype when it has one, else from the template's CPU
 * topology (cores × sockets × threads) and memory.
 *
 * @internal
 */
export function virtualMachineSize(
  vm: VirtualMachine,
  instancetype: VirtualMachineInstancetype | undefined,
): VirtualMachineView['size'] {
  const domain = templateSpec(vm)?.domain;
  const size: VirtualMachineView['size'] = { vcpus: 0, memory: '' };
  if (vm.spec.instancetype?.name) size.instancetype = vm.spec.instancetype.name;
  if (vm.spec.preference?.name) size.preference = vm.spec.preference.name;
  if (instancetype?.spec.cpu?.guest) {
    size.vcpus = instancetype.spec.cpu.guest;
  } else {
    const cpu = domain?.cpu;
    size.vcpus = (cpu?.cores ?? 1) * (cpu?.sockets ?? 1) * (cpu?.threads ?? 1);
  }
  size.memory =
    instancetype?.spec.memory?.guest ??
    domain?.memory?.guest ??
    domain?.resources?.requests?.memory ??
    '';
  return size;
}

/**
 * When the running VMI entered phase Running (for the uptime); undefined when it is
 * not running.
 *
 * @internal
 */
export function vmiStartedAt(
  vmi: VirtualMachineInstanceObject | undefined,
): string | undefined {
  if (vmi?.status?.phase !== 'Running') return undefined;
  const running = (vmi.status.phaseTransitionTimestamps ?? []).filter(
    t => t.phase === 'Running' && t.phaseTransitionTimestamp,
  );
  return running[running.length - 1]?.phaseTransitionTimestamp;
}

/**
 * The VM's conditions, as the page lists them.
 *
 * @internal
 */
export function viewConditions(vm: VirtualMachine): ViewCondition[] {
  const conditions = (vm.status?.conditions ?? []) as Array<
    ViewCondition & Record<string, unknown>
  >;
  return conditions.map(c => {
    const view: ViewCondition = { type: c.type, status: c.status };
    if (c.reason) view.reason = c.reason;
    if (c.message) view.message = c.message;
    if (c.lastTransitionTime) view.lastTransitionTime = c.lastTransitionTime;
    return view;
  });
}

/**
 * The guest OS the guest agent reports, when it reports one.
 *
 * @internal
 */
export function viewGuestOS(
  vmi: VirtualMachineInstanceObject | undefined,
): VirtualMachineView['guestOS'] {
  const info = vmi?.status?.guestOSInfo;
  if (!info) return undefined;
  const guest: NonNullable<VirtualMachineView['guestOS']> = {};
  for (const key of [
    'id',
    'name',
    'prettyName',
    'version',
    'kernelRelease',
  ] as const) {
    if (info[key]) guest[key] = info[key];
  }
  return Object.keys(guest).length > 0 ? guest : undefined;
}

/**
 * The VirtualMachine as YAML without what is noise to its owner: status, managed
 * fields and kubectl's copy of the last applied manifest.
 *
 * @internal
 */
export function manifestYaml(vm: VirtualMachine): string {
  const { status: _status, ...rest } = vm as VirtualMachine & {
    status?: unknown;
  };
  const metadata: Record<string, unknown> = { ...rest.metadata };
  delete metadata.managedFields;
  const annotations = metadata.annotations as
    | Record<string, string>
    | undefined;
  if (annotations?.['kubectl.kubernetes.io/last-applied-configuration']) {
    const kept = { ...annotations };
    delete kept['kubectl.kubernetes.io/last-applied-configuration'];
    if (Object.keys(kept).length > 0) metadata.annotations = kept;
    else delete metadata.annotations;
  }
  return stringify({ ...rest, metadata });
}
