export { VirtualMachineRequestLink } from './VirtualMachineRequestLink';
