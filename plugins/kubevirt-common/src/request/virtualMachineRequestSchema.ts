import { z } from 'zod';
import {
  dns1123LabelProblem,
  dns1123SubdomainProblem,
} from '../kube/kubernetesNames';
import {
  descriptionProblem,
  diskSizeProblem,
  httpUrlProblem,
  imageReferenceProblem,
  labelKeyProblem,
  labelValueCheck,
  memoryProblem,
  namespaceProblem,
  networkNameProblem,
  normaliseOwner,
  registryUrlProblem,
  wholeNumberProblem,
} from './requestFieldChecks';
import { parseSshPublicKey } from './sshPublicKey';

/** The most extra disks a VM may ask for (16 disks with the OS disk). */
export const MAX_DATA_DISKS = 15;
/** The most network interfaces a VM may ask for. */
export const MAX_INTERFACES = 8;
/** The most vCPUs (cores × sockets × threads) a VM may ask for. */
export const MAX_VCPUS = 512;

function check<T>(problemOf: (value: T) => string | undefined) {
  return (value: T, ctx: z.RefinementCtx) => {
    const problem = problemOf(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  };
}

const vmName = z
  .string()
  .superRefine(check((v: string) => dns1123LabelProblem(v)));
const objectName = z
  .string()
  .superRefine(check((v: string) => dns1123SubdomainProblem(v)));
const storageClass = z
  .string()
  .superRefine(check((v: string) => dns1123SubdomainProblem(v)));
const wholeNumber = (min: number, max: number) =>
  z.number().superRefine(check((v: number) => wholeNumberProblem(v, min, max)));

/** A VirtualMachine(Cluster)Preference. */
export const preferenceSchema = z
  .strictObject({
    name: objectName.describe('Preference name, e.g. fedora'),
    kind: z
      .enum(['VirtualMachineClusterPreference', 'VirtualMachinePreference'])
      .default('VirtualMachineClusterPreference')
      .describe('Default VirtualMachineClusterPreference'),
  })
  .describe('Guest OS defaults (disk bus, firmware, TPM)');

/** A size from the cluster's instancetypes. */
export const instancetypeSizeSchema = z.strictObject({
  instancetype: z
    .strictObject({
      name: objectName.describe('Instancetype, e.g. u1.medium'),
      kind: z
        .enum([
          'VirtualMachineClusterInstancetype',
          'VirtualMachineInstancetype',
        ])
        .default('VirtualMachineClusterInstancetype')
        .describe('Default VirtualMachineClusterInstancetype'),
    })
    .describe('A size from the cluster, e.g. u1.medium'),
  preference: preferenceSchema.optional(),
});

/** A custom size: CPU topology and guest memory. */
export const customSizeSchema = z.strictObject({
  cpu: z
    .strictObject({
      cores: wholeNumber(1, MAX_VCPUS),
      sockets: wholeNumber(1, 64).optional(),
      threads: wholeNumber(1, 8).optional(),
    })
    .describe('Custom size: vCPUs = cores × sockets × threads'),
  memory: z
    .string()
    .superRefine(check(memoryProblem))
    .describe('Custom size: guest memory, e.g. 4Gi'),
  preference: preferenceSchema.optional(),
});

const diskSize = z
  .string()
  .superRefine(check(diskSizeProblem))
  .describe('Disk size, e.g. 30Gi');
const storage = {
  size: diskSize,
  storageClass: storageClass
    .optional()
    .describe("Storage class; default the cluster's (virt) default"),
};

/** An extra empty disk. */
export const dataDiskSchema = z.strictObject({ name: vmName, ...storage });

/** The OS disk: a container disk, a DataSource clone, or an import. */
export const osImageSchema = z
  .union([
    z.strictObject({
      containerDisk: z
        .strictObject({
          image: z.string().superRefine(check(imageReferenceProblem)),
        })
        .describe('Ephemeral OS disk from a container image'),
    }),
    z.strictObject({
      dataSource: z
        .strictObject({
          name: objectName,
          namespace: z
            .string()
            .superRefine(check((v: string) => dns1123LabelProblem(v))),
        })
        .describe('Persistent OS disk cloned from a CDI DataSource'),
      ...storage,
      size: diskSize
        .optional()
        .describe("Disk size, e.g. 30Gi; default the DataSource's source size"),
    }),
    z.strictObject({
      registry: z
        .strictObject({
          url: z.string().superRefine(check(registryUrlProblem)),
        })
        .describe('Persistent OS disk imported from docker://…'),
      ...storage,
    }),
    z.strictObject({
      http: z
        .strictObject({
          url: z.string().superRefine(check(httpUrlProblem)),
        })
        .describe('Persistent OS disk downloaded from https://…'),
      ...storage,
    }),
  ])
  .describe(
    'The OS disk: exactly one of containerDisk, dataSource, registry, http',
  );

function multusBindingProblem(binding: string): string | undefined {
  if (binding === 'bridge') return undefined;
  if (binding === 'masquerade') {
    return 'masquerade works only on the pod network; use bridge for a multus network';
  }
  return `'${binding.slice(0, 20)}' is not a binding; use bridge`;
}

const networkInterface = z.discriminatedUnion('type', [
  z.strictObject({
    name: vmName,
    type: z.literal('pod'),
    binding: z.enum(['masquerade', 'bridge']).default('masquerade'),
  }),
  z.strictObject({
    name: vmName,
    type: z.literal('multus'),
    networkName: z
      .string()
      .superRefine(check(networkNameProblem))
      .describe('multus: NetworkAttachmentDefinition, name or namespace/name'),
    binding: z
      .string()
      .default('bridge')
      .superRefine(check(multusBindingProblem))
      .transform(() => 'bridge' as const),
  }),
]);

/**
 * The one schema of a VM request (what the "Request a virtual machine" form sends):
 * every field, its checks (each names what is wrong and how to fix it), its defaults
 * and its description. {@link VirtualMachineRequest} is its output type;
 * `validateVirtualMachineRequest` parses with it and adds the checks that span
 * fields; the scaffolder actions' input and the quota plan route's body are built
 * from it.
 *
 * @public
 */
export const virtualMachineRequestSchema = z.strictObject({
  name: vmName.describe(
    "VM name: lowercase letters, digits and '-', at most 63 characters",
  ),
  namespace: z
    .string()
    .superRefine(check(namespaceProblem))
    .describe("The team's namespace"),
  cluster: z
    .string()
    .superRefine(check((v: string) => dns1123SubdomainProblem(v, 63)))
    .describe(
      'Cluster name as configured under kubernetes.clusterLocatorMethods',
    ),
  owner: z
    .string()
    .transform((value, ctx) => {
      const owner = normaliseOwner(value);
      if ('problem' in owner) {
        ctx.addIssue({ code: 'custom', message: owner.problem });
        return z.NEVER;
      }
      return owner.ref;
    })
    .describe(
      'Owning group: group:default/team-a (or team-a); it must own the namespace',
    ),
  description: z
    .string()
    .superRefine(check(descriptionProblem))
    .optional()
    .describe('What the VM is for (plain text, under 1000 characters)'),
  size: z
    .union([instancetypeSizeSchema, customSizeSchema])
    .describe(
      'Either instancetype, or cpu and memory; optionally a preference',
    ),
  image: osImageSchema,
  disks: z
    .array(dataDiskSchema)
    .max(MAX_DATA_DISKS, {
      error: `has more than ${MAX_DATA_DISKS} disks; a VM can have at most ${
        MAX_DATA_DISKS + 1
      } disks with its OS disk`,
    })
    .default([])
    .describe('Extra empty disks (DataVolumes <vm>-<name>); default none'),
  networkInterfaces: z
    .array(networkInterface)
    .min(1, { error: 'is empty; a VM needs at least one network interface' })
    .max(MAX_INTERFACES, {
      error: `has more than ${MAX_INTERFACES} interfaces; use at most ${MAX_INTERFACES}`,
    })
    .default([{ name: 'default', type: 'pod', binding: 'masquerade' }])
    .describe('Default: one masquerade interface on the pod network'),
  sshPublicKey: z
    .string()
    .transform(v => v.trim())
    .superRefine(
      check((v: string) => {
        const parsed = parseSshPublicKey(v);
        return 'problem' in parsed ? parsed.problem : undefined;
      }),
    )
    .optional()
    .describe('One OpenSSH public key line, for cloud-init'),
  runStrategy: z
    .enum(['Always', 'Halted', 'Manual', 'RerunOnFailure'])
    .default('Always')
    .describe('Default Always'),
  labels: z
    .record(
      z.string().superRefine(check(labelKeyProblem)),
      z.string().superRefine(check(labelValueCheck)),
    )
    .default({})
    .describe('Extra labels for the VM and its pods'),
});
