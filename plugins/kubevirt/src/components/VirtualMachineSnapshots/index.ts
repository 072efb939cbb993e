export { VirtualMachineSnapshots } from './VirtualMachineSnapshots';
