import type {
  AuthService,
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  KUBEVIRT_ANNOTATIONS,
  kubevirtVmReadPermission,
  VIRTUAL_MACHINE_COMPONENT_TYPE,
  VirtualMachineAddressMatch,
  VirtualMachineAddressSearchResponse,
  VirtualMachineInstanceObject,
  VirtualMachineLiveState,
} from '@vmportal/plugin-kubevirt-common';
import type { KubevirtClustersService } from '@vmportal/plugin-kubevirt-node';
import { assertEmittedByProvider } from '../lib/entityProvenance';
import { mapConcurrently } from '../lib/mapConcurrently';
import { servicePrincipalRefusal } from '../lib/servicePrincipalRefusal';
import {
  VirtualMachineTarget,
  virtualMachineTarget,
} from './VirtualMachineService';

/**
 * What {@link VirtualMachineInventoryService} needs.
 *
 * @internal
 */
export interface VirtualMachineInventoryServiceOptions {
  clusters: KubevirtClustersService;
  catalog: CatalogService;
  auth: AuthService;
  permissions: PermissionsService;
  logger: LoggerService;
  /** `kubevirt.permissions.servicePrincipalsAllowedToReadInventory`. */
  servicePrincipalsAllowedToReadInventory: ReadonlySet<string>;
}

const ALLOW_KEY =
  'kubevirt.permissions.servicePrincipalsAllowedToReadInventory';

/** Cluster reads in flight for one call: a page of 50 rows is two rounds. */
const READS_IN_FLIGHT = 25;

/** The most VMs one search by address answers with. */
export const ADDRESS_MATCHES_LIMIT = 100;

/** VM uids per catalog query of the search by address (each is 36 characters in the URL). */
const UIDS_PER_CATALOG_QUERY = 25;

/** A VMI page while searching addresses: status only matters, but the list is whole. */
const VMI_PAGE_SIZE = 500;

const ENTITY_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.annotations',
  'spec.type',
  'spec.owner',
];

/** An entity the caller may read the VM of, with the VM it names. */
interface ReadableVm {
  entity: Entity;
  target: VirtualMachineTarget;
}

/**
 * The VM inventory's bulk reads: the live state of the VMs on screen in one call, and
 * the VMs whose guests have an IP address. Both check `kubevirt.vm.read` per entity,
 * in one batched permission call, and refuse service principals that
 * `kubevirt.permissions.servicePrincipalsAllowedToReadInventory` does not name.
 *
 * @internal
 */
export class VirtualMachineInventoryService {
  constructor(
    private readonly options: VirtualMachineInventoryServiceOptions,
  ) {}

  /**
   * The live state of each entity's VM, one item per ref in the asked order; rows the
   * caller may not read, or whose VM cannot be read, say why in `gap`.
   */
  async states(
    entityRefs: string[],
    credentials: BackstageCredentials,
  ): Promise<VirtualMachineLiveState[]> {
    this.assertMayReadInventory(credentials);
    const { items } = await this.options.catalog.getEntitiesByRefs(
      { entityRefs, fields: ENTITY_FIELDS },
      { credentials: await this.catalogCredentials(credentials) },
    );
    const gaps = new Map<number, VirtualMachineLiveState>();
    const candidates: Array<{ index: number } & ReadableVm> = [];
    items.forEach((entity, index) => {
      const entityRef = entityRefs[index];
      if (!entity) {
        gaps.set(index, {
          entityRef,
          gap: 'not-a-vm',
          message: `${entityRef} is not in the catalog, or you may not see it`,
        });
        return;
      }
      try {
        const target = virtualMachineTarget(entity);
        assertEmittedByProvider(entity, target);
        candidates.push({ index, entity, target });
      } catch (error) {
        gaps.set(index, {
          entityRef,
          gap: 'not-a-vm',
          message: (error as Error).message,
        });
      }
    });

    const readable = await this.readable(candidates, credentials);
    candidates.forEach(({ index, target }, i) => {
      if (!readable[i]) {
        gaps.set(index, {
          entityRef: entityRefs[index],
          gap: 'not-allowed',
          message: `You may not see the live state of ${target.entityRef}: only ${target.owners} and those the permission policy allows (kubevirt.vm.read)`,
        });
      }
    });
    const toRead = candidates.filter((_, i) => readable[i]);
    const states = await mapConcurrently(toRead, READS_IN_FLIGHT, vm =>
      this.readState(vm),
    );
    const byIndex = new Map<number, VirtualMachineLiveState>(gaps);
    toRead.forEach(({ index }, i) =>
      byIndex.set(index, { ...states[i], entityRef: entityRefs[index] }),
    );
    return entityRefs.map((entityRef, index) => {
      const state = byIndex.get(index);
      if (!state) throw new Error(`no state for ${entityRef}`); // unreachable
      return state;
    });
  }

