export { VirtualMachineMigration } from './VirtualMachineMigration';
