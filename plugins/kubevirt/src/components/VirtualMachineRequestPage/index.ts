export { VirtualMachineRequestPage } from './VirtualMachineRequestPage';
