import type {
  AuditorService,
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
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  availablePowerActions,
  KUBEVIRT_ANNOTATIONS,
  kubevirtVmPowerPermission,
  kubevirtVmReadPermission,
  PowerAction,
  PowerActionRequest,
  PowerActionResult,
  VirtualMachine,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import {
  KubernetesApiError,
  KubevirtClient,
} from '@vmportal/plugin-kubevirt-node';
import type { Request } from 'express';
import { runStrategyPowerAction } from '../lib/runStrategyPowerAction';
import type { KubevirtClusters } from './KubevirtClusters';
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
  clusters: KubevirtClusters;
  catalog: CatalogService;
  permissions: PermissionsService;
  auditor: AuditorService;
  logger: LoggerService;
}

/**
 * The VM page's backend: the live view of the VM a catalog entity stands for, and
 * its power actions, both checked against the user's permissions.
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
   * not read it.
   */
  async getView(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<VirtualMachineView> {
    const target = await this.resolve(ref, credentials);
    const [read, power] = await this.options.permissions.authorize(
      [
        { permission: kubevirtVmReadPermission, resourceRef: target.entityRef },
        {
          permission: kubevirtVmPowerPermission,
          resourceRef: target.entityRef,
        },
      ],
      { credentials },
    );
    if (read.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You may not see the virtual machine of ${target.entityRef}`,
      );
    }
    const client = this.client(target);
    const vm = await this.readVm(client, target);
    const view = await readVirtualMachineView(client, vm).catch(error => {
      throw clusterError(client.cluster, error);
    });
    const allowed = power.result === AuthorizeResult.ALLOW;
    return {
      ...view,
      power: {
        allowed,
        ...(!allowed && {
          deniedReason: `Only ${target.owners} can start, stop, restart, pause or unpause this VM`,
        }),
        available: availablePowerActions(view.printableStatus),
      },
    };
  }

  /**
   * Starts, stops, restarts, pauses or unpauses the entity's VM through KubeVirt's
   * subresource API, or by patching `spec.runStrategy` where the cluster does not
   * serve it. Every call is recorded with the auditor, whatever its outcome.
   */
  async powerAction(
    ref: CompoundEntityRef,
    request: PowerActionRequest,
    credentials: BackstageCredentials,
    httpRequest?: Request,
  ): Promise<PowerActionResult> {
    const { action, force = false } = request;
    const entityRef = stringifyEntityRef(ref);
    const audit = await this.options.auditor.createEvent({
      eventId: 'vm-power-action',
      severityLevel: 'medium',
      request: httpRequest,
      meta: { action, force, entityRef },
    });
    let target: VirtualMachineTarget | undefined;
    try {
      target = await this.resolve(ref, credentials);
      const [decision] = await this.options.permissions.authorize(
        [
          {
            permission: kubevirtVmPowerPermission,
            resourceRef: target.entityRef,
          },
        ],
        { credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW) {
        throw new NotAllowedError(
          `Only ${target.owners} can ${action} ${target.entityRef}`,
        );
      }
      const client = this.client(target);
      const vm = await this.readVm(client, target);
      const previousStatus = vm.status?.printableStatus ?? 'Unknown';
      const via = (await client.servesPowerSubresources().catch(error => {
        throw clusterError(client.cluster, error);
      }))
        ? 'subresource'
        : 'runStrategy';
      if (via === 'subresource') {
        await this.callSubresource(client, target, action, force);
      } else {
        await runStrategyPowerAction(client, vm, action).catch(error => {
          throw clusterError(client.cluster, error);
        });
      }
      this.logger.info(`${action} of ${describe(target)} accepted`, {
        entityRef: target.entityRef,
        via,
      });
      await audit.success({
        meta: { ...targetMeta(target), via, previousStatus },
      });
      return { action, via, previousStatus };
    } catch (error) {
      await audit.fail({
        error: error as Error,
        meta: target ? targetMeta(target) : {},
      });
      throw error;
    }
  }

  /** The entity and the VM its annotations name; `NotFoundError` for what is missing. */
  async resolve(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<VirtualMachineTarget> {
    const entity = await this.options.catalog.getEntityByRef(ref, {
      credentials,
    });
    if (!entity) {
      throw new NotFoundError(
        `${stringifyEntityRef(ref)} was not found in the catalog`,
      );
    }
    return virtualMachineTarget(entity);
  }

  private client(target: VirtualMachineTarget): KubevirtClient {
    try {
      return this.options.clusters.client(target.cluster);
    } catch (error) {
      throw new NotFoundError(
        `${target.entityRef} is on cluster '${target.cluster}', but cluster '${target.cluster}' is not configured`,
        error,
      );
    }
  }

  private async readVm(
    client: KubevirtClient,
    target: VirtualMachineTarget,
  ): Promise<VirtualMachine> {
    try {
      return await client.getVirtualMachine(target.namespace, target.name);
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new NotFoundError(
          `VirtualMachine ${target.namespace}/${target.name} not found in cluster ${target.cluster}`,
        );
      }
      throw clusterError(client.cluster, error);
    }
  }

  private async callSubresource(
    client: KubevirtClient,
    target: VirtualMachineTarget,
    action: PowerAction,
    force: boolean,
  ) {
    let body: object = {};
    if (force && action === 'stop') body = { gracePeriod: 0 };
    if (force && action === 'restart') body = { gracePeriodSeconds: 0 };
    try {
      await client.virtualMachinePowerAction(
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
      throw clusterError(client.cluster, error);
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
  const read = (key: keyof typeof KUBEVIRT_ANNOTATIONS) => {
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
