import type {
  VirtualMachine,
  VirtualMachineVolume,
} from './kube/kubevirtObjects';

/**
 * Volume sources that carry configuration for the guest (cloud-init, secrets, config
 * maps, sysprep...), not its data: they are not counted as disks.
 *
 * @public
 */
export const CONFIG_VOLUME_SOURCES: readonly string[] = [
  'cloudInitNoCloud',
  'cloudInitConfigDrive',
  'configMap',
  'secret',
  'serviceAccount',
  'downwardAPI',
  'downwardMetrics',
  'sysprep',
];

/** Volume sources KubeVirt knows, in the order they are looked for. */
const VOLUME_SOURCES: readonly string[] = [
  'containerDisk',
  'dataVolume',
  'persistentVolumeClaim',
  ...CONFIG_VOLUME_SOURCES,
  'emptyDisk',
  'ephemeral',
  'hostDisk',
  'memoryDump',
];

/**
 * The source a volume is made from (`containerDisk`, `dataVolume`, `cloudInitNoCloud`,
 * ...): the first source KubeVirt knows, else its first other field.
 *
 * @public
 */
export function volumeSourceType(volume: VirtualMachineVolume): string {
  return (
    VOLUME_SOURCES.find(source => volume[source] !== undefined) ??
    Object.keys(volume).find(key => key !== 'name') ??
    'unknown'
  );
}

/**
 * The run strategies KubeVirt knows.
 *
 * @public
 */
export const VIRTUAL_MACHINE_RUN_STRATEGIES = [
  'Always',
  'Halted',
  'Manual',
  'RerunOnFailure',
  'Once',
  'WaitAsReceiver',
] as const;

/**
 * A VirtualMachine's effective run strategy: `spec.runStrategy`, else the deprecated
 * `spec.running` (true is Always, false is Halted), else Halted as KubeVirt defaults.
 *
 * @public
 */
export function virtualMachineRunStrategy(vm: VirtualMachine): string {
  if (vm.spec.runStrategy) return vm.spec.runStrategy;
  if (vm.spec.running === true) return 'Always';
  return 'Halted';
}
