import {
  validateVirtualMachineRequest,
  VirtualMachineRequest,
  VirtualMachineRequestError,
  VirtualMachineRequestProblem,
} from '@vmportal/plugin-kubevirt-common';
import { visibleMessage } from '../lib/visibleText';
import type { z as zod } from 'zod/v3';

type Z = typeof zod;

const preference = (z: Z) =>
  z
    .object({
      name: z.string().describe('Preference name, e.g. fedora'),
      kind: z
        .enum(['VirtualMachineClusterPreference', 'VirtualMachinePreference'])
        .optional()
        .describe('Default VirtualMachineClusterPreference'),
    })
    .passthrough()
    .describe('Guest OS defaults (disk bus, firmware, TPM)');

const storage = (z: Z) => ({
  size: z
    .string()
    .optional()
    .describe('Disk size, e.g. 30Gi (persistent OS disks)'),
  storageClass: z
    .string()
    .optional()
    .describe("Storage class; default the cluster's (virt) default"),
});

/**
 * The VM request fields both actions take, as zod schemas for the scaffolder (JSON
 * Schema in /create/actions). Deliberately loose (alternatives are optional fields,
 * unknown fields pass): `validateVirtualMachineRequest` checks the request and names
 * every problem in the user's terms, which JSON Schema errors would not.
 */
export const virtualMachineRequestInput = {
  cluster: (z: Z) =>
    z
      .string()
      .describe(
        'Cluster name as configured under kubernetes.clusterLocatorMethods',
      ),
  namespace: (z: Z) => z.string().describe("The team's namespace"),
  name: (z: Z) =>
    z
      .string()
      .describe(
        "VM name: lowercase letters, digits and '-', at most 63 characters",
      ),
  owner: (z: Z) =>
    z
      .string()
      .describe(
        'Owning group: group:default/team-a (or team-a); its team reviews the pull request',
      ),
  description: (z: Z) =>
    z
      .string()
      .optional()
      .describe('What the VM is for (plain text, under 1000 characters)'),
  size: (z: Z) =>
    z
      .object({
        instancetype: z
          .object({
            name: z.string().describe('Instancetype, e.g. u1.medium'),
            kind: z
              .enum([
                'VirtualMachineClusterInstancetype',
                'VirtualMachineInstancetype',
              ])
              .optional()
              .describe('Default VirtualMachineClusterInstancetype'),
          })
          .passthrough()
          .optional(),
        cpu: z
          .object({
            cores: z.number(),
            sockets: z.number().optional(),
            threads: z.number().optional(),
          })
          .passthrough()
          .optional()
          .describe('Custom size: vCPUs = cores × sockets × threads'),
        memory: z
          .string()
          .optional()
          .describe('Custom size: guest memory, e.g. 4Gi'),
        preference: preference(z).optional(),
      })
      .passthrough()
      .describe(
        'Either instancetype, or cpu and memory; optionally a preference',
      ),
  image: (z: Z) =>
    z
      .object({
        containerDisk: z
          .object({ image: z.string() })
          .passthrough()
          .optional()
          .describe('Ephemeral OS disk from a container image'),
        dataSource: z
          .object({ name: z.string(), namespace: z.string() })
          .passthrough()
          .optional()
          .describe('Persistent OS disk cloned from a CDI DataSource'),
        registry: z
          .object({ url: z.string() })
          .passthrough()
          .optional()
          .describe('Persistent OS disk imported from docker://…'),
        http: z
          .object({ url: z.string() })
          .passthrough()
          .optional()
          .describe('Persistent OS disk downloaded from https://…'),
        ...storage(z),
      })
      .passthrough()
      .describe(
        'The OS disk: exactly one of containerDisk, dataSource, registry, http',
      ),
  disks: (z: Z) =>
    z
      .array(z.object({ name: z.string(), ...storage(z) }).passthrough())
      .optional()
      .describe('Extra empty disks (DataVolumes <vm>-<name>); default none'),
  networkInterfaces: (z: Z) =>
    z
      .array(
        z
          .object({
            name: z.string(),
            type: z.enum(['pod', 'multus']),
            binding: z.enum(['masquerade', 'bridge']).optional(),
            networkName: z
              .string()
              .optional()
              .describe(
                'multus: NetworkAttachmentDefinition, name or namespace/name',
              ),
          })
          .passthrough(),
      )
      .optional()
      .describe('Default: one masquerade interface on the pod network'),
  sshPublicKey: (z: Z) =>
    z
      .string()
      .optional()
      .describe('One OpenSSH public key line, for cloud-init'),
  runStrategy: (z: Z) =>
    z
      .enum(['Always', 'Halted', 'Manual', 'RerunOnFailure'])
      .optional()
      .describe('Default Always'),
  labels: (z: Z) =>
    z
      .record(z.string())
      .optional()
      .describe('Extra labels for the VM and its pods'),
};

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
