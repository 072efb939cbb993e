/**
 * Frontend plugin for KubeVirt virtual machines: the VM page, power actions for owners,
 * the team card, the VM inventory (page, catalog columns, filters and CSV export) and
 * the quota-aware size picker of the request form.
 *
 * @packageDocumentation
 */

export {
  EntityTeamVirtualMachinesCard,
  EntityVirtualMachineContent,
  EntityVirtualMachineOverviewCard,
  EntityVirtualMachineRequestsCard,
  VirtualMachineCatalogFilters,
  VirtualMachineRequestsPage,
  VirtualMachinesPage,
  VirtualMachineChangePlanFieldExtension,
  VirtualMachineClusterPickerFieldExtension,
  VirtualMachineImagePickerFieldExtension,
  VirtualMachineNamespacePickerFieldExtension,
  VirtualMachineSizePickerFieldExtension,
  kubevirtPlugin,
} from './plugin';
export { kubevirtApiRef } from './api/KubevirtApi';
export type {
  AsJson,
  KubevirtApi,
  KubevirtCluster,
  MigrationStarted,
  QuotaPlan,
  RestoreStarted,
  SnapshotTaken,
  VirtualMachineChangePlan,
  VirtualMachineConsoleConnection,
  VirtualMachineConsoleType,
  VirtualMachineRequestFilter,
} from './api/KubevirtApi';
export type {
  QuotaPlanRequest,
  TrackedVirtualMachineRequest,
  VirtualMachineSize,
} from '@vmportal/plugin-kubevirt-common';
export { KubevirtBackendClient } from './api/KubevirtBackendClient';
export {
  virtualMachineCatalogColumns,
  virtualMachineColumns,
} from './components/VirtualMachineInventory/virtualMachineCatalogColumns';
export { virtualMachineInventoryCsvExporter } from './components/VirtualMachineInventory/virtualMachineInventoryCsvExporter';
export { isVirtualMachineAvailable } from './lib/isVirtualMachineAvailable';
export type { VirtualMachineSizePickerUiOptions } from './components/VirtualMachineSizePicker/planTarget';
export type { VirtualMachineChangePlanFieldUiOptions } from './components/VirtualMachineChangePlanField/changeTarget';
export type {
  EphemeralImageOption,
  VirtualMachineImageChoice,
  VirtualMachineImagePickerUiOptions,
} from './components/VirtualMachineRequestFields/imageChoice';
export type { VirtualMachineNamespacePickerUiOptions } from './components/VirtualMachineRequestFields/VirtualMachineNamespacePicker';
