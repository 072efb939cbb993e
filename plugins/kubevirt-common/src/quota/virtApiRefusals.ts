import type { VirtualMachineInstanceLike } from '../kube/kubevirtObjects';
import type { ResolvedKubeVirtSettings } from './kubevirtSettings';

/*
 * The reasons virt-api's VMI validation (KubeVirt v1.9.0 admitters.VMICreateAdmitter)
 * gives for refusing a defaulted VMI, in its own words, for the shapes this package
 * models. Not every rule of virt-api is here: the ones a portal request can reach.
 */

/** virt-api's causes for refusing `vmi` (defaulted); empty when it admits it. */
export function virtApiRefusals(
  vmi: VirtualMachineInstanceLike,
  settings: ResolvedKubeVirtSettings,
): string[] {
  const causes: string[] = [];
  const spec = vmi.spec;
  const devices = spec.domain.devices ?? {};
  const networks = new Map((spec.networks ?? []).map(n => [n.name, n]));

  // pkg/network/admitter/binding.go validateBridgeBinding.
  for (const iface of devices.interfaces ?? []) {
    if (
      iface.bridge &&
      networks.get(iface.name)?.pod &&
      !settings.permitBridgeInterfaceOnPodNetwork
    ) {
      causes.push(
        'Bridge on pod network configuration is not enabled under kubevirt-config',
      );
    }
  }

  // The rest in the order of vmi-create-admitter.go ValidateVirtualMachineInstanceSpec.
  // validateVolumes: a downwardMetrics volume needs the DownwardMetrics gate.
  if (
    (spec.volumes ?? []).some(v => v.downwardMetrics) &&
    !settings.featureGate('DownwardMetrics')
  ) {
    causes.push(
      'downwardMetrics disks are not allowed: DownwardMetrics feature gate is not enabled.',
    );
  }

  // validateHostDevicesWithPassthroughEnabled: host devices need the HostDevices gate.
  if (
    (devices.hostDevices?.length ?? 0) > 0 &&
    !settings.featureGate('HostDevices')
  ) {
    causes.push('Host Devices feature gate is not enabled in kubevirt-config');
  }

  // validateVSOCK: autoattachVSOCK needs the VSOCK gate.
  if (devices.autoattachVSOCK === true && !settings.featureGate('VSOCK')) {
    causes.push('VSOCK feature gate is not enabled in kubevirt-config');
  }

  // validatePersistentReservation: a LUN with a reservation needs
  // persistentReservationConfiguration.enabled (or the old gate named in featureGates).
  const reservation = (devices.disks ?? []).some(
    disk =>
      (disk.lun as { reservation?: boolean } | undefined)?.reservation === true,
  );
  const prConfig = settings.config.persistentReservationConfiguration as
    | { enabled?: boolean }
    | undefined;
  const prEnabled =
    prConfig?.enabled ??
    (settings.config.developerConfiguration?.featureGates ?? []).includes(
      'PersistentReservation',
    );
  if (reservation && !prEnabled) {
    causes.push('persistent reservation is not enabled in kubevirt config');
  }

  // validateFilesystemsWithVirtIOFSEnabled: a storage volume (PVC or DataVolume)
  // shared with virtiofs needs the EnableVirtioFsStorageVolumes gate.
  const volumes = new Map((spec.volumes ?? []).map(v => [v.name, v]));
  for (const filesystem of devices.filesystems ?? []) {
    const volume = volumes.get(filesystem.name);
    if (
      volume &&
      (volume.persistentVolumeClaim || volume.dataVolume) &&
      !settings.featureGate('EnableVirtioFsStorageVolumes')
    ) {
      causes.push(
        'virtiofs is not allowed: virtiofs feature gate is not enabled for PVC',
      );
    }
  }
  // validateReservedOverheadMemlock: reservedOverhead needs the ReservedOverheadMemlock gate.
  if (
    spec.domain.memory?.reservedOverhead &&
    !settings.featureGate('ReservedOverheadMemlock')
  ) {
    causes.push(
      'Reserved overhead memlock feature gate is not enabled in kubevirt-config',
    );
  }

  // ValidateVirtualMachineInstanceMetadata: hook sidecars need the Sidecar gate.
  if (
    vmi.metadata?.annotations?.['hooks.kubevirt.io/hookSidecars'] &&
    !settings.featureGate('Sidecar')
  ) {
    causes.push(
      'sidecar feature gate is not enabled in kubevirt-config, invalid entry metadata.annotations.hooks.kubevirt.io/hookSidecars',
    );
  }
  return [...new Set(causes)];
}
