import { z } from 'zod';

/**
 * The most entity refs one `POST /v1/inventory/states` call takes: a page of the VM
 * view is at most this long.
 *
 * @public
 */
export const VIRTUAL_MACHINE_STATES_LIMIT = 100;

/**
 * The body of `POST /v1/inventory/states`: the entity refs of the rows on screen.
 *
 * @public
 */
export const virtualMachineStatesRequestSchema = z.strictObject({
  entityRefs: z
    .array(z.string().min(1).max(400))
    .min(1, 'give at least one entity ref, e.g. component:default/web-1')
    .max(
      VIRTUAL_MACHINE_STATES_LIMIT,
      `ask for at most ${VIRTUAL_MACHINE_STATES_LIMIT} entity refs at a time`,
    ),
});

/**
 * Why the inventory shows no live state for a row:
 * - `not-allowed`: the permission policy denies the caller `kubevirt.vm.read` on it;
 * - `not-a-vm`: the entity is missing, not the KubeVirt provider's, or names no VM;
 * - `not-found`: the VM is gone from its cluster, or was re-created since the entity
 *   was made;
 * - `unavailable`: its cluster could not be read (not configured, down, refusing the
 *   portal's credential).
 *
 * @public
 */
export type VirtualMachineStateGap =
  | 'not-allowed'
  | 'not-a-vm'
  | 'not-found'
  | 'unavailable';

/**
 * One row's live state in the VM inventory: what KubeVirt says of the VM now. The
 * catalog entity carries only what the owners asked for (run strategy, size, OS);
 * this is what is.
 *
 * @public
 */
export interface VirtualMachineLiveState {
  /** The entity ref as asked, e.g. `component:default/web-1`. */
  entityRef: string;
  /** KubeVirt's `status.printableStatus` (Running, Stopped, Provisioning, …). */
  printableStatus?: string;
  /** `status.ready` of the VM. */
  ready?: boolean;
  /** The guest's IP addresses (from the VMI's interfaces), first the primary. */
  ipAddresses?: string[];
  /** The node the VMI runs on. */
  node?: string;
  /** Why there is no state; set exactly when `printableStatus` is not. */
  gap?: VirtualMachineStateGap;
  /** The gap in words, for a tooltip. */
  message?: string;
}

/**
 * The answer of `POST /v1/inventory/states`: one item per asked ref, in order.
 *
 * @public
 */
export interface VirtualMachineStatesResponse {
  items: VirtualMachineLiveState[];
}

/**
 * The query of `GET /v1/inventory/addresses?q=`: an IP address or its beginning
 * (`10.244.1.`, `fd00:`).
 *
 * @public
 */
export const virtualMachineAddressQuerySchema = z.object({
  q: z
    .string({ error: 'give ?q=<IP address or its beginning>, e.g. 10.244.1.' })
    .trim()
    .min(2, 'give at least two characters of the IP address')
    .max(45)
    .regex(
      /^[0-9a-fA-F.:]+$/,
      'an IP address holds only digits and dots (IPv4) or hex digits and colons (IPv6)',
    ),
});

/**
 * A VM whose guest has an IP address starting with the searched text.
 *
 * @public
 */
export interface VirtualMachineAddressMatch {
  /** The VM's catalog entity. */
  entityRef: string;
  cluster: string;
  namespace: string;
  name: string;
  /** Every IP address of the guest, the matching ones included. */
  ipAddresses: string[];
}

/**
 * The answer of `GET /v1/inventory/addresses`: the VMs the caller may read whose
 * guests have a matching address; `truncated` when more matched than were sent.
 * A cluster that cannot be read is named in `unsearchedClusters`, the others answer.
 *
 * @public
 */
export interface VirtualMachineAddressSearchResponse {
  items: VirtualMachineAddressMatch[];
  truncated: boolean;
  /** Clusters that could not be searched (down, refusing the portal's credential). */
  unsearchedClusters: string[];
}

/**
 * Whether a text looks like (the beginning of) an IP address, so that a search box
 * can send it to the address search rather than to the name search.
 *
 * @public
 */
export function looksLikeIpAddress(text: string): boolean {
  const value = text.trim();
  if (/^\d{1,3}(\.\d{0,3}){1,3}$/.test(value)) return true;
  return /^[0-9a-fA-F]{0,4}(:[0-9a-fA-F]{0,4}){2,7}$/.test(value);
}

/**
 * The size series of an instancetype name: `u1` of `u1.medium`; undefined for a name
 * without a series.
 *
 * @public
 */
export function instancetypeSeries(instancetype: string): string | undefined {
  const dot = instancetype.indexOf('.');
  return dot > 0 ? instancetype.slice(0, dot) : undefined;
}
