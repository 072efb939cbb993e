/** The `ui:field` that the change templates use for the change plan. */
export const VIRTUAL_MACHINE_CHANGE_PLAN_FIELD =
  'VirtualMachineChangePlanField';
