import {
  validateVirtualMachineRequest,
  VirtualMachineRequest,
  VirtualMachineRequestError,
  VirtualMachineRequestProblem,
  virtualMachineRequestSchema,
} from '@vmportal/plugin-kubevirt-common';
import {
  ScaffolderInput,
  scaffolderInputFromSchema,
} from '../lib/scaffolderInputFromSchema';
import { visibleMessage } from '@vmportal/plugin-kubevirt-common';

/**
 * The VM request fields both actions take, made from kubevirt-common's one request
 * schema for the scaffolder (JSON Schema in /create/actions). Deliberately loose (see
 * {@link scaffolderInputFromSchema}): `validateVirtualMachineRequest` parses the
 * request with the schema itself and names every problem in the user's terms.
 */
export const virtualMachineRequestInput: ScaffolderInput<
  typeof virtualMachineRequestSchema.shape
> = scaffolderInputFromSchema(virtualMachineRequestSchema);

/** Optional text fields a template may leave empty ('') when the form field is. */
const OPTIONAL_TEXT = new Set(['description', 'sshPublicKey', 'storageClass']);

function withoutEmptyOptionalText(value: unknown, depth: number): unknown {
  if (depth > 3 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value))
    return value.map(item => withoutEmptyOptionalText(item, depth + 1));
  // fromEntries defines own properties: a `__proto__` key stays data for the validator.
  return Object.fromEntries(
    Object.entries(value)
      .filter(
        ([key, item]) =>
          item !== undefined &&
          !(
            OPTIONAL_TEXT.has(key) &&
            typeof item === 'string' &&
            item.trim() === ''
          ),
      )
      .map(([key, item]) => [key, withoutEmptyOptionalText(item, depth + 1)]),
  );
}

/**
 * The VM request part of an action's input: every field but the action's own (so that
 * the validator names unknown ones), without the empty strings a template leaves in
 * unfilled optional text fields (`description`, `sshPublicKey`, a disk's
 * `storageClass`).
 */
export function requestPartOf(
  input: object,
  actionFields: readonly string[],
): Record<string, unknown> {
  const request = Object.fromEntries(
    Object.entries(input).filter(([field]) => !actionFields.includes(field)),
  );
  return withoutEmptyOptionalText(request, 0) as Record<string, unknown>;
}

/**
 * Every problem of the request part of `input` (see {@link requestPartOf}), each
 * message with invisible characters made visible, or the validated request.
 */
export function checkRequest(
  input: object,
  actionFields: readonly string[],
):
  | { request: VirtualMachineRequest; problems: [] }
  | { request?: undefined; problems: VirtualMachineRequestProblem[] } {
  try {
    return {
      request: validateVirtualMachineRequest(
        requestPartOf(input, actionFields),
      ),
      problems: [],
    };
  } catch (error) {
    if (!(error instanceof VirtualMachineRequestError)) throw error;
    return {
      problems: error.problems.map(p => ({
        field: visibleMessage(p.field),
        message: visibleMessage(p.message),
      })),
    };
  }
}
