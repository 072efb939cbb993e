import type { VirtualMachineChangeKind } from '@vmportal/plugin-kubevirt-common';

/**
 * The software templates (namespace `default`) that ask for each day-2 change by
 * pull request; each takes the VM's entity ref in its `vm` field.
 */
export const CHANGE_TEMPLATES: Record<VirtualMachineChangeKind, string> = {
  resize: 'resize-virtual-machine',
  'add-disk': 'add-virtual-machine-disk',
  'run-strategy': 'change-virtual-machine-run-strategy',
  decommission: 'decommission-virtual-machine',
  adopt: 'adopt-virtual-machine',
};

/** The resize template for a VM without an instancetype: vCPUs and memory. */
export const CUSTOM_SIZE_TEMPLATE = 'resize-virtual-machine-custom';

/**
 * Where a change's template opens with the VM preselected, under the scaffolder's
 * usual mount (as the inventory links the request template): the scaffolder fills
 * its form from `formData`. `template` overrides the kind's template.
 */
export function changeTemplatePath(
  kind: VirtualMachineChangeKind,
  entityRef: string,
  template: string = CHANGE_TEMPLATES[kind],
): string {
  const formData = encodeURIComponent(JSON.stringify({ vm: entityRef }));
  return `/create/templates/default/${template}?formData=${formData}`;
}
