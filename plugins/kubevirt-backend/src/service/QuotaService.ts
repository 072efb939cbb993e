import type {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  KUBEVIRT_ANNOTATIONS,
  NamespaceQuotaSummary,
  planQuota,
  Quantity,
  QuotaPlan,
  QuotaPlanRequest,
  QuotaUse,
  ResourceQuotaLike,
  SizeCatalog,
  TeamQuotaSummary,
  validateVirtualMachineRequest,
  VIRTUAL_MACHINE_COMPONENT_TYPE,
  VirtualMachineSize,
} from '@vmportal/plugin-kubevirt-common';
import type {
  KubevirtCluster,
  KubevirtClustersService,
} from '@vmportal/plugin-kubevirt-node';
import { clusterError } from './VirtualMachineService';

/**
 * The label on namespaces (and VMs) that names the owning team by its Group's name,
 * as the catalog provider reads it by default.
 *
 * @internal
 */
export const OWNER_LABEL = 'vmportal.io/owner';

/**
 * What {@link QuotaService} needs.
 *
 * @internal
 */
export interface QuotaServiceOptions {
  clusters: KubevirtClustersService;
  catalog: CatalogService;
  logger: LoggerService;
  /** Instancetype series the request form offers first (`kubevirt.requests.offeredSeries`). */
  offeredSeries: string[];
}

interface NamespaceRef {
  cluster: string;
  namespace: string;
}

function key(ns: NamespaceRef): string {
  return `${ns.cluster}/${ns.namespace}`;
}

/**
 * Quota summaries of namespaces and teams, the clusters' sizes, and quota plans for
 * the request form, read live from the clusters.
 *
 * @internal
 */
export class QuotaService {
  /** A service over the given clusters and catalog. */
  static create(options: QuotaServiceOptions): QuotaService {
    return new QuotaService(options);
  }

  private readonly logger: LoggerService;

  private constructor(private readonly options: QuotaServiceOptions) {
    this.logger = options.logger.child({ target: 'QuotaService' });
  }

  /** Every ResourceQuota of a namespace, one row per resource with its use. */
  async namespaceQuota(
    cluster: string,
    namespace: string,
  ): Promise<NamespaceQuotaSummary> {
    const { planning } = this.options.clusters.get(cluster);
    const quotas = await this.read(
      cluster,
      planning.listResourceQuotas(namespace),
    );
    return { cluster, namespace, quotas: quotaUses(quotas) };
  }

