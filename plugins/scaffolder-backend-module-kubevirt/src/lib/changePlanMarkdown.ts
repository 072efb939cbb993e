/* eslint-disable no-control-regex -- stripping control characters is the point here */
import {
  formatQuantityForHumans,
  Quantity,
  VirtualMachineChangePlan,
} from '@vmportal/plugin-kubevirt-common';

const TIMING: Record<VirtualMachineChangePlan['takesEffect'], string> = {
  live: 'on the running VM, without a restart',
  restart:
    'when the VM is next restarted (the VM page then says "restart required")',
  'next-start': 'when the VM next starts',
  'on-apply': 'as soon as it is applied',
};

/** Text for a Markdown table cell: one line, no pipes, no control characters. */
function cell(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();
}

/** A quantity as the backend sent it (text), as a person reads it for `resource`. */
function human(resource: string, value: unknown): string {
  const quantity = Quantity.tryParse(String(value));
  return quantity ? formatQuantityForHumans(resource, quantity) : String(value);
}

/**
 * A change plan as the pull request's body shows it: the change, when it takes
 * effect, what it adds to each quota, and the notes.
 *
 * @internal
 */
export function changePlanMarkdown(plan: VirtualMachineChangePlan): string {
  const lines = [
    `**${cell(plan.summary)}** (${cell(
      `${plan.vm.cluster}/${plan.vm.namespace}`,
    )})`,
    '',
    `Takes effect ${TIMING[plan.takesEffect]}.`,
  ];
  if (plan.quota.rows.length > 0) {
    lines.push(
      '',
      '| Quota | Resource | Used | This change adds | After | Limit | Fits |',
      '|---|---|---|---|---|---|---|',
      ...plan.quota.rows.map(
        row =>
          `| ${cell(row.quota)} | ${cell(row.resource)} | ${human(
            row.resource,
            row.used,
          )} | ${human(row.resource, row.thisVm)} | ${human(
            row.resource,
            row.after,
          )} | ${human(row.resource, row.hard)} | ${row.fits ? 'yes' : 'NO'} |`,
      ),
    );
  } else {
    lines.push('', 'It adds nothing to the namespace’s quotas.');
  }
  const notes = [...plan.notes, ...(plan.quota.unknowns ?? [])];
  if (notes.length > 0) {
    lines.push('', ...notes.map(note => `- ${cell(note)}`));
  }
  return lines.join('\n');
}
