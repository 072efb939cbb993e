export { VirtualMachineRestartRequired } from './VirtualMachineRestartRequired';
