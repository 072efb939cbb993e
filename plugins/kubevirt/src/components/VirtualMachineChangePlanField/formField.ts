import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import { VIRTUAL_MACHINE_CHANGE_PLAN_FIELD } from './fieldName';
import { validateVirtualMachineChangePlan } from './validation';
import { VirtualMachineChangePlanField } from './VirtualMachineChangePlanField';

/** The change plan field for the new frontend system's scaffolder, loaded on demand. */
export const virtualMachineChangePlanFormField = createFormField({
  name: VIRTUAL_MACHINE_CHANGE_PLAN_FIELD,
  component: VirtualMachineChangePlanField,
  validation: validateVirtualMachineChangePlan,
});