  /**
   * The VMs the caller may read whose guests have an IP address starting with `query`,
   * from every configured cluster's VirtualMachineInstances; at most
   * {@link ADDRESS_MATCHES_LIMIT}, `truncated` when more matched.
   */
  async searchAddresses(
    query: string,
    credentials: BackstageCredentials,
  ): Promise<VirtualMachineAddressSearchResponse> {
    this.assertMayReadInventory(credentials);
    const prefix = query.toLocaleLowerCase('en-US');
    const found: Array<{ cluster: string; uid: string; ips: string[] }> = [];
    let truncated = false;
    const unsearchedClusters: string[] = [];
    for (const { name: cluster } of this.options.clusters.list()) {
      const reader = this.options.clusters.get(cluster).inventory;
      let next: string | undefined;
      try {
        do {
          const page = await reader.listVirtualMachineInstances({
            limit: VMI_PAGE_SIZE,
            continue: next,
          });
          for (const vmi of page.items) {
            const ips = guestAddresses(vmi);
            const uid = vmi.metadata.ownerReferences?.find(
              owner => owner.kind === 'VirtualMachine',
            )?.uid;
            if (
              !uid ||
              !ips.some(ip => ip.toLocaleLowerCase('en-US').startsWith(prefix))
            ) {
              continue;
            }
            if (found.length === ADDRESS_MATCHES_LIMIT) truncated = true;
            else found.push({ cluster, uid, ips });
          }
          next = truncated ? undefined : page.continue;
        } while (next);
      } catch (error) {
        // One cluster down must not hide the VMs of the others.
        this.options.logger.warn(
          `Could not search the VM addresses of cluster ${cluster}: ${error}`,
        );
        unsearchedClusters.push(cluster);
      }
      if (truncated) break;
    }
    if (found.length === 0) return { items: [], truncated, unsearchedClusters };

    // The uids go into the query string: a few at a time keeps each URL short.
    const catalogCredentials = await this.catalogCredentials(credentials);
    const uidChunks: string[][] = [];
    for (let i = 0; i < found.length; i += UIDS_PER_CATALOG_QUERY) {
      uidChunks.push(
        found.slice(i, i + UIDS_PER_CATALOG_QUERY).map(f => f.uid),
      );
    }
    const entities = (
      await Promise.all(
        uidChunks.map(async uids => {
          const { items } = await this.options.catalog.getEntities(
            {
              filter: {
                kind: 'component',
                'spec.type': VIRTUAL_MACHINE_COMPONENT_TYPE,
                [`metadata.annotations.${KUBEVIRT_ANNOTATIONS.uid}`]: uids,
              },
              fields: ENTITY_FIELDS,
            },
            { credentials: catalogCredentials },
          );
          return items;
        }),
      )
    ).flat();
    const candidates: ReadableVm[] = [];
    for (const entity of entities) {
      try {
        const target = virtualMachineTarget(entity);
        assertEmittedByProvider(entity, target);
        candidates.push({ entity, target });
      } catch {
        // A copy of a VM's annotations is not the VM's entity.
      }
    }
    const readable = await this.readable(candidates, credentials);
    const items: VirtualMachineAddressMatch[] = [];
    candidates.forEach(({ entity, target }, i) => {
      const match = found.find(
        f =>
          f.cluster === target.cluster &&
          f.uid === entity.metadata.annotations?.[KUBEVIRT_ANNOTATIONS.uid],
      );
      if (!readable[i] || !match) return;
      items.push({
        entityRef: target.entityRef,
        cluster: target.cluster,
        namespace: target.namespace,
        name: target.name,
        ipAddresses: match.ips,
      });
    });
    items.sort((a, b) => a.entityRef.localeCompare(b.entityRef));
    return { items, truncated, unsearchedClusters };
  }

