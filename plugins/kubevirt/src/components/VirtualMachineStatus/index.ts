export { VirtualMachineStatus } from './VirtualMachineStatus';
