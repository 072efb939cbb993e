import { createHash } from 'node:crypto';

const MAX_NAME_LENGTH = 63;
const HASH_LENGTH = 8;

/** Identifies one VirtualMachine across clusters. */
export interface VirtualMachineRef {
  cluster: string;
  namespace: string;
  name: string;
}

/**
 * The catalog name of a VM's entity: `<vm>.<namespace>.<cluster>`, e.g.
 * `payments-db.team-payments.east`. Dots keep it unambiguous: namespaces are DNS
 * labels and have none, and the cluster part has its dots replaced, so the last two
 * dots always split the three parts (with dashes, VM `web-1` in `team-a` and VM `web`
 * in `1-team-a` would collide). When a part had to be altered (upper case, characters
 * the catalog refuses) or the result is longer than 63 characters, the name is cut
 * and ends with `-` and 8 hex digits of a SHA-256 of `cluster/namespace/name`, so it
 * stays stable across runs and replicas and unique across VMs.
 */
export function virtualMachineEntityName(ref: VirtualMachineRef): string {
  const parts = [
    sanitize(ref.name, /[^a-z0-9.-]+/g),
    sanitize(ref.namespace, /[^a-z0-9-]+/g),
    sanitize(ref.cluster, /[^a-z0-9-]+/g),
  ];
  const altered =
    parts[0] !== ref.name ||
    parts[1] !== ref.namespace ||
    parts[2] !== ref.cluster;
  const readable = parts.filter(Boolean).join('.');
  if (!altered && readable.length <= MAX_NAME_LENGTH && readable) {
    return readable;
  }
  const hash = createHash('sha256')
    .update(`${ref.cluster}/${ref.namespace}/${ref.name}`)
    .digest('hex')
    .slice(0, HASH_LENGTH);
  const prefix = readable
    .slice(0, MAX_NAME_LENGTH - HASH_LENGTH - 1)
    .replace(/[^a-z0-9]+$/, '');
  return prefix ? `${prefix}-${hash}` : `vm-${hash}`;
}

function sanitize(value: string, invalid: RegExp): string {
  return value
    .toLocaleLowerCase('en-US')
    .replace(invalid, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
}
