/** The `ui:field` that templates use for the size picker. */
export const VIRTUAL_MACHINE_SIZE_PICKER = 'VirtualMachineSizePicker';