  /** Whether the caller may read each VM: one batched `kubevirt.vm.read` call. */
  private async readable(
    vms: ReadableVm[],
    credentials: BackstageCredentials,
  ): Promise<boolean[]> {
    if (vms.length === 0) return [];
    const decisions = await this.options.permissions.authorize(
      vms.map(({ target }) => ({
        permission: kubevirtVmReadPermission,
        resourceRef: target.entityRef,
      })),
      { credentials },
    );
    return decisions.map(d => d.result === AuthorizeResult.ALLOW);
  }

  /** The VM's live state: its status, and its VMI's addresses and node when it has one. */
  private async readState({
    entity,
    target,
  }: ReadableVm): Promise<VirtualMachineLiveState> {
    const { entityRef } = target;
    let reader;
    try {
      reader = this.options.clusters.get(target.cluster).page;
    } catch {
      return {
        entityRef,
        gap: 'unavailable',
        message: `Cluster '${target.cluster}' is not configured in this portal`,
      };
    }
    try {
      const vm = await reader.getVirtualMachine(target.namespace, target.name);
      if (
        vm.metadata.uid !==
        entity.metadata.annotations?.[KUBEVIRT_ANNOTATIONS.uid]
      ) {
        return {
          entityRef,
          gap: 'not-found',
          message: `VirtualMachine ${target.namespace}/${target.name} was re-created since this entity was made; the catalog catches up in a moment`,
        };
      }
      const state: VirtualMachineLiveState = {
        entityRef,
        printableStatus: vm.status?.printableStatus ?? 'Unknown',
        ready: vm.status?.ready === true,
      };
      // A VM without an instance (stopped, never started) has no address to read.
      if (vm.status?.created) {
        const vmi = await reader.getVirtualMachineInstance(
          target.namespace,
          target.name,
        );
        const ips = vmi ? guestAddresses(vmi) : [];
        if (ips.length > 0) state.ipAddresses = ips;
        if (vmi?.status?.nodeName) state.node = vmi.status.nodeName;
      }
      return state;
    } catch (error) {
      if (error instanceof NotFoundError) {
        return {
          entityRef,
          gap: 'not-found',
          message: `VirtualMachine ${target.namespace}/${target.name} is no longer on cluster ${target.cluster}`,
        };
      }
      this.options.logger.warn(
        `Could not read the live state of ${entityRef} from cluster ${target.cluster}: ${error}`,
      );
      return {
        entityRef,
        gap: 'unavailable',
        message: `Cluster '${target.cluster}' could not be read: ${
          (error as Error).message
        }`,
      };
    }
  }

  private assertMayReadInventory(credentials: BackstageCredentials): void {
    const refusal = servicePrincipalRefusal(
      this.options.auth,
      credentials,
      this.options.servicePrincipalsAllowedToReadInventory,
      { key: ALLOW_KEY, what: 'read the VM inventory in bulk' },
    );
    if (refusal) throw new NotAllowedError(refusal);
  }

  /** A user reads the catalog as themselves; an allowed script through the plugin. */
  private async catalogCredentials(
    credentials: BackstageCredentials,
  ): Promise<BackstageCredentials> {
    const { auth } = this.options;
    return auth.isPrincipal(credentials, 'user')
      ? credentials
      : auth.getOwnServiceCredentials();
  }
}

/** The guest's addresses, the first interface's first, without repeats. */
function guestAddresses(vmi: VirtualMachineInstanceObject): string[] {
  const ips = new Set<string>();
  for (const iface of vmi.status?.interfaces ?? []) {
    for (const ip of iface.ipAddresses ?? []) ips.add(ip);
    if (iface.ipAddress) ips.add(iface.ipAddress);
  }
  return [...ips];
}
