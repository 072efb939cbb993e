import { z } from 'zod';
import type { z as zod3 } from 'zod/v3';

type Zod3 = typeof zod3;

/** A scaffolder action's `schema.input`: one zod 3 builder per field of `Shape`. */
export type ScaffolderInput<Shape> = {
  [K in keyof Shape]: (z3: Zod3) => zod3.ZodTypeAny;
};

/**
 * A scaffolder action's `schema.input` (one `z => schema` builder per field, in the
 * zod 3 API that `@backstage/plugin-scaffolder-node` builds JSON Schema with) made
 * from a zod 4 object schema, such as kubevirt-common's one VM request schema.
 *
 * The result is deliberately looser than `schema`: the field names, types, enums,
 * required fields and descriptions carry over (they are what /create/actions shows and
 * what the scaffolder checks before the step runs), while refinements, length limits
 * and defaults do not, objects let unknown fields through and a union of objects
 * becomes one object whose alternatives are optional fields. The action then parses
 * its input with `schema` itself, which names every problem in the user's terms;
 * JSON Schema's own errors would not.
 */
export function scaffolderInputFromSchema<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
): ScaffolderInput<Shape> {
  return Object.fromEntries(
    Object.entries(schema.shape).map(([field, fieldSchema]) => [
      field,
      (z3: Zod3) => loose(fieldSchema as z.ZodType, z3),
    ]),
  ) as ScaffolderInput<Shape>;
}

function loose(schema: z.ZodType, z3: Zod3): zod3.ZodTypeAny {
  const converted = looseType(schema, z3);
  return schema.description
    ? converted.describe(schema.description)
    : converted;
}

function looseType(schema: z.ZodType, z3: Zod3): zod3.ZodTypeAny {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) {
    return loose(schema.unwrap() as z.ZodType, z3).optional();
  }
  if (schema instanceof z.ZodPipe) return loose(schema.in as z.ZodType, z3);
  if (schema instanceof z.ZodString) return z3.string();
  if (schema instanceof z.ZodNumber) return z3.number();
  if (schema instanceof z.ZodBoolean) return z3.boolean();
  if (schema instanceof z.ZodEnum) {
    return z3.enum(schema.options.map(String) as [string, ...string[]]);
  }
  if (schema instanceof z.ZodLiteral) {
    const [value, ...more] = [...schema.values];
    if (more.length === 0 && typeof value === 'string') {
      return z3.literal(value);
    }
  }
  if (schema instanceof z.ZodArray) {
    return z3.array(loose(schema.element as z.ZodType, z3));
  }
  if (schema instanceof z.ZodRecord) {
    return z3.record(z3.string(), loose(schema.valueType as z.ZodType, z3));
  }
  if (schema instanceof z.ZodObject) {
    return z3
      .object(
        Object.fromEntries(
          Object.entries(schema.shape).map(([key, value]) => [
            key,
            loose(value as z.ZodType, z3),
          ]),
        ),
      )
      .passthrough();
  }
  if (schema instanceof z.ZodUnion) {
    const options = schema.options as z.ZodType[];
    if (options.every(option => option instanceof z.ZodObject)) {
      return mergedObject(options as z.ZodObject[], z3);
    }
  }
  throw new Error(
    `scaffolderInputFromSchema cannot express a zod ${schema.def.type} schema; add it`,
  );
}

/** What a field takes, inside its optional, default and transform wrappers. */
function withoutOptional(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) {
    return withoutOptional(schema.unwrap() as z.ZodType);
  }
  if (schema instanceof z.ZodPipe) {
    return withoutOptional(schema.in as z.ZodType);
  }
  return schema;
}

/**
 * One object with every field of the alternatives; a field is required only when
 * every alternative requires it (a discriminator, say).
 */
function mergedObject(options: z.ZodObject[], z3: Zod3): zod3.ZodTypeAny {
  const fields = new Map<string, z.ZodType[]>();
  for (const option of options) {
    for (const [key, value] of Object.entries(option.shape)) {
      fields.set(key, [...(fields.get(key) ?? []), value as z.ZodType]);
    }
  }
  const shape: Record<string, zod3.ZodTypeAny> = {};
  for (const [key, schemas] of fields) {
    // Optionality is the merged field's, so compare and convert what is inside it.
    const distinct = [...new Set(schemas.map(withoutOptional))];
    const converted = distinct.map(s => loose(s, z3));
    const merged =
      converted.length === 1
        ? converted[0]
        : z3.union(converted as [zod3.ZodTypeAny, zod3.ZodTypeAny]);
    const description = schemas.find(s => s.description)?.description;
    const described = description ? merged.describe(description) : merged;
    const required =
      schemas.length === options.length && !schemas.some(s => s.isOptional());
    shape[key] = required ? described : described.optional();
  }
  return z3.object(shape).passthrough();
}
