import type { CustomFieldValidator } from '@backstage/plugin-scaffolder-react';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { changePlanProblems } from './changePlanText';
import {
  changeTarget,
  VirtualMachineChangePlanFieldUiOptions,
} from './changeTarget';

/**
 * Refuses a change that cannot be asked for (it does not fit the namespace's quota:
 * the quota is named), as the backend's change plan says; the scaffolder runs it
 * when the user moves to the next step.
 */
export const validateVirtualMachineChangePlan: CustomFieldValidator<
  string,
  VirtualMachineChangePlanFieldUiOptions
> = async (value, validation, context) => {
  const { misconfigured, entityRef, change } = changeTarget(
    context.formData,
    context.uiSchema?.['ui:options'],
    value,
  );
  if (misconfigured) {
    validation.addError(misconfigured);
    return;
  }
  if (!entityRef) {
    validation.addError(
      'Choose the virtual machine first: the change is checked against its quota.',
    );
    return;
  }
  if (!change) {
    // Nothing chosen yet: the required fields say what is missing.
    return;
  }
  const api = context.apiHolder.get(kubevirtApiRef);
  if (!api) {
    validation.addError(
      'The KubeVirt plugin is not installed in this app, so the change cannot be checked.',
    );
    return;
  }
  try {
    const plan = await api.planVirtualMachineChange(entityRef, change);
    if (!plan.fits) {
      validation.addError(
        `${plan.summary} cannot be asked for: ${changePlanProblems(plan).join(
          '; ',
        )}`,
      );
    }
  } catch (error) {
    validation.addError(
      `Could not check this change: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
};
