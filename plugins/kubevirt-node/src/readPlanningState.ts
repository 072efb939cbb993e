import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  PlanQuotaInput,
  SizeCatalog,
  VirtualMachineRequestError,
} from '@vmportal/plugin-kubevirt-common';
import type { KubevirtClient } from './KubevirtClient';

/**
 * What a quota plan of a VM in one namespace is computed from, read live, and which
 * optional reads the service account was not allowed to make.
 *
 * @public
 */
export interface PlanningState extends Omit<PlanQuotaInput, 'request'> {
  /** Optional objects the plan went without (`CDIConfig`, `KubeVirt configuration`). */
  unreadable: string[];
}

/** The reads a plan can do without, by the names the task log gives them. */
const OPTIONAL_READS = ['CDIConfig', 'KubeVirt configuration'];

async function optional<T>(
  what: string,
  unreadable: string[],
  read: Promise<T>,
): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof NotAllowedError) {
      unreadable.push(what);
      return undefined;
    }
    throw error;
  }
}

/**
 * Reads, at once, everything a quota plan in `namespace` depends on: the namespace's
 * labels, ResourceQuotas (with status) and LimitRanges, the instancetypes and
 * preferences a VM there may name, the storage classes and, when the service account
 * may read them, CDI's config and the KubeVirt configuration (the plan uses their
 * defaults otherwise). A namespace that does not exist is a request problem on field
 * `namespace` (a `VirtualMachineRequestError`, an `InputError`).
 *
 * @public
 */
export async function readPlanningState(
  client: KubevirtClient,
  namespace: string,
): Promise<PlanningState> {
  const unreadable: string[] = [];
  const [ns, quotas, limitRanges, sizeObjects, storageClasses, cdi, kubevirt] =
    await Promise.all([
      client.getNamespace(namespace).catch(error => {
        if (error instanceof NotFoundError) {
          throw new VirtualMachineRequestError([
            {
              field: 'namespace',
              message: `'${namespace}' does not exist on cluster ${client.cluster}; give your team's namespace there, or ask the platform team to create it`,
            },
          ]);
        }
        throw error;
      }),
      client.listResourceQuotas(namespace),
      client.listLimitRanges(namespace),
      client.listSizeObjects(namespace),
      client.listStorageClassInfo(),
      optional('CDIConfig', unreadable, client.getCdiConfig()),
      optional(
        'KubeVirt configuration',
        unreadable,
        client.getKubevirtConfiguration(),
      ),
    ]);
  return {
    namespaceLabels: ns.metadata.labels ?? {},
    quotas,
    limitRanges,
    sizes: SizeCatalog.fromCluster(sizeObjects),
    storageClasses,
    ...(cdi && { cdiConfig: cdi }),
    ...(kubevirt && { kubevirt }),
    // In a fixed order, whichever read was refused first.
    unreadable: OPTIONAL_READS.filter(what => unreadable.includes(what)),
  };
}
