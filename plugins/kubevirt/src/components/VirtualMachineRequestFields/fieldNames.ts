/** The `ui:field` names templates use for the request form's pickers. */
export const VIRTUAL_MACHINE_CLUSTER_PICKER = 'VirtualMachineClusterPicker';
export const VIRTUAL_MACHINE_NAMESPACE_PICKER = 'VirtualMachineNamespacePicker';
export const VIRTUAL_MACHINE_IMAGE_PICKER = 'VirtualMachineImagePicker';
