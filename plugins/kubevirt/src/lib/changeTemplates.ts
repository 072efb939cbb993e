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

/**
 * Where a change's template opens with the VM preselected, under the scaffolder's
 * usual mount (as the inventory links the request template): the scaffolder fills
 * its form from `formData`.
 */
export function changeTemplatePath(
  kind: VirtualMachineChangeKind,
  entityRef: string,
): string {
  const formData = encodeURIComponent(JSON.stringify({ vm: entityRef }));
  return `/create/templates/default/${CHANGE_TEMPLATES[kind]}?formData=${formData}`;
}
