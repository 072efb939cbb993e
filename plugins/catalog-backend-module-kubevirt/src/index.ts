/**
 * Catalog module that turns KubeVirt VirtualMachines into `virtual-machine` Components
 * owned by their teams.
 *
 * @packageDocumentation
 */

export { catalogModuleKubevirtEntityProvider as default } from './module';
export { VirtualMachineEntityProvider } from './providers/VirtualMachineEntityProvider';
export type { VirtualMachineEntityProviderDeps } from './providers/VirtualMachineEntityProvider';
export { readVirtualMachineEntityProviderConfigs } from './providers/VirtualMachineEntityProviderConfig';
export type {
  LauncherPodLabel,
  VirtualMachineEntityProviderConfig,
} from './providers/VirtualMachineEntityProviderConfig';
