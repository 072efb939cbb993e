import { InputError } from '@backstage/errors';

/**
 * One problem with a VM request: the field (`disks[1].size`) and what is wrong with it
 * and how to fix it.
 *
 * @public
 */
export interface VirtualMachineRequestProblem {
  field: string;
  message: string;
}

/**
 * A VM request that cannot be used, with every problem found. The message lists
 * them one per line as `field: what is wrong and how to fix it`.
 *
 * @public
 */
export class VirtualMachineRequestError extends InputError {
  readonly problems: readonly VirtualMachineRequestProblem[];

  constructor(problems: VirtualMachineRequestProblem[]) {
    const lines = problems.map(p => `${p.field}: ${p.message}`);
    super(
      problems.length === 1
        ? `The virtual machine request has a problem: ${lines[0]}`
        : `The virtual machine request has ${problems.length} problems:\n${lines
            .map(line => `- ${line}`)
            .join('\n')}`,
    );
    this.problems = problems;
  }
}
