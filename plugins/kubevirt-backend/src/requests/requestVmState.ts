import type {
  VirtualMachine,
  VirtualMachineRequestVmState,
} from '@vmportal/plugin-kubevirt-common';

/**
 * A requested VM as the request page shows it: running (KubeVirt says `Running` and
 * ready), or its status and the first condition that says why not: `Failure`
 * (the VM's own sync error), else `Synchronized` False (the VMI's, e.g. its launcher
 * pod refused by quota), else `Ready` not True.
 *
 * @internal
 */
export function requestVmState(vm: VirtualMachine): {
  running: boolean;
  state: VirtualMachineRequestVmState;
} {
  const status = vm.status ?? {};
  const conditions = status.conditions ?? [];
  const running = status.printableStatus === 'Running' && status.ready === true;
  const failing = running
    ? undefined
    : conditions.find(c => c.type === 'Failure' && c.status === 'True') ??
      conditions.find(c => c.type === 'Synchronized' && c.status === 'False') ??
      conditions.find(c => c.type === 'Ready' && c.status !== 'True');
  return {
    running,
    state: {
      uid: vm.metadata.uid ?? '',
      ...(status.printableStatus && {
        printableStatus: status.printableStatus,
      }),
      ...(failing && {
        failingCondition: {
          type: failing.type,
          ...(failing.reason && { reason: failing.reason }),
          ...(failing.message && { message: failing.message }),
        },
      }),
    },
  };
}
