import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { findCondition, hasCondition } from './conditions';
import type {
  DataVolumeObject,
  VirtualMachineInstanceObject,
} from '@vmportal/plugin-kubevirt-common';
import type { VirtualMachine } from './types';

/** A VMI that will not run again (KubeVirt's `IsFinal`). */
export function isFinal(vmi: VirtualMachineInstanceObject): boolean {
  return vmi.status?.phase === 'Succeeded' || vmi.status?.phase === 'Failed';
}

/** A VMI no controller has acted on yet (`IsUnprocessed`: phase unset or Pending). */
export function isUnprocessed(vmi: VirtualMachineInstanceObject): boolean {
  return !vmi.status?.phase || vmi.status.phase === 'Pending';
}

/**
 * The VM's run strategy (`VirtualMachine.RunStrategy()`): `spec.runStrategy`,
 * or the deprecated `spec.running` (true → Always, false → Halted); Halted
 * when neither is set; an error when both are.
 */
export function runStrategyOf(vm: VirtualMachine): string {
  if (
    vm.spec.running !== undefined &&
    vm.spec.running !== null &&
    vm.spec.runStrategy
  ) {
    throw new Error('running and runstrategy are mutually exclusive');
  }
  if (vm.spec.running !== undefined && vm.spec.running !== null)
    return vm.spec.running ? 'Always' : 'Halted';
  return vm.spec.runStrategy ?? 'Halted';
}

/** What {@link printableStatus} needs besides the VM and its VMI. */
export interface PrintableStatusInputs {
  dataVolumes: (name: string) => DataVolumeObject | undefined;
  pvcs: (name: string) => V1PersistentVolumeClaim | undefined;
  /** The controller has just created the VMI and not seen it yet. */
  startExpected: boolean;
  /** The controller has just deleted the VMI. */
  stopExpected: boolean;
}

function claimNames(vm: VirtualMachine): string[] {
  return (vm.spec.template.spec.volumes ?? [])
    .map(v => v.persistentVolumeClaim?.claimName ?? v.dataVolume?.name)
    .filter((name): name is string => Boolean(name));
}

function templateDataVolumes(
  vm: VirtualMachine,
  inputs: PrintableStatusInputs,
): DataVolumeObject[] {
  return (vm.spec.template.spec.volumes ?? [])
    .map(v =>
      v.dataVolume ? inputs.dataVolumes(v.dataVolume.name) : undefined,
    )
    .filter((dv): dv is DataVolumeObject => Boolean(dv));
}

/** KubeVirt's `isSetToStart`: whether the run strategy wants a VMI now. */
export function isSetToStart(
  vm: VirtualMachine,
  vmi: VirtualMachineInstanceObject | undefined,
): boolean {
  let strategy: string;
  try {
    strategy = runStrategyOf(vm);
  } catch {
    return false;
  }
  const requests = vm.status?.stateChangeRequests ?? [];
  const startRequested = requests[0]?.action === 'Start';
  switch (strategy) {
    case 'Always':
      return true;
    case 'Manual':
      if (vmi)
        return !(
          requests[0]?.action === 'Stop' && requests[0].uid === vmi.metadata.uid
        );
      return startRequested;
    case 'RerunOnFailure':
      if (vmi) return vmi.status?.phase !== 'Succeeded';
      return startRequested || vm.status?.runStrategy !== strategy;
    case 'Once':
      return !vmi;
    default:
      return false;
  }
}

/**
 * `status.printableStatus`, as virt-controller's `setPrintableStatus` computes
 * it: the first of these that holds wins.
 */
export function printableStatus(
  vm: VirtualMachine,
  vmi: VirtualMachineInstanceObject | undefined,
  inputs: PrintableStatusInputs,
): string {
  const conditions = vmi?.status?.conditions;
  const paused = hasCondition(conditions, 'Paused', 'True');
  const running = vmi?.status?.phase === 'Running';
  const sync = findCondition(conditions, 'Synchronized');
  let strategy = '';
  try {
    strategy = runStrategyOf(vm);
  } catch {
    // an invalid VM shows the statuses that do not depend on it
  }

  const checks: Array<[string, () => boolean]> = [
    ['Terminating', () => Boolean(vm.metadata.deletionTimestamp)],
    [
      'Stopping',
      () =>
        Boolean(
          vmi &&
            !isFinal(vmi) &&
            (vmi.metadata.deletionTimestamp || inputs.stopExpected),
        ),
    ],
    [
      'Migrating',
      () =>
        Boolean(
          vmi?.status?.migrationState &&
            !(vmi.status.migrationState as { completed?: boolean }).completed,
        ),
    ],
    ['Paused', () => running && paused],
    ['Running', () => running && !paused],
    [
      'ErrorPvcNotFound',
      () =>
        hasCondition(conditions, 'Synchronized', 'False', 'FailedPvcNotFound'),
    ],
    [
      'DataVolumeError',
      () =>
        templateDataVolumes(vm, inputs).some(dv => {
          const runningCondition = findCondition(
            dv.status?.conditions,
            'Running',
          );
          return (
            dv.status?.phase === 'Failed' ||
            (runningCondition?.status === 'False' &&
              (runningCondition.reason === 'Error' ||
                runningCondition.reason === 'ImagePullFailed'))
          );
        }),
    ],
    [
      'ErrorUnschedulable',
      () => hasCondition(conditions, 'PodScheduled', 'False', 'Unschedulable'),
    ],
    [
      'Provisioning',
      () =>
        templateDataVolumes(vm, inputs).some(dv => {
          if (
            dv.status?.phase === 'Succeeded' ||
            dv.status?.phase === 'PendingPopulation'
          )
            return false;
          const bound = hasCondition(dv.status?.conditions, 'Bound', 'True');
          return bound || dv.status?.phase !== 'WaitForFirstConsumer';
        }),
    ],
    [
      'WaitingForVolumeBinding',
      () =>
        isSetToStart(vm, vmi) &&
        claimNames(vm).some(name => {
          const pvc = inputs.pvcs(name);
          return Boolean(pvc && pvc.status?.phase !== 'Bound');
        }),
    ],
    [
      'ErrImagePull',
      () => sync?.status === 'False' && sync.reason === 'ErrImagePull',
    ],
    [
      'ImagePullBackOff',
      () => sync?.status === 'False' && sync.reason === 'ImagePullBackOff',
    ],
    [
      'Starting',
      () =>
        vmi
          ? isUnprocessed(vmi) ||
            vmi.status?.phase === 'Scheduling' ||
            vmi.status?.phase === 'Scheduled'
          : inputs.startExpected,
    ],
    ['Stopped', () => (vmi ? isFinal(vmi) : !inputs.startExpected)],
    [
      'WaitingForReceiver',
      () =>
        (!vmi || vmi.status?.phase === 'WaitingForSync') &&
        strategy === 'WaitAsReceiver',
    ],
  ];
  return checks.find(([, holds]) => holds())?.[0] ?? 'Unknown';
}
