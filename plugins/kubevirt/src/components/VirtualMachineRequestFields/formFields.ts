import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import {
  VIRTUAL_MACHINE_CLUSTER_PICKER,
  VIRTUAL_MACHINE_IMAGE_PICKER,
  VIRTUAL_MACHINE_NAMESPACE_PICKER,
} from './fieldNames';
import { VirtualMachineClusterPicker } from './VirtualMachineClusterPicker';
import { VirtualMachineImagePicker } from './VirtualMachineImagePicker';
import { VirtualMachineNamespacePicker } from './VirtualMachineNamespacePicker';

/** The cluster picker for the new frontend system's scaffolder, loaded on demand. */
export const virtualMachineClusterPickerFormField = createFormField({
  name: VIRTUAL_MACHINE_CLUSTER_PICKER,
  component: VirtualMachineClusterPicker,
});

/** The namespace picker for the new frontend system's scaffolder. */
export const virtualMachineNamespacePickerFormField = createFormField({
  name: VIRTUAL_MACHINE_NAMESPACE_PICKER,
  component: VirtualMachineNamespacePicker,
});

/** The OS image picker for the new frontend system's scaffolder. */
export const virtualMachineImagePickerFormField = createFormField({
  name: VIRTUAL_MACHINE_IMAGE_PICKER,
  component: VirtualMachineImagePicker,
});
