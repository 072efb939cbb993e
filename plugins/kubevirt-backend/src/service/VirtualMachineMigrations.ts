import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  kubevirtVmMigratePermission,
  VirtualMachineMigrationPlan,
} from '@vmportal/plugin-kubevirt-common';
import type { KubevirtCluster } from '@vmportal/plugin-kubevirt-node';
import type { Request } from 'express';
import { planMigration } from '../lib/planMigration';
import { launcherPodOf } from '../lib/virtualMachineView';
import {
  clusterError,
  VirtualMachineService,
  VirtualMachineTarget,
} from './VirtualMachineService';

/** At most this many candidate nodes are read (one pod list each). */
const NODES_CHECKED = 20;

/**
 * What a migration started now returns.
 *
 * @internal
 */
export interface MigrationStarted {
  /** The VirtualMachineInstanceMigration's name. */
  migration: string;
  /** The plan it was started on. */
  plan: VirtualMachineMigrationPlan;
}

/**
 * Live migration from the VM page: the plan before the click (is the VM migratable,
 * would the namespace's quotas admit a second launcher pod, has another node room),
 * and the migration itself, for owners (`kubevirt.vm.migrate`), audited as
 * `vm-migrate`. A migration the plan says would not fit is refused before anything
 * is created, naming the quota or the nodes.
 *
 * @internal
 */
export class VirtualMachineMigrations {
  constructor(private readonly vms: VirtualMachineService) {}

  /** The migration plan of the entity's VM (`kubevirt.vm.read`). */
  async plan(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<VirtualMachineMigrationPlan> {
    const { cluster, target } = await this.vms.authorizeRead(ref, credentials);
    return readMigrationPlan(cluster, target);
  }

  /** Starts a live migration of the entity's VM when its plan says it fits. */
  migrate(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
    httpRequest?: Request,
  ): Promise<MigrationStarted> {
    return this.vms.act(
      ref,
      credentials,
      {
        eventId: 'vm-migrate',
        permission: kubevirtVmMigratePermission,
        what: 'migrate',
        refused: t => `Only ${t.owners} can migrate ${t.entityRef}`,
        httpRequest,
      },
      async ({ cluster, target }) => {
        const plan = await readMigrationPlan(cluster, target);
        if (!plan.fits) {
          throw new ConflictError(
            `${target.entityRef} was not migrated: ${plan.problems.join(' ')}`,
          );
        }
        const migration = await cluster
          .actor()
          .createMigration(target.namespace, target.name)
          .catch(error => {
            throw clusterError(cluster.name, error);
          });
        const name = migration.metadata.name ?? '';
        return {
          result: { migration: name, plan },
          meta: {
            migration: name,
            ...(plan.currentNode && { fromNode: plan.currentNode }),
          },
        };
      },
    );
  }
}

async function readMigrationPlan(
  cluster: KubevirtCluster,
  target: VirtualMachineTarget,
): Promise<VirtualMachineMigrationPlan> {
  const { namespace, name } = target;
  try {
    const [vmi, namedPods, quotas, nodes, migrations] = await Promise.all([
      cluster.page.getVirtualMachineInstance(namespace, name),
      cluster.page.listPods(namespace, `vm.kubevirt.io/name=${name}`),
      cluster.planning.listResourceQuotas(namespace),
      cluster.page.listNodes(),
      cluster.page.listMigrations(namespace, name),
    ]);
    const currentNode = vmi?.status?.nodeName;
    const candidates = nodes
      .filter(node => node.metadata.name !== currentNode)
      .slice(0, NODES_CHECKED);
    const withPods = await Promise.all(
      candidates.map(async node => ({
        node,
        pods: await cluster.page.listPodsOnNode(node.metadata.name ?? ''),
      })),
    );
    return planMigration({
      vmi,
      launcherPod: launcherPodOf(vmi, namedPods),
      quotas,
      nodes: withPods,
      migrations,
    });
  } catch (error) {
    if (error instanceof NotFoundError) throw error;
    throw clusterError(cluster.name, error);
  }
}
