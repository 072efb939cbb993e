export { VirtualMachineOverviewCard } from './VirtualMachineOverviewCard';
