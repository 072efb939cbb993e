import { z } from 'zod';
import { dns1123LabelProblem } from '../kube/kubernetesNames';
import type { VirtualMachineRequest } from './VirtualMachineRequest';
import {
  VirtualMachineRequestError,
  VirtualMachineRequestProblem,
} from './VirtualMachineRequestError';
import {
  MAX_VCPUS,
  virtualMachineRequestSchema,
} from './virtualMachineRequestSchema';

const MAX_LABELS = 32;
const MAX_REQUEST_BYTES = 64 * 1024;
const RESERVED_DISK_NAMES = new Set(['rootdisk', 'cloudinitdisk']);

const HINTS: Record<string, string> = {
  name: 'give the VM a name such as web-01',
  namespace: "give your team's namespace",
  cluster: 'choose the cluster',
  owner: 'give the owning team, e.g. group:default/team-a',
  size: 'choose an instancetype (size.instancetype.name, e.g. u1.medium) or a custom size (size.cpu.cores and size.memory)',
  image:
    'choose the OS disk: image.containerDisk.image, or image.dataSource (image.size optional), image.registry or image.http with image.size',
  'size.instancetype.name': 'give an instancetype such as u1.medium',
  'size.cpu.cores': 'give the number of vCPU cores, e.g. 2',
  'size.memory': 'give the guest memory, e.g. 4Gi',
  'image.size': 'give the disk size, e.g. 30Gi',
  'image.containerDisk.image':
    'give the image, e.g. quay.io/containerdisks/fedora:41',
  'image.dataSource.name': "give the DataSource's name, e.g. fedora",
  'image.dataSource.namespace':
    "give the DataSource's namespace, e.g. os-images",
  'image.registry.url':
    'give the image URL, e.g. docker://quay.io/containerdisks/fedora:41',
  'image.http.url':
    'give the download URL, e.g. https://example.com/disk.qcow2',
  'disks.name': 'give the disk a name such as data',
  'disks.size': 'give the disk size, e.g. 10Gi',
  'networkInterfaces.name': 'give the interface a name such as default',
  'networkInterfaces.networkName':
    'give the multus network, e.g. storage-net or infra/storage-net',
};

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let result = '';
  for (const segment of path) {
    if (typeof segment === 'number') result += `[${segment}]`;
    else if (
      typeof segment === 'string' &&
      /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)
    ) {
      result += result ? `.${segment}` : segment;
    } else {
      const text = String(segment);
      const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
      result += `[${JSON.stringify(shown)}]`;
    }
  }
  return result || 'request';
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = input;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = Object.prototype.hasOwnProperty.call(value, segment)
      ? (value as Record<PropertyKey, unknown>)[segment]
      : undefined;
  }
  return value;
}

function hasKey(value: unknown, key: string): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.prototype.hasOwnProperty.call(value, key)
  );
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number')
    return Number.isFinite(value) ? 'a number' : String(value);
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? 'text' : `a ${typeof value}`;
}

/** Which union branch the input meant, by the keys it has. */
function intendedBranch(field: string, value: unknown): number | undefined {
  if (field === 'size') {
    if (hasKey(value, 'instancetype')) return 0;
    if (hasKey(value, 'cpu') || hasKey(value, 'memory')) return 1;
  }
  if (field === 'image') {
    const keys = ['containerDisk', 'dataSource', 'registry', 'http'];
    const present = keys.filter(k => hasKey(value, k));
    if (present.length === 1) return keys.indexOf(present[0]);
  }
  return undefined;
}

