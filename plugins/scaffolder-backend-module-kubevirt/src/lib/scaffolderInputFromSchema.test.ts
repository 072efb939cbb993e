import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { virtualMachineRequestSchema } from '@vmportal/plugin-kubevirt-common';
import { z } from 'zod';
import { scaffolderInputFromSchema } from './scaffolderInputFromSchema';

/** The JSON Schema the scaffolder shows (/create/actions) and checks input against. */
function jsonSchemaOf(schema: z.ZodObject): any {
  return createTemplateAction({
    id: 'test:schema',
    schema: { input: scaffolderInputFromSchema(schema) },
    async handler() {},
  }).schema?.input;
}

describe('scaffolderInputFromSchema', () => {
  it("shows the one request schema's fields, required ones and descriptions to the scaffolder", () => {
    const schema = jsonSchemaOf(virtualMachineRequestSchema);
    expect(Object.keys(schema.properties)).toEqual(
      Object.keys(virtualMachineRequestSchema.shape),
    );
    expect(schema.required).toEqual([
      'name',
      'namespace',
      'cluster',
      'owner',
      'size',
      'image',
    ]);
    expect(schema.properties.runStrategy).toEqual({
      type: 'string',
      enum: ['Always', 'Halted', 'Manual', 'RerunOnFailure'],
      description: 'Default Always',
    });
    // A union of objects is one object whose alternatives are optional fields.
    expect(schema.properties.image).toMatchObject({
      type: 'object',
      additionalProperties: true,
      description:
        'The OS disk: exactly one of containerDisk, dataSource, registry, http',
    });
    expect(Object.keys(schema.properties.image.properties)).toEqual([
      'containerDisk',
      'dataSource',
      'size',
      'storageClass',
      'registry',
      'http',
    ]);
    expect(schema.properties.image.required).toBeUndefined();
    // A discriminator stays required, as an enum of its values.
    expect(schema.properties.networkInterfaces.items).toMatchObject({
      required: ['name', 'type'],
      properties: { type: { type: 'string', enum: ['pod', 'multus'] } },
    });
  });

  it('leaves refinements, limits and unknown fields to the schema itself', () => {
    const schema = jsonSchemaOf(
      z.strictObject({
        name: z
          .string()
          .max(3)
          .superRefine(() => {}),
        disks: z.array(z.strictObject({ size: z.string() })).max(1),
      }),
    );
    expect(schema.properties).toEqual({
      name: { type: 'string' },
      disks: {
        type: 'array',
        items: {
          type: 'object',
          properties: { size: { type: 'string' } },
          required: ['size'],
          additionalProperties: true,
        },
      },
    });
  });

  it('refuses a schema it cannot express, naming the zod type', () => {
    expect(() => jsonSchemaOf(z.object({ when: z.date() }))).toThrow(
      'scaffolderInputFromSchema cannot express a zod date schema',
    );
  });
});
