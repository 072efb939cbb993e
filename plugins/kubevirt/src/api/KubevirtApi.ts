import { createApiRef } from '@backstage/core-plugin-api';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import type {
  NamespaceQuotaSummary,
  OsImage,
  PowerActionRequest,
  PowerActionResult,
  Quantity,
  QuotaPlan as PlannedQuota,
  QuotaPlanRequest,
  TeamQuotaSummary,
  TrackedVirtualMachineRequest,
  VirtualMachineAddressSearchResponse,
  VirtualMachineChange,
  VirtualMachineChangePlan as PlannedChange,
  VirtualMachineLiveState,
  VirtualMachineMigrationPlan,
  VirtualMachineSize,
  VirtualMachineSnapshots,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';

/**
 * A cluster the portal can place virtual machines on.
 *
 * @public
 */
export interface KubevirtCluster {
  /** The name in `kubernetes.clusterLocatorMethods`. */
  name: string;
  title?: string;
}

/**
 * A value as it comes over JSON: every kubevirt-common `Quantity` as its canonical
 * text (`Quantity.toJSON`, e.g. `4Gi`, `1500m`).
 *
 * @public
 */
export type AsJson<T> = T extends Quantity
  ? string
  : T extends ReadonlyArray<infer Item>
  ? Array<AsJson<Item>>
  : T extends object
  ? { [K in keyof T]: AsJson<T[K]> }
  : T;

/**
 * Whether a planned VM fits a namespace's quotas: kubevirt-common's `planQuota`
 * result as the backend's plan route sends it (quantities as text).
 *
 * @public
 */
export type QuotaPlan = AsJson<PlannedQuota>;

/**
 * What a day-2 change would do to a VM and its namespace's quotas: kubevirt-common's
 * `VirtualMachineChangePlan` as the backend's change-plan route sends it (quantities
 * as text).
 *
 * @public
 */
export type VirtualMachineChangePlan = AsJson<PlannedChange>;

/**
 * Which VM requests to list; without one, every request the caller may see.
 *
 * @public
 */
export interface VirtualMachineRequestFilter {
  /** Requests for this team: a group entity ref, e.g. `group:default/team-web`. */
  owner?: string;
  /** Requests this person made: a user entity ref, e.g. `user:default/ada`. */
  requestedBy?: string;
}

/**
 * A snapshot the backend asked KubeVirt to take; it is listed from then on.
 *
 * @public
 */
export interface SnapshotTaken {
  /** The VirtualMachineSnapshot's name. */
  snapshot: string;
}

/**
 * A restore the backend asked KubeVirt to start; it is listed from then on.
 *
 * @public
 */
export interface RestoreStarted {
  /** The VirtualMachineRestore's name. */
  restore: string;
}

/**
 * A live migration the backend started.
 *
 * @public
 */
export interface MigrationStarted {
  /** The VirtualMachineInstanceMigration's name. */
  migration: string;
  /** The plan it was started on. */
  plan: VirtualMachineMigrationPlan;
}

/**
 * One of a VM's consoles: `serial`, the guest's serial console (a terminal), or
 * `vnc`, its display (the RFB protocol).
 *
 * @public
 */
export type VirtualMachineConsoleType = 'serial' | 'vnc';

/**
 * How to open a VM's console as a WebSocket. Binary frames carry the console's raw
 * bytes both ways; the backend closes with 1000 when the session ended, 4401 (not
 * signed in), 4403 (no longer allowed), 4408 (idle) or 1011 (cluster error), with
 * the reason as text.
 *
 * @public
 */
export interface VirtualMachineConsoleConnection {
  /** The console's `ws:` or `wss:` URL. It carries no credentials. */
  url: string;
  /**
   * The subprotocols to offer: `vmportal.console.v1`, then the user's Backstage token,
   * since a browser cannot set an Authorization header on a WebSocket. Never log them.
   */
  protocols: string[];
}

/**
 * The KubeVirt backend, as the frontend sees it. Entity refs are full refs
 * (`component:default/web-1`) or compound refs.
 *
 * @public
 */
export interface KubevirtApi {
  /** The live view of the VM a catalog entity stands for. */
  getVirtualMachine(
    entityRef: string | CompoundEntityRef,
  ): Promise<VirtualMachineView>;
  /** Starts, stops, restarts, pauses or unpauses the entity's VM. */
  powerAction(
    entityRef: string | CompoundEntityRef,
    request: PowerActionRequest,
  ): Promise<PowerActionResult>;
  getNamespaceQuota(
    cluster: string,
    namespace: string,
  ): Promise<NamespaceQuotaSummary>;
  /** VMs and quota use of a team (a Group entity). */
  getTeamQuota(
    entityRef: string | CompoundEntityRef,
  ): Promise<TeamQuotaSummary>;
  listClusters(): Promise<KubevirtCluster[]>;
  listSizes(cluster: string): Promise<VirtualMachineSize[]>;
  /**
   * The namespaces on `cluster` that `owner` (a group entity ref) may request VMs in,
   * with their quota use.
   */
  listOwnedNamespaces(
    cluster: string,
    owner: string,
  ): Promise<NamespaceQuotaSummary[]>;
  /** The OS images (golden images) `cluster` publishes for new VMs. */
  listOsImages(cluster: string): Promise<OsImage[]>;
  /** What a VM of the requested size would do to the namespace's quotas. */
  planRequest(
    cluster: string,
    namespace: string,
    request: QuotaPlanRequest,
  ): Promise<QuotaPlan>;
  /**
   * What a day-2 change to the entity's VM (resize, add a disk, …) would do, checked
   * against its namespace's quotas. Fails with a 403 when the caller may not ask for it.
   */
  planVirtualMachineChange(
    entityRef: string | CompoundEntityRef,
    change: VirtualMachineChange,
  ): Promise<VirtualMachineChangePlan>;
  /**
   * The snapshots and restores of the entity's VM, newest first, and why none can be
   * restored now.
   */
  listSnapshots(
    entityRef: string | CompoundEntityRef,
  ): Promise<VirtualMachineSnapshots>;
  /** Asks KubeVirt for a snapshot of the entity's VM. */
  takeSnapshot(entityRef: string | CompoundEntityRef): Promise<SnapshotTaken>;
  /**
   * Restores the entity's VM from one of its snapshots. Fails with a 409 when the VM
   * is not stopped or the snapshot is not ready.
   */
  restoreSnapshot(
    entityRef: string | CompoundEntityRef,
    snapshot: string,
  ): Promise<RestoreStarted>;
  /** Deletes one of the entity's VM's snapshots. */
  deleteSnapshot(
    entityRef: string | CompoundEntityRef,
    snapshot: string,
  ): Promise<void>;
  /**
   * Whether the entity's VM can be live-migrated now (quotas, nodes with room), its
   * node and its latest migration.
   */
  getMigrationPlan(
    entityRef: string | CompoundEntityRef,
  ): Promise<VirtualMachineMigrationPlan>;
  /**
   * Starts a live migration of the entity's VM. Fails with a 409 naming the problems
   * when its plan says it would not fit.
   */
  startMigration(
    entityRef: string | CompoundEntityRef,
  ): Promise<MigrationStarted>;
  /**
   * The VM requests the caller may see, in the backend's order: the caller's own
   * first, then the newest.
   */
  listRequests(
    filter?: VirtualMachineRequestFilter,
  ): Promise<TrackedVirtualMachineRequest[]>;
  /** One VM request; undefined when there is none or the caller may not see it. */
  getRequest(id: string): Promise<TrackedVirtualMachineRequest | undefined>;
  /**
   * The live state of the VMs of up to `VIRTUAL_MACHINE_STATES_LIMIT` entities, in
   * one call (the rows of the VM inventory on screen); one item per ref, in order.
   */
  getVirtualMachineStates(
    entityRefs: string[],
  ): Promise<VirtualMachineLiveState[]>;
  /** The VMs the caller may read whose guests have an IP address starting with `query`. */
  searchVirtualMachineAddresses(
    query: string,
  ): Promise<VirtualMachineAddressSearchResponse>;
  /**
   * Where to open a console of the entity's VM, once the backend says the caller may
   * open it now. Fails with the backend's reason otherwise: 403 when the caller is not
   * one of its owners, 409 when the VM is not running.
   */
  getConsoleConnection(
    entityRef: string | CompoundEntityRef,
    type: VirtualMachineConsoleType,
  ): Promise<VirtualMachineConsoleConnection>;
}

/**
 * The {@link KubevirtApi}.
 *
 * @public
 */
export const kubevirtApiRef = createApiRef<KubevirtApi>({
  id: 'plugin.kubevirt.service',
});
