import type { VirtualMachineView } from '@vmportal/plugin-kubevirt-common';

/**
 * The printableStatus values of a VM whose VMI runs: the backend opens a console only
 * then (paused and migrating guests still have one).
 */
const WITH_RUNNING_GUEST: ReadonlySet<string> = new Set([
  'Running',
  'Paused',
  'Migrating',
]);

/** Whether the VM page offers the VM's console. */
export function hasConsole(
  view: Pick<VirtualMachineView, 'printableStatus'>,
): boolean {
  return WITH_RUNNING_GUEST.has(view.printableStatus);
}
