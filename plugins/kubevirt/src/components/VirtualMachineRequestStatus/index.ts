export { VirtualMachineRequestStatus } from './VirtualMachineRequestStatus';
