export { VirtualMachineRequestsCard } from './VirtualMachineRequestsCard';