function issueProblems(
  issue: z.core.$ZodIssue,
  input: unknown,
  base: ReadonlyArray<PropertyKey> = [],
): VirtualMachineRequestProblem[] {
  const path = [...base, ...issue.path];
  const field = formatPath(path);
  const value = valueAt(input, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map(key => ({
        field: formatPath([...path, key]),
        message:
          key === '__proto__' || key === 'constructor' || key === 'prototype'
            ? 'is not allowed as a field name; remove it'
            : 'is not a field of a VM request; remove it (check the spelling)',
      }));
    case 'invalid_type': {
      if (value === undefined) {
        const hint = HINTS[formatPath(path.filter(s => typeof s !== 'number'))];
        return [{ field, message: `is missing; ${hint ?? 'add it'}` }];
      }
      const expected: Record<string, string> = {
        string: 'text',
        number: 'a whole number',
        int: 'a whole number',
        object: 'an object',
        array: 'a list',
        record: 'an object of key: value pairs',
        boolean: 'true or false',
      };
      return [
        {
          field,
          message: `must be ${
            expected[issue.expected] ?? issue.expected
          }, not ${typeName(value)}`,
        },
      ];
    }
    case 'invalid_key':
      return issue.issues.flatMap(inner => issueProblems(inner, input, path));
    case 'invalid_value':
      return [
        {
          field,
          message: `'${String(value).slice(
            0,
            40,
          )}' is not allowed; use ${issue.values
            .map(v => String(v))
            .join(', ')
            .replace(/, ([^,]*)$/, ' or $1')}`,
        },
      ];
    case 'invalid_union': {
      if ((issue as { discriminator?: string }).discriminator) {
        return [
          {
            field,
            message:
              value === undefined
                ? "is missing; use 'pod' for the pod network or 'multus' for a secondary network"
                : `'${String(value).slice(
                    0,
                    40,
                  )}' is not an interface type; use 'pod' or 'multus'`,
          },
        ];
      }
      const branch = intendedBranch(formatPath(path), value);
      if (branch !== undefined && issue.errors[branch]) {
        return issue.errors[branch].flatMap(inner =>
          issueProblems(inner, input, path),
        );
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        const hint = HINTS[field];
        return [
          {
            field,
            message:
              value === undefined
                ? `is missing${hint ? `; ${hint}` : ''}`
                : `must be an object; ${hint ?? ''}`,
          },
        ];
      }
      return [
        {
          field,
          message: `has neither of the expected forms; ${
            HINTS[field] ?? 'check the fields'
          }`,
        },
      ];
    }
    default:
      return [{ field, message: issue.message }];
  }
}

