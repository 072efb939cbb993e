export { VirtualMachineSizePicker } from './VirtualMachineSizePicker';
export { validateVirtualMachineSize } from './validation';
export type { VirtualMachineSizePickerUiOptions } from './planTarget';
