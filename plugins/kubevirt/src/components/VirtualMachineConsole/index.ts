export { VirtualMachineConsole } from './VirtualMachineConsole';
export { hasConsole } from './hasConsole';
