export { VirtualMachineRequestsTable } from './VirtualMachineRequestsTable';