/** `__proto__` keys anywhere in the input: zod would silently drop them. */
function prototypeKeys(
  input: unknown,
  path: PropertyKey[] = [],
  depth = 0,
): VirtualMachineRequestProblem[] {
  if (typeof input !== 'object' || input === null || depth > 8) return [];
  const problems: VirtualMachineRequestProblem[] = [];
  for (const key of Object.keys(input)) {
    if (key === '__proto__') {
      problems.push({
        field: formatPath([...path, key]),
        message: 'is not allowed as a field name or label key; remove it',
      });
    } else {
      problems.push(
        ...prototypeKeys(
          (input as Record<string, unknown>)[key],
          [...path, key],
          depth + 1,
        ),
      );
    }
  }
  return problems;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Checks that span fields; defensive, since the fields themselves may be malformed. */
function crossFieldProblems(
  input: Record<string, unknown>,
): VirtualMachineRequestProblem[] {
  const problems: VirtualMachineRequestProblem[] = [];
  const name = asString(input.name);
  const validName = name !== undefined && !dns1123LabelProblem(name);
  const imageValue = input.image;
  if (
    validName &&
    typeof imageValue === 'object' &&
    imageValue !== null &&
    !hasKey(imageValue, 'containerDisk') &&
    `${name}-rootdisk`.length > 63
  ) {
    problems.push({
      field: 'name',
      message: `is too long for a VM with a persistent OS disk (its DataVolume ${name}-rootdisk would exceed 63 characters); use at most 54 characters`,
    });
  }
  if (typeof imageValue === 'object' && imageValue !== null) {
    const kinds = ['containerDisk', 'dataSource', 'registry', 'http'].filter(
      k => hasKey(imageValue, k),
    );
    if (kinds.length > 1) {
      problems.push({
        field: 'image',
        message: `has both ${kinds.join(
          ' and ',
        )}; choose one source for the OS disk`,
      });
    }
  }
  const seenDisks = new Map<string, number>();
  asArray(input.disks).forEach((disk, index) => {
    const diskName = asString((disk as Record<string, unknown> | null)?.name);
    if (diskName === undefined || dns1123LabelProblem(diskName)) return;
    const field = `disks[${index}].name`;
    if (RESERVED_DISK_NAMES.has(diskName)) {
      problems.push({
        field,
        message: `'${diskName}' is the name of the VM's own ${
          diskName === 'rootdisk' ? 'OS' : 'cloud-init'
        } disk; choose another name, e.g. data`,
      });
    } else if (seenDisks.has(diskName)) {
      problems.push({
        field,
        message: `'${diskName}' is already the name of disks[${seenDisks.get(
          diskName,
        )}]; give each disk its own name`,
      });
    } else if (validName && `${name}-${diskName}`.length > 63) {
      problems.push({
        field,
        message: `makes the DataVolume name '${name}-${diskName}' longer than 63 characters; use a shorter disk name`,
      });
    }
    if (!seenDisks.has(diskName)) seenDisks.set(diskName, index);
  });
  const seenInterfaces = new Map<string, number>();
  let podInterface: number | undefined;
  asArray(input.networkInterfaces).forEach((nic, index) => {
    const record = (nic ?? {}) as Record<string, unknown>;
    const nicName = asString(record.name);
    if (nicName !== undefined && !dns1123LabelProblem(nicName)) {
      if (seenInterfaces.has(nicName)) {
        problems.push({
          field: `networkInterfaces[${index}].name`,
          message: `'${nicName}' is already the name of networkInterfaces[${seenInterfaces.get(
            nicName,
          )}]; give each interface its own name`,
        });
      } else {
        seenInterfaces.set(nicName, index);
      }
    }
    if (record.type === 'pod') {
      if (podInterface !== undefined) {
        problems.push({
          field: `networkInterfaces[${index}].type`,
          message: `only one interface can be on the pod network (networkInterfaces[${podInterface}] is); use a multus network for this one`,
        });
      } else {
        podInterface = index;
      }
    }
  });
  const size = input.size as Record<string, unknown> | undefined;
  const cpu = size?.cpu as Record<string, unknown> | undefined;
  if (cpu && typeof cpu === 'object') {
    const factors = [cpu.cores, cpu.sockets ?? 1, cpu.threads ?? 1];
    if (factors.every(f => Number.isInteger(f) && (f as number) >= 1)) {
      const vcpus = factors.reduce((a: number, b) => a * (b as number), 1);
      if (vcpus > MAX_VCPUS) {
        problems.push({
          field: 'size.cpu',
          message: `gives ${vcpus} vCPUs (cores × sockets × threads); a VM can have at most ${MAX_VCPUS}`,
        });
      }
    }
  }
  const labels = input.labels;
  if (
    typeof labels === 'object' &&
    labels !== null &&
    Object.keys(labels).length > MAX_LABELS
  ) {
    problems.push({
      field: 'labels',
      message: `has ${
        Object.keys(labels).length
      } labels; use at most ${MAX_LABELS}`,
    });
  }
  return problems;
}

function sizeProblem(input: unknown): VirtualMachineRequestProblem | undefined {
  let length: number;
  try {
    length = JSON.stringify(input)?.length ?? 0;
  } catch {
    return {
      field: 'request',
      message:
        'is not plain data (it refers to itself); send the form values as JSON',
    };
  }
  if (length > MAX_REQUEST_BYTES) {
    return {
      field: 'request',
      message: `is ${Math.ceil(length / 1024)} KiB; a VM request is at most ${
        MAX_REQUEST_BYTES / 1024
      } KiB`,
    };
  }
  return undefined;
}

/**
 * Every problem with a VM request, as `{ field, message }` pairs (empty when the
 * request is valid). For forms that show problems as the user types.
 *
 * @public
 */
export function virtualMachineRequestProblems(
  input: unknown,
): VirtualMachineRequestProblem[] {
  return parse(input).problems;
}

function parse(input: unknown): {
  request?: VirtualMachineRequest;
  problems: VirtualMachineRequestProblem[];
} {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      problems: [
        {
          field: 'request',
          message: `must be an object with name, namespace, cluster, owner, size and image, not ${typeName(
            input,
          )}`,
        },
      ],
    };
  }
  const tooBig = sizeProblem(input);
  if (tooBig) return { problems: [tooBig] };
  const problems = prototypeKeys(input);
  const result = virtualMachineRequestSchema.safeParse(input);
  if (!result.success) {
    problems.push(
      ...result.error.issues.flatMap(issue => issueProblems(issue, input)),
    );
  }
  problems.push(...crossFieldProblems(input as Record<string, unknown>));
  const unique = new Map<string, VirtualMachineRequestProblem>();
  for (const problem of problems)
    unique.set(`${problem.field}\u0000${problem.message}`, problem);
  const all = [...unique.values()];
  if (all.length > 0 || !result.success) return { problems: all };
  return { request: result.data, problems: [] };
}

/**
 * Parses what the "Request a virtual machine" form sent into a
 * {@link VirtualMachineRequest}, filling defaults (one masquerade interface on the
 * pod network, runStrategy Always, no extra disks or labels) and normalising the owner
 * to a full group ref. Throws a {@link VirtualMachineRequestError} listing every
 * problem as `field: what is wrong and how to fix it`.
 *
 * @public
 */
export function validateVirtualMachineRequest(
  input: unknown,
): VirtualMachineRequest {
  const { request, problems } = parse(input);
  if (!request) throw new VirtualMachineRequestError(problems);
  return request;
}
