export { VirtualMachinesPage } from './VirtualMachinesPage';
export { LegacyVirtualMachinesPage } from './LegacyVirtualMachinesPage';
export { VirtualMachineCatalogFilters } from './VirtualMachineCatalogFilters';
