import { Header, Page } from '@backstage/core-components';
import { VirtualMachineInventory } from './VirtualMachineInventory';
import { VIRTUAL_MACHINES_SUBTITLE } from './VirtualMachinesPage';

/** The page for the legacy frontend system, which draws no header of its own. */
export function LegacyVirtualMachinesPage() {
  return (
    <Page themeId="tool">
      <Header title="Virtual machines" subtitle={VIRTUAL_MACHINES_SUBTITLE} />
      <VirtualMachineInventory />
    </Page>
  );
}