  /**
   * A team's VMs (virtual-machine Components it owns) and the quota use of its
   * namespaces: those its VMs are in and those labelled with its name. A cluster that
   * cannot be read is left out (and logged) rather than failing the whole summary.
   */
  async teamQuota(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<TeamQuotaSummary> {
    const team = stringifyEntityRef(ref);
    const group = await this.options.catalog.getEntityByRef(ref, {
      credentials,
    });
    if (!group) {
      throw new NotFoundError(`${team} was not found in the catalog`);
    }
    const { items } = await this.options.catalog.getEntities(
      {
        filter: {
          kind: 'Component',
          'spec.type': VIRTUAL_MACHINE_COMPONENT_TYPE,
          'relations.ownedBy': stringifyEntityRef(group),
        },
        fields: ['kind', 'metadata', 'spec'],
      },
      { credentials },
    );
    const configured = new Set(this.options.clusters.list().map(c => c.name));
    const vms = items.flatMap(vmOf).filter(vm => configured.has(vm.cluster));

    const namespaces = new Map<string, NamespaceRef>();
    for (const vm of vms) namespaces.set(key(vm), vm);
    const labelled = await Promise.all(
      this.options.clusters
        .list()
        .map(({ name }) =>
          this.tolerate(
            name,
            this.labelledNamespaces(
              this.options.clusters.get(name),
              group.metadata.name,
            ),
            [],
          ),
        ),
    );
    for (const ns of labelled.flat()) namespaces.set(key(ns), ns);

    const sorted = [...namespaces.values()].sort((a, b) =>
      key(a).localeCompare(key(b)),
    );
    const [summaries, statuses] = await Promise.all([
      Promise.all(
        sorted.map(ns =>
          this.tolerate(
            ns.cluster,
            this.namespaceQuota(ns.cluster, ns.namespace),
            undefined,
          ),
        ),
      ),
      this.vmStatuses(vms),
    ]);
    return {
      team,
      vmCount: items.length,
      runningCount: vms.filter(
        vm => statuses.get(`${key(vm)}/${vm.name}`) === 'Running',
      ).length,
      namespaces: summaries.flatMap(s => (s ? [s] : [])),
    };
  }

  /**
   * The instancetypes of a cluster (or the built-in common ones when it has none),
   * those of the offered series marked `offered`.
   */
  async sizes(cluster: string): Promise<VirtualMachineSize[]> {
    const { planning } = this.options.clusters.get(cluster);
    const objects = await this.read(cluster, planning.listSizeObjects());
    return SizeCatalog.fromCluster(objects).instancetypes.map(size => ({
      name: size.name,
      kind: size.kind,
      series: size.series ?? '',
      size: size.size ?? size.name,
      vcpus: size.vcpus,
      memory: size.memory.toString(),
      ...(size.description && { description: size.description }),
      offered: this.options.offeredSeries.includes(size.series ?? ''),
    }));
  }

  /**
   * What a VM of the asked size would do to the namespace's quotas, from the
   * namespace's ResourceQuotas, LimitRanges and labels, the cluster's sizes and
   * storage classes, read now.
   */
  async plan(
    cluster: string,
    namespace: string,
    body: QuotaPlanRequest,
  ): Promise<QuotaPlan> {
    const { planning } = this.options.clusters.get(cluster);
    const state = await this.read(
      cluster,
      planning.readPlanningState(namespace, {
        ...(body.image &&
          'dataSource' in body.image && { dataSource: body.image.dataSource }),
      }),
    );
    const { sizes } = state;
    const instancetype = body.instancetype
      ? sizes.instancetypes.find(
          s =>
            s.name === body.instancetype &&
            (s.kind === 'VirtualMachineClusterInstancetype' ||
              s.namespace === namespace),
        )
      : undefined;
    const preference = body.preference
      ? sizes.preferences.find(
          p =>
            p.name === body.preference &&
            (p.kind === 'VirtualMachineClusterPreference' ||
              p.namespace === namespace),
        )
      : undefined;
    const preferenceRef = body.preference && {
      name: body.preference,
      kind: preference?.kind ?? 'VirtualMachineClusterPreference',
    };
    const request = validateVirtualMachineRequest({
      // The form has not named the VM yet; the name does not change the arithmetic.
      name: 'planned-vm',
      namespace,
      cluster,
      owner: 'group:default/planned',
      size: body.instancetype
        ? {
            instancetype: {
              name: body.instancetype,
              kind: instancetype?.kind ?? 'VirtualMachineClusterInstancetype',
            },
            ...(preferenceRef && { preference: preferenceRef }),
          }
        : {
            cpu: { cores: body.cpu },
            memory: body.memory,
            ...(preferenceRef && { preference: preferenceRef }),
          },
      // Without an OS disk in the body, a containerDisk: it counts only its small
      // sidecar, so the disks in the body are what the plan counts as storage.
      image: body.image ?? {
        containerDisk: { image: 'quay.io/containerdisks/fedora:41' },
      },
      disks: body.disks ?? [],
    });
    return planQuota({ request, ...state });
  }

  private async labelledNamespaces(
    cluster: KubevirtCluster,
    groupName: string,
  ): Promise<NamespaceRef[]> {
    const names: NamespaceRef[] = [];
    let next: string | undefined;
    do {
      const page = await this.read(
        cluster.name,
        cluster.inventory.listNamespaces({
          labelSelector: `${OWNER_LABEL}=${groupName}`,
          continue: next,
        }),
      );
      names.push(
        ...page.items.map(ns => ({
          cluster: cluster.name,
          namespace: ns.metadata.name,
        })),
      );
      next = page.continue;
    } while (next);
    return names;
  }

  /** printableStatus of each VM, keyed `cluster/namespace/name`, one list per namespace. */
  private async vmStatuses(vms: NamespaceRef[]): Promise<Map<string, string>> {
    const statuses = new Map<string, string>();
    const namespaces = new Map(vms.map(vm => [key(vm), vm]));
    await Promise.all(
      [...namespaces.values()].map(ns =>
        this.tolerate(ns.cluster, this.listVmStatuses(ns, statuses), undefined),
      ),
    );
    return statuses;
  }

  private async listVmStatuses(
    { cluster, namespace }: NamespaceRef,
    into: Map<string, string>,
  ): Promise<void> {
    const { inventory } = this.options.clusters.get(cluster);
    let next: string | undefined;
    do {
      const page = await this.read(
        cluster,
        inventory.listVirtualMachines({ namespace, continue: next }),
      );
      for (const vm of page.items) {
        into.set(
          `${cluster}/${namespace}/${vm.metadata.name}`,
          vm.status?.printableStatus ?? 'Unknown',
        );
      }
      next = page.continue;
    } while (next);
  }

  /** `fallback` instead of a cluster's failure, with a warning naming the cluster. */
  private async tolerate<T>(
    cluster: string,
    request: Promise<T>,
    fallback: T,
  ): Promise<T> {
    try {
      return await request;
    } catch (error) {
      this.logger.warn(
        `Left cluster '${cluster}' out of a team quota summary: ${
          (error as Error).message
        }`,
      );
      return fallback;
    }
  }

  private async read<T>(cluster: string, request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (error) {
      throw clusterError(cluster, error);
    }
  }
}

/**
 * One row per quota and resource: hard, used and how full.
 *
 * @internal
 */
export function quotaUses(quotas: ResourceQuotaLike[]): QuotaUse[] {
  const rows: QuotaUse[] = [];
  for (const quota of quotas) {
    const name = quota.metadata?.name ?? '';
    const hard = quota.status?.hard ?? quota.spec?.hard ?? {};
    const used = quota.status?.used ?? {};
    for (const resource of Object.keys(hard).sort()) {
      const hardAmount = Quantity.tryParse(hard[resource]);
      const usedAmount = Quantity.tryParse(used[resource] ?? '0');
      const limit = hardAmount?.toNumber() ?? 0;
      let fraction = 0;
      if (limit > 0) fraction = (usedAmount?.toNumber() ?? 0) / limit;
      else if (usedAmount && !usedAmount.isZero()) fraction = 1;
      rows.push({
        quota: name,
        resource,
        hard: hard[resource],
        used: used[resource] ?? '0',
        fraction,
      });
    }
  }
  return rows;
}

function vmOf(entity: Entity) {
  const annotations = entity.metadata.annotations ?? {};
  const cluster = annotations[KUBEVIRT_ANNOTATIONS.cluster];
  const namespace = annotations[KUBEVIRT_ANNOTATIONS.namespace];
  const name = annotations[KUBEVIRT_ANNOTATIONS.name];
  return cluster && namespace && name ? [{ cluster, namespace, name }] : [];
}
