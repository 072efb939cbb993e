export { VirtualMachineRequestsPage } from './VirtualMachineRequestsPage';
export { LegacyVirtualMachineRequestsPage } from './LegacyVirtualMachineRequestsPage';
