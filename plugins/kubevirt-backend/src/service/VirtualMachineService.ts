import type {
  AuditorService,
  AuthService,
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  AuthenticationError,
  ConflictError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  availablePowerActions,
  KUBEVIRT_ANNOTATIONS,
  kubevirtVmAdoptPermission,
  kubevirtVmChangePermission,
  kubevirtVmDecommissionPermission,
  kubevirtVmPowerPermission,
  kubevirtVmReadPermission,
  planVirtualMachineChange,
  PowerAction,
  PowerActionRequest,
  PowerActionResult,
  VirtualMachine,
  VirtualMachineChange,
  virtualMachineChangePermission,
  VirtualMachineChangePlan,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import {
  KubernetesApiError,
  KubevirtCluster,
  KubevirtClustersService,
  VirtualMachineActor,
  VirtualMachinePageReads,
} from '@vmportal/plugin-kubevirt-node';
import type { Request } from 'express';
import {
  assertEmittedByProvider,
  assertSameVirtualMachine,
} from '../lib/entityProvenance';
import { runStrategyPowerAction } from '../lib/runStrategyPowerAction';
import { servicePrincipalRefusal } from '../lib/servicePrincipalRefusal';
import { readVirtualMachineView } from './readVirtualMachineView';

/**
 * The VirtualMachine a catalog entity stands for.
 *
 * @internal
 */
export interface VirtualMachineTarget {
  /** The entity's full ref, e.g. `component:default/web-1`. */
  entityRef: string;
  /** Who may act on it, in words: the entity's owner, else the entity itself. */
  owners: string;
  cluster: string;
  namespace: string;
  name: string;
}

/**
 * What {@link VirtualMachineService} needs.
 *
 * @internal
 */
export interface VirtualMachineServiceOptions {
  clusters: KubevirtClustersService;
  catalog: CatalogService;
  auth: AuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  logger: LoggerService;
  /** Subjects of the service principals that may change VMs (`kubevirt.permissions`). */
  servicePrincipalsAllowedToAct: ReadonlySet<string>;
}

const ALLOW_KEY = 'kubevirt.permissions.servicePrincipalsAllowedToAct';

/** Why a power action or change was refused before it reached the cluster; audited at high. */
type Refusal = 'principal' | 'provenance' | 'permission';

/** Marks a refusal so that the caller audits it as one, with the target once known. */
class ChangeRefusal {
  constructor(
    readonly reason: Refusal,
    readonly error: NotAllowedError,
    readonly target?: VirtualMachineTarget,
  ) {}
}

/**
 * The VM page's backend: the live view of the VM a catalog entity stands for, and
 * its power actions, both checked against the user's permissions, the caller's
 * principal type and the entity's provenance.
 *
 * @internal
 */
export class VirtualMachineService {
  /** A service over the given clusters and core services. */
  static create(options: VirtualMachineServiceOptions): VirtualMachineService {
    return new VirtualMachineService(options);
  }

  private readonly logger: LoggerService;

  private constructor(private readonly options: VirtualMachineServiceOptions) {
    this.logger = options.logger.child({ target: 'VirtualMachineService' });
  }

  /**
   * The live view of the entity's VM. `NotFoundError` names what is missing (the
   * entity, an annotation, the cluster or the VM); `NotAllowedError` when the user may
   * not read it or the entity is not the KubeVirt provider's; `ConflictError` when the
   * VM was re-created since the entity was made.
   */
  async getView(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<VirtualMachineView> {
    // The catalog lookup and the permission call at once: the decisions are about the
    // entity ref, which the request already names, so neither waits for the other.
    const [{ entity, target }, decisions] = await Promise.all([
      this.resolve(ref, credentials),
      this.options.permissions.authorize(
        [
          kubevirtVmReadPermission,
          kubevirtVmPowerPermission,
          kubevirtVmChangePermission,
          kubevirtVmDecommissionPermission,
          kubevirtVmAdoptPermission,
        ].map(permission => ({
          permission,
          resourceRef: stringifyEntityRef(ref),
        })),
        { credentials },
      ),
    ]);
    assertEmittedByProvider(entity, target);
    const [read, power, change, decommission, adopt] = decisions;
    if (read.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You may not see the virtual machine of ${target.entityRef}`,
      );
    }
    const cluster = this.cluster(target);
    // Shown, not written: the page cache's watches answer (see VirtualMachinePageCache).
    const vm = this.readVm(cluster, target, cluster.pageCache).then(live => {
      assertSameVirtualMachine(entity, live, cluster.name);
      return live;
    });
    const view = await readVirtualMachineView(
      cluster.pageCache,
      target,
      vm,
      cluster.planning,
    ).catch(error => {
      throw clusterError(cluster.name, error);
    });
    const principalRefusal = this.principalRefusal(credentials);
    let deniedReason: string | undefined;
    if (principalRefusal) deniedReason = principalRefusal;
    else if (power.result !== AuthorizeResult.ALLOW) {
      deniedReason = `Only ${target.owners} can start, stop, restart, pause or unpause this VM`;
    }
    return {
      ...view,
      power: {
        allowed: !deniedReason,
        ...(deniedReason && { deniedReason }),
        available: availablePowerActions(view.printableStatus),
      },
      changes: {
        change: !principalRefusal && change.result === AuthorizeResult.ALLOW,
        decommission:
          !principalRefusal && decommission.result === AuthorizeResult.ALLOW,
        adopt: !principalRefusal && adopt.result === AuthorizeResult.ALLOW,
      },
    };
  }

  /**
   * Starts, stops, restarts, pauses or unpauses the entity's VM through KubeVirt's
   * subresource API, or by patching `spec.runStrategy` where the cluster does not
   * serve it, with the cluster's actor credential. Refused (403) for service
   * principals not listed in `kubevirt.permissions.servicePrincipalsAllowedToAct`,
   * for entities the KubeVirt provider did not emit, and for users the permission
   * policy denies. Every call is recorded with the auditor, naming the actor;
   * refusals at severity `high` and in a warning.
   */
  async powerAction(
    ref: CompoundEntityRef,
    request: PowerActionRequest,
    credentials: BackstageCredentials,
    httpRequest?: Request,
  ): Promise<PowerActionResult> {
    const { action, force = false } = request;
    return this.act(
      ref,
      credentials,
      {
        eventId: 'vm-power-action',
        permission: kubevirtVmPowerPermission,
        what: action,
        refused: t => `Only ${t.owners} can ${action} ${t.entityRef}`,
        meta: { action, force },
        httpRequest,
      },
      async ({ cluster, target, vm }) => {
        const actorClient = cluster.actor();
        const previousStatus = vm.status?.printableStatus ?? 'Unknown';
        const via = (await actorClient
          .servesPowerSubresources()
          .catch(error => {
            throw clusterError(cluster.name, error);
          }))
          ? 'subresource'
          : 'runStrategy';
        if (via === 'subresource') {
          await this.callSubresource(actorClient, target, action, force);
        } else {
          await runStrategyPowerAction(cluster, vm, action).catch(error => {
            throw clusterError(cluster.name, error);
          });
        }
        return {
          result: { action, via, previousStatus },
          meta: { via, previousStatus },
        };
      },
    );
  }

  /**
   * Does `operation` on the entity's VM for a caller who may: the caller's principal,
   * the entity's provenance and `permission` are checked first (see
   * {@link VirtualMachineService.authorizeChange}), then the VM is read and checked
   * against the entity. Every call is recorded with the auditor as `eventId`, naming
   * the actor and the VM; refusals at severity `high` and in a warning, the rest at
   * `medium`. `operation` returns its result and what the audit adds on success.
   */
  async act<R>(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
    options: {
      eventId: string;
      permission: ResourcePermission<'catalog-entity'>;
      /** The operation in words, for the log: `start`, `snapshot`, … */
      what: string;
      refused: (target: VirtualMachineTarget) => string;
      meta?: Record<string, unknown>;
      httpRequest?: Request;
    },
    operation: (context: {
      entity: Entity;
      target: VirtualMachineTarget;
      cluster: KubevirtCluster;
      vm: VirtualMachine;
      actor: string;
    }) => Promise<{ result: R; meta?: Record<string, unknown> }>,
  ): Promise<R> {
    const { eventId, what, httpRequest } = options;
    const entityRef = stringifyEntityRef(ref);
    const actor = this.actorOf(credentials);
    const meta = { ...options.meta, entityRef, actor };
    let target: VirtualMachineTarget | undefined;
    let entity: Entity;
    let cluster: KubevirtCluster;
    let vm: VirtualMachine;
    try {
      const resolved = await this.authorizeChange(
        ref,
        credentials,
        options.permission,
        options.refused,
      );
      ({ entity, target } = resolved);
      cluster = this.cluster(target);
      vm = await this.readVm(cluster, target);
      assertSameVirtualMachine(entity, vm, cluster.name);
    } catch (error) {
      const refusal = error instanceof ChangeRefusal ? error : undefined;
      const thrown = refusal?.error ?? (error as Error);
      const known = target ?? refusal?.target;
      const where = known ? targetMeta(known) : {};
      if (refusal) {
        this.logger.warn(
          `Refused ${what} of ${entityRef} for ${actor}: ${thrown.message}`,
          { ...meta, refusal: refusal.reason },
        );
      }
      const audit = await this.options.auditor.createEvent({
        eventId,
        severityLevel: refusal ? 'high' : 'medium',
        request: httpRequest,
        meta,
      });
      await audit.fail({
        error: thrown,
        meta: { ...where, ...(refusal && { refusal: refusal.reason }) },
      });
      throw thrown;
    }

    const audit = await this.options.auditor.createEvent({
      eventId,
      severityLevel: 'medium',
      request: httpRequest,
      meta,
    });
    try {
      const done = await operation({ entity, target, cluster, vm, actor });
      this.logger.info(`${what} of ${describe(target)} accepted`, {
        entityRef: target.entityRef,
        actor,
        ...done.meta,
      });
      await audit.success({ meta: { ...targetMeta(target), ...done.meta } });
      return done.result;
    } catch (error) {
      await audit.fail({ error: error as Error, meta: targetMeta(target) });
      throw error;
    }
  }

  /**
   * What a day-2 change to the entity's VM would add to its namespace's quotas and
   * when it would take effect (nothing is changed: the change itself is a pull
   * request). Refused like a power action: service principals not allowed to act,
   * entities the provider did not emit, and users without the change's permission.
   */
  async planChange(
    ref: CompoundEntityRef,
    change: VirtualMachineChange,
    credentials: BackstageCredentials,
    httpRequest?: Request,
  ): Promise<VirtualMachineChangePlan> {
    const permission = virtualMachineChangePermission(change.kind);
    let target: VirtualMachineTarget;
    let entity: Entity;
    try {
      ({ entity, target } = await this.authorizeChange(
        ref,
        credentials,
        permission,
        t =>
          `Only ${t.owners} can ask for changes to ${t.entityRef} (${permission.name})`,
      ));
    } catch (error) {
      if (!(error instanceof ChangeRefusal)) throw error;
      const entityRef = stringifyEntityRef(ref);
      const actor = this.actorOf(credentials);
      this.logger.warn(
        `Refused a ${change.kind} plan of ${entityRef} for ${actor}: ${error.error.message}`,
        { actor, entityRef, change: change.kind, refusal: error.reason },
      );
      const audit = await this.options.auditor.createEvent({
        eventId: 'vm-change-plan',
        severityLevel: 'high',
        request: httpRequest,
        meta: { change: change.kind, entityRef, actor },
      });
      await audit.fail({
        error: error.error,
        meta: {
          ...(error.target ? targetMeta(error.target) : {}),
          refusal: error.reason,
        },
      });
      throw error.error;
    }
    const cluster = this.cluster(target);
    const vm = await this.readVm(cluster, target);
    assertSameVirtualMachine(entity, vm, cluster.name);
    const [vmi, state] = await Promise.all([
      cluster.page
        .getVirtualMachineInstance(target.namespace, target.name)
        .catch(error => {
          if (error instanceof NotFoundError) return undefined;
          throw clusterError(cluster.name, error);
        }),
      cluster.planning.readPlanningState(target.namespace).catch(error => {
        throw clusterError(cluster.name, error);
      }),
    ]);
    const { unreadable: _unreadable, ...planning } = state;
    return planVirtualMachineChange({
      ...planning,
      cluster: cluster.name,
      vm,
      change,
      running: Boolean(vmi),
      liveMigratable: vmi?.status?.conditions?.find(
        c => c.type === 'LiveMigratable',
      ),
    });
  }

  /**
   * The entity and its VM, when the caller may change it with `permission`: throws a
   * {@link ChangeRefusal} for service principals not allowed to act, entities the
   * provider did not emit, and users the policy denies (`refused` words the last).
   */
  private async authorizeChange(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
    permission: ResourcePermission<'catalog-entity'>,
    refused: (target: VirtualMachineTarget) => string,
  ): Promise<{ entity: Entity; target: VirtualMachineTarget }> {
    const principalRefusal = this.principalRefusal(credentials);
    if (principalRefusal) {
      throw new ChangeRefusal(
        'principal',
        new NotAllowedError(principalRefusal),
      );
    }
    const { entity, target } = await this.resolve(ref, credentials);
    try {
      assertEmittedByProvider(entity, target);
    } catch (error) {
      throw new ChangeRefusal('provenance', error as NotAllowedError, target);
    }
    const [decision] = await this.options.permissions.authorize(
      [{ permission, resourceRef: target.entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new ChangeRefusal(
        'permission',
        new NotAllowedError(refused(target)),
        target,
      );
    }
    return { entity, target };
  }

  /**
   * The entity's VM for a caller who may read it (`kubevirt.vm.read`), read from the
   * apiserver and checked against the entity: for what a page reads beyond the view
   * (snapshots, the migration plan). `NotAllowedError` when the policy denies it.
   */
  async authorizeRead(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<{
    entity: Entity;
    target: VirtualMachineTarget;
    cluster: KubevirtCluster;
    vm: VirtualMachine;
  }> {
    const { entity, target } = await this.resolve(ref, credentials);
    assertEmittedByProvider(entity, target);
    const [read] = await this.options.permissions.authorize(
      [{ permission: kubevirtVmReadPermission, resourceRef: target.entityRef }],
      { credentials },
    );
    if (read.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You may not see the virtual machine of ${target.entityRef}`,
      );
    }
    const cluster = this.cluster(target);
    const vm = await this.readVm(cluster, target);
    assertSameVirtualMachine(entity, vm, cluster.name);
    return { entity, target, cluster, vm };
  }

  /** The entity and the VM its annotations name; `NotFoundError` for what is missing. */
  async resolve(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<{ entity: Entity; target: VirtualMachineTarget }> {
    // A user reads the catalog as themselves. A script's token may be restricted to
    // kubevirt's own permissions, which the catalog would refuse to take on its behalf:
    // the lookup is then the plugin's, and kubevirt.vm.read (checked next, with the
    // caller's credentials) decides what the script sees.
    const { auth } = this.options;
    const entity = await this.options.catalog.getEntityByRef(ref, {
      credentials: auth.isPrincipal(credentials, 'user')
        ? credentials
        : await auth.getOwnServiceCredentials(),
    });
    if (!entity) {
      throw new NotFoundError(
        `${stringifyEntityRef(ref)} was not found in the catalog`,
      );
    }
    return { entity, target: virtualMachineTarget(entity) };
  }

  /**
   * Why the caller may not change VMs whatever the policy says, or undefined. The
   * permission framework allows service principals without asking the policy, so
   * only those the config names may act.
   */
  private principalRefusal(
    credentials: BackstageCredentials,
  ): string | undefined {
    return servicePrincipalRefusal(
      this.options.auth,
      credentials,
      this.options.servicePrincipalsAllowedToAct,
      { key: ALLOW_KEY, what: 'change virtual machines' },
    );
  }

  /** Who is calling, as audit logs name them: a user entity ref or a service subject. */
  private actorOf(credentials: BackstageCredentials): string {
    const { auth } = this.options;
    if (auth.isPrincipal(credentials, 'user')) {
      return credentials.principal.userEntityRef;
    }
    if (auth.isPrincipal(credentials, 'service')) {
      return credentials.principal.subject;
    }
    return 'unauthenticated';
  }

  private cluster(target: VirtualMachineTarget): KubevirtCluster {
    try {
      return this.options.clusters.get(target.cluster);
    } catch (error) {
      throw new NotFoundError(
        `${target.entityRef} is on cluster '${target.cluster}', but cluster '${target.cluster}' is not configured`,
        error,
      );
    }
  }

  private async readVm(
    cluster: KubevirtCluster,
    target: VirtualMachineTarget,
    reader: Pick<VirtualMachinePageReads, 'getVirtualMachine'> = cluster.page,
  ): Promise<VirtualMachine> {
    try {
      return await reader.getVirtualMachine(target.namespace, target.name);
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new NotFoundError(
          `VirtualMachine ${target.namespace}/${target.name} not found in cluster ${target.cluster}`,
        );
      }
      throw clusterError(cluster.name, error);
    }
  }

  private async callSubresource(
    actor: VirtualMachineActor,
    target: VirtualMachineTarget,
    action: PowerAction,
    force: boolean,
  ) {
    let body: object = {};
    if (force && action === 'stop') body = { gracePeriod: 0 };
    if (force && action === 'restart') body = { gracePeriodSeconds: 0 };
    try {
      await actor.virtualMachinePowerAction(
        target.namespace,
        target.name,
        action,
        body,
      );
    } catch (error) {
      // KubeVirt's refusals: "VM is already running", "VM is not running", …
      if (error instanceof KubernetesApiError && error.statusCode === 409) {
        throw new ConflictError(error.message);
      }
      if (
        error instanceof NotFoundError &&
        (action === 'pause' || action === 'unpause')
      ) {
        throw new ConflictError(
          `Cannot ${action} VirtualMachine ${target.namespace}/${target.name}: VM is not running`,
        );
      }
      throw clusterError(actor.cluster, error);
    }
  }
}

/**
 * The VirtualMachine an entity's annotations name; `NotFoundError` naming the first
 * missing annotation.
 *
 * @internal
 */
export function virtualMachineTarget(entity: Entity): VirtualMachineTarget {
  const annotations = entity.metadata.annotations ?? {};
  const entityName = `${entity.kind} ${
    entity.metadata.namespace ?? 'default'
  }/${entity.metadata.name}`;
  const read = (key: 'cluster' | 'namespace' | 'name') => {
    const value = annotations[KUBEVIRT_ANNOTATIONS[key]];
    if (!value) {
      throw new NotFoundError(
        `${entityName} has no ${KUBEVIRT_ANNOTATIONS[key]} annotation`,
      );
    }
    return value;
  };
  const owner =
    typeof entity.spec?.owner === 'string' ? entity.spec.owner : undefined;
  return {
    entityRef: stringifyEntityRef(entity),
    owners: owner
      ? `members of ${owner}`
      : `owners of ${stringifyEntityRef(entity)}`,
    cluster: read('cluster'),
    namespace: read('namespace'),
    name: read('name'),
  };
}

function describe(target: VirtualMachineTarget): string {
  return `VirtualMachine ${target.namespace}/${target.name} on cluster ${target.cluster}`;
}

function targetMeta(target: VirtualMachineTarget) {
  return {
    entityRef: target.entityRef,
    cluster: target.cluster,
    namespace: target.namespace,
    name: target.name,
  };
}

/**
 * A cluster that refuses the portal's own credentials is the portal's problem, not
 * the user's: answer 503 naming the cluster rather than 401/403, which the page would
 * read as "you are not signed in" or "not an owner".
 *
 * @internal
 */
export function clusterError(cluster: string, error: unknown): unknown {
  if (
    error instanceof AuthenticationError ||
    error instanceof NotAllowedError
  ) {
    return new ServiceUnavailableError(
      `Cluster '${cluster}' refused the portal's service account: ${error.message}`,
      error,
    );
  }
  return error;
}
