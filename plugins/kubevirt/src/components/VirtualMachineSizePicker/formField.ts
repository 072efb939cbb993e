import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import { VIRTUAL_MACHINE_SIZE_PICKER } from './fieldName';
import { validateVirtualMachineSize } from './validation';
import { VirtualMachineSizePicker } from './VirtualMachineSizePicker';

/** The size picker for the new frontend system's scaffolder, loaded on demand. */
export const virtualMachineSizePickerFormField = createFormField({
  name: VIRTUAL_MACHINE_SIZE_PICKER,
  component: VirtualMachineSizePicker,
  validation: validateVirtualMachineSize,
});
