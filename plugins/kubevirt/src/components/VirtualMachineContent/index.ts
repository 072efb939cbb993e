export { VirtualMachineContent } from './VirtualMachineContent';
