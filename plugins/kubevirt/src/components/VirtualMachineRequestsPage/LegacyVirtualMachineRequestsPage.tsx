import { Header, Page } from '@backstage/core-components';
import { VirtualMachineRequestsPage } from './VirtualMachineRequestsPage';

/** The page for the legacy frontend system, which draws no header of its own. */
export function LegacyVirtualMachineRequestsPage() {
  return (
    <Page themeId="tool">
      <Header title="VM requests" />
      <VirtualMachineRequestsPage />
    </Page>
  );
}
