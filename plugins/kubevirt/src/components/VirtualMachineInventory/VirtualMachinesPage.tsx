import { VirtualMachineInventory } from './VirtualMachineInventory';

/** What the inventory is, under its title. */
export const VIRTUAL_MACHINES_SUBTITLE =
  'The inventory of the virtual machines in the catalog: where each runs, its size and OS, and its live state';

/**
 * The "Virtual machines" page of the new frontend system, whose page layout draws
 * the title.
 */
export function VirtualMachinesPage() {
  return <VirtualMachineInventory description={VIRTUAL_MACHINES_SUBTITLE} />;
}
