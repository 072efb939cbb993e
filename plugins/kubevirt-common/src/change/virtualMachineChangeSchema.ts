import { z } from 'zod';
import {
  customSizeSchema,
  dataDiskSchema,
  instancetypeSizeSchema,
} from '../request/virtualMachineRequestSchema';

/**
 * KubeVirt's run strategies a VM owner may choose (`spec.runStrategy`).
 *
 * @public
 */
export const CHANGEABLE_RUN_STRATEGIES = [
  'Always',
  'Halted',
  'Manual',
  'RerunOnFailure',
] as const;

/**
 * A day-2 change to a virtual machine, asked for by pull request: the body of the
 * kubevirt backend's change-plan route and the `change` input of the scaffolder's
 * `kubevirt:vm:change` action.
 *
 * - `resize`: another instancetype, or (for a VM without one) vCPUs and memory;
 * - `add-disk`: an empty disk, hot-plugged into a running VM;
 * - `run-strategy`: how KubeVirt keeps the VM running;
 * - `decommission`: delete the VM and its disks; `confirm` must be the VM's name;
 * - `adopt`: put a VM that was made by hand into the GitOps repository as it is.
 *
 * @public
 */
export const virtualMachineChangeSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('resize'),
    instancetype:
      instancetypeSizeSchema.shape.instancetype.shape.name.optional(),
    cpu: customSizeSchema.shape.cpu.shape.cores.optional(),
    memory: customSizeSchema.shape.memory.optional(),
  }),
  z.strictObject({
    kind: z.literal('add-disk'),
    ...dataDiskSchema.shape,
  }),
  z.strictObject({
    kind: z.literal('run-strategy'),
    runStrategy: z.enum(CHANGEABLE_RUN_STRATEGIES),
  }),
  z.strictObject({
    kind: z.literal('decommission'),
    confirm: z
      .string()
      .max(253)
      .describe("The VM's name, typed again: nothing else deletes it"),
  }),
  z.strictObject({ kind: z.literal('adopt') }),
]);

/**
 * A day-2 change to a virtual machine (see {@link virtualMachineChangeSchema}).
 *
 * @public
 */
export type VirtualMachineChange = z.infer<typeof virtualMachineChangeSchema>;

/**
 * The kinds of {@link VirtualMachineChange}.
 *
 * @public
 */
export type VirtualMachineChangeKind = VirtualMachineChange['kind'];
