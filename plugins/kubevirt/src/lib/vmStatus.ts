import type {
  PowerAction,
  ViewCondition,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';

/** How the page shows a printableStatus. */
export type StatusKind = 'ok' | 'stopped' | 'paused' | 'changing' | 'error';

/** Sorts KubeVirt's printableStatus values by what they mean for the owner. */
export function statusKind(printableStatus: string): StatusKind {
  switch (printableStatus) {
    case 'Running':
      return 'ok';
    case 'Stopped':
      return 'stopped';
    case 'Paused':
      return 'paused';
    case 'Starting':
    case 'Stopping':
    case 'Terminating':
    case 'Provisioning':
    case 'Migrating':
    case 'WaitingForVolumeBinding':
      return 'changing';
    default:
      // CrashLoopBackOff, ErrorUnschedulable, ErrImagePull, ImagePullBackOff,
      // ErrorPvcNotFound, DataVolumeError, Unknown, and anything newer.
      return 'error';
  }
}

/** The printableStatus a power action leads to. */
export function targetStatus(action: PowerAction): string {
  switch (action) {
    case 'stop':
      return 'Stopped';
    case 'pause':
      return 'Paused';
    default:
      return 'Running';
  }
}

/** Button label of a power action. */
export function actionLabel(action: PowerAction): string {
  return action.charAt(0).toLocaleUpperCase('en-US') + action.slice(1);
}

/** What the VM is doing while an action is under way: `Stopping`. */
export function actionProgressLabel(action: PowerAction): string {
  switch (action) {
    case 'stop':
      return 'Stopping';
    case 'start':
      return 'Starting';
    case 'restart':
      return 'Restarting';
    case 'pause':
      return 'Pausing';
    default:
      return 'Unpausing';
  }
}

/**
 * KubeVirt's `RestartRequired` condition, when True: the VM's spec changed in a way
 * KubeVirt cannot apply to the running guest, which keeps its old settings until
 * it restarts.
 */
export function restartRequiredCondition(
  view: Pick<VirtualMachineView, 'conditions'>,
): ViewCondition | undefined {
  return view.conditions.find(
    c => c.type === 'RestartRequired' && c.status === 'True',
  );
}
