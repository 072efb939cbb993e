export { TeamVirtualMachinesCard } from './TeamVirtualMachinesCard';
