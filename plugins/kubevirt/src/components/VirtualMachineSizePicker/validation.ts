import type { CustomFieldValidator } from '@backstage/plugin-scaffolder-react';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { planTarget, VirtualMachineSizePickerUiOptions } from './planTarget';

/**
 * Refuses a size that does not fit the namespace's quota, with the shortfall; the
 * scaffolder runs it when the user moves to the next step.
 */
export const validateVirtualMachineSize: CustomFieldValidator<
  string,
  VirtualMachineSizePickerUiOptions
> = async (value, validation, context) => {
  if (!value) {
    return;
  }
  const { cluster, namespace, request } = planTarget(
    context.formData,
    context.uiSchema?.['ui:options'],
    value,
  );
  if (!cluster || !namespace) {
    validation.addError(
      'Choose a cluster and a namespace first: the size is checked against their quota.',
    );
    return;
  }
  const api = context.apiHolder.get(kubevirtApiRef);
  if (!api) {
    validation.addError(
      'The KubeVirt plugin is not installed in this app, so the quota cannot be checked.',
    );
    return;
  }
  try {
    const plan = await api.planRequest(cluster, namespace, request);
    if (!plan.fits) {
      validation.addError(
        `${value} does not fit the quota of ${namespace} on ${cluster}: ${[
          ...plan.shortfalls,
          ...plan.problems,
        ].join('; ')}`,
      );
    }
  } catch (error) {
    validation.addError(
      `Could not check the quota of ${namespace}: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
};
