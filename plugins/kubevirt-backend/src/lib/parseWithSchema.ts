import { InputError } from '@backstage/errors';
import { z } from 'zod';

/**
 * Parses `value` with zod; a failed parse is an `InputError` naming each field
 * (`what` when the value itself is wrong).
 *
 * @internal
 */
export function parseWithSchema<T>(
  schema: z.ZodType<T>,
  value: unknown,
  what: string,
): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      issue =>
        `${issue.path.length > 0 ? issue.path.join('.') : what}: ${
          issue.message
        }`,
    );
    throw new InputError(`Invalid ${what}: ${problems.join('; ')}`);
  }
  return result.data;
}
