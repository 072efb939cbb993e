export { VirtualMachineChanges } from './VirtualMachineChanges';
