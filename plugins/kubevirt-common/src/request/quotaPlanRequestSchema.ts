import { z } from 'zod';
import {
  customSizeSchema,
  dataDiskSchema,
  instancetypeSizeSchema,
  MAX_DATA_DISKS,
  osImageSchema,
  preferenceSchema,
} from './virtualMachineRequestSchema';

/**
 * The body of the kubevirt backend's quota plan route
 * (`POST /v1/clusters/:cluster/namespaces/:namespace/plan`), which the size picker sends
 * while the form is filled in: the size and disk fields of
 * {@link virtualMachineRequestSchema}, flattened (the instancetype and preference by
 * name, `cpu` as the cores), and the OS disk, with the same checks.
 *
 * @public
 */
export const quotaPlanRequestSchema = z
  .strictObject({
    instancetype:
      instancetypeSizeSchema.shape.instancetype.shape.name.optional(),
    cpu: customSizeSchema.shape.cpu.shape.cores.optional(),
    memory: customSizeSchema.shape.memory.optional(),
    preference: preferenceSchema.shape.name.optional(),
    disks: z.array(dataDiskSchema).max(MAX_DATA_DISKS).optional(),
    image: osImageSchema
      .optional()
      .describe(
        'The OS disk as the request has it; without it, a container disk (no claim)',
      ),
  })
  .refine(
    body =>
      body.instancetype !== undefined ||
      (body.cpu !== undefined && body.memory !== undefined),
    'give an instancetype, or cpu and memory',
  );
