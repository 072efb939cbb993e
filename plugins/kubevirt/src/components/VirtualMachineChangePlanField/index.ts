export { VirtualMachineChangePlanField } from './VirtualMachineChangePlanField';
export { validateVirtualMachineChangePlan } from './validation';
export type { VirtualMachineChangePlanFieldUiOptions } from './changeTarget';
