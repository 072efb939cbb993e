import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  DataImportCronObject,
  DataSourceObject,
  NamespaceQuotaSummary,
  OsImage,
  PersistentVolumeClaimObject,
  SizeCatalog,
} from '@vmportal/plugin-kubevirt-common';
import {
  KubevirtClustersService,
  KubevirtRequestsConfig,
  NAMESPACE_OWNER_LABEL,
  namespaceOwners,
  protectedNamespacePattern,
  sameEntityRef,
} from '@vmportal/plugin-kubevirt-node';
import { clusterError } from './VirtualMachineService';
import { quotaUses } from './QuotaService';

/**
 * What {@link RequestOptionsService} needs.
 *
 * @internal
 */
export interface RequestOptionsServiceOptions {
  clusters: KubevirtClustersService;
  requests: KubevirtRequestsConfig;
}

const DEFAULT_INSTANCETYPE = 'instancetype.kubevirt.io/default-instancetype';
const DEFAULT_PREFERENCE = 'instancetype.kubevirt.io/default-preference';
const MANAGED_BY_CRON = 'cdi.kubevirt.io/dataImportCron';
const DISPLAY_NAME = 'openshift.io/display-name';

/** The tag of `docker://quay.io/containerdisks/fedora:41` (`41`), if it has one. */
function imageTag(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const lastPart = url.slice(url.lastIndexOf('/') + 1);
  const at = lastPart.indexOf('@');
  const name = at >= 0 ? lastPart.slice(0, at) : lastPart;
  const colon = name.lastIndexOf(':');
  const tag = colon >= 0 ? name.slice(colon + 1) : undefined;
  return tag && tag !== 'latest' ? tag : undefined;
}

/** A preference's display name without the architecture KubeVirt appends: `Fedora (amd64)` → `Fedora`. */
function osName(displayName: string | undefined): string | undefined {
  return displayName?.replace(/\s*\((amd64|arm64|s390x|x86_64)\)\s*$/, '');
}

/**
 * What the request form offers on a cluster: the namespaces an owner may request VMs
 * in, with their quota headroom, and the cluster's OS images (golden images).
 *
 * @internal
 */
export class RequestOptionsService {
  /** A service over the given clusters and `kubevirt.requests` settings. */
  static create(options: RequestOptionsServiceOptions): RequestOptionsService {
    return new RequestOptionsService(options);
  }

  private constructor(private readonly options: RequestOptionsServiceOptions) {}

  /**
   * The namespaces on `cluster` that `owner` (a Group ref) owns, by the namespace's
   * `vmportal.io/owner` label or `kubevirt.requests.namespaceOwners`, without the
   * protected ones, each with its ResourceQuotas' use, sorted by name.
   */
  async ownedNamespaces(
    cluster: string,
    owner: string,
  ): Promise<NamespaceQuotaSummary[]> {
    let ref;
    try {
      ref = parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: 'default',
      });
    } catch {
      throw new InputError(
        `owner '${owner.slice(
          0,
          80,
        )}' is not an entity ref; give the owning group, e.g. group:default/team-web`,
      );
    }
    if (ref.kind.toLocaleLowerCase('en-US') !== 'group') {
      throw new InputError(
        `owner '${owner.slice(0, 80)}' is a ${
          ref.kind
        }; give the owning group, e.g. group:default/team-web`,
      );
    }
    const ownerRef = stringifyEntityRef(ref);
    const { requests } = this.options;
    const { planning } = this.options.clusters.get(cluster);
    const labelled =
      ref.namespace === 'default'
        ? await this.read(
            cluster,
            planning.listNamespaces(`${NAMESPACE_OWNER_LABEL}=${ref.name}`),
          )
        : [];
    const names = new Map(
      labelled.map(ns => [ns.metadata.name, ns.metadata.labels ?? {}]),
    );
    const prefix = `${cluster}/`;
    const mapped = Object.entries(requests.namespaceOwners).flatMap(
      ([where, group]) =>
        where.startsWith(prefix) && sameEntityRef(group, ownerRef)
          ? [where.slice(prefix.length)]
          : [],
    );
    for (const namespace of mapped) {
      if (names.has(namespace)) continue;
      const ns = await this.read(
        cluster,
        planning.getNamespace(namespace).catch(() => undefined),
      );
      if (ns) names.set(namespace, ns.metadata.labels ?? {});
    }
    const owned = [...names.entries()]
      .filter(
        ([namespace, labels]) =>
          !protectedNamespacePattern(requests, namespace) &&
          namespaceOwners(requests, cluster, namespace, labels).some(o =>
            sameEntityRef(o, ownerRef),
          ),
      )
      .map(([namespace]) => namespace)
      .sort();
    return Promise.all(
      owned.map(async namespace => {
        const [quotas, applicationAware] = await this.read(
          cluster,
          Promise.all([
            planning.listResourceQuotas(namespace),
            // AAQ's quotas, where it is installed and the reader may list them.
            planning
              .listApplicationAwareResourceQuotas(namespace)
              .catch(error => {
                if (error instanceof NotAllowedError) return [];
                throw error;
              }),
          ]),
        );
        return {
          cluster,
          namespace,
          quotas: [
            ...quotaUses(quotas),
            ...quotaUses(applicationAware).map(use => ({
              ...use,
              quotaKind: 'ApplicationAwareResourceQuota' as const,
            })),
          ],
        };
      }),
    );
  }

  /**
   * The OS images of `cluster`: the DataSources in `kubevirt.requests.osImageNamespaces`,
   * with the OS and version people know them by, the default instancetype and
   * preference their labels name, the source's size and whether CDI has it ready.
   */
  async osImages(cluster: string): Promise<OsImage[]> {
    const { planning } = this.options.clusters.get(cluster);
    const [sizeObjects, perNamespace] = await this.read(
      cluster,
      Promise.all([
        planning.listSizeObjects(),
        Promise.all(
          this.options.requests.osImageNamespaces.map(async namespace => ({
            sources: await planning.listDataSources(namespace),
            crons: await planning.listDataImportCrons(namespace),
          })),
        ),
      ]),
    );
    const { preferences } = SizeCatalog.fromCluster(sizeObjects);
    const images = await Promise.all(
      perNamespace.flatMap(({ sources, crons }) =>
        sources.map(async source => {
          const pvcRef = source.spec.source?.pvc;
          const pvc = pvcRef
            ? await this.read(
                cluster,
                planning.getPersistentVolumeClaim(
                  pvcRef.namespace ?? source.metadata.namespace ?? '',
                  pvcRef.name,
                ),
              )
            : undefined;
          return osImageOf(source, {
            cron: crons.find(
              c =>
                c.metadata.name === source.metadata.labels?.[MANAGED_BY_CRON] ||
                c.spec.managedDataSource === source.metadata.name,
            ),
            pvc,
            preferenceTitle: (name: string) =>
              preferences.find(p => p.name === name)?.displayName,
          });
        }),
      ),
    );
    return images.sort(
      (a, b) =>
        Number(b.ready) - Number(a.ready) || a.title.localeCompare(b.title),
    );
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
 * One DataSource as the request form shows it.
 *
 * @internal
 */
export function osImageOf(
  source: DataSourceObject,
  context: {
    cron?: DataImportCronObject;
    pvc?: PersistentVolumeClaimObject;
    preferenceTitle: (name: string) => string | undefined;
  },
): OsImage {
  const labels = source.metadata.labels ?? {};
  const defaultPreference = labels[DEFAULT_PREFERENCE];
  const os = osName(
    defaultPreference ? context.preferenceTitle(defaultPreference) : undefined,
  );
  const version = imageTag(
    context.cron?.spec.template?.spec?.source?.registry?.url,
  );
  const ready = source.status?.conditions?.find(c => c.type === 'Ready');
  // The size the image was imported at (what a clone needs); the claim's capacity
  // has CDI's file system overhead on top.
  const size =
    context.cron?.spec.template?.spec?.storage?.resources?.requests?.storage ??
    context.pvc?.status?.capacity?.storage ??
    context.pvc?.spec?.resources?.requests?.storage;
  // "CentOS Stream 9" already names its version 9; "Fedora" does not name 41.
  const named =
    os && version && !os.split(/\s+/).includes(version)
      ? `${os} ${version}`
      : os;
  const title =
    source.metadata.annotations?.[DISPLAY_NAME] ??
    named ??
    source.metadata.name;
  return {
    name: source.metadata.name,
    namespace: source.metadata.namespace ?? '',
    title,
    ...(os && { os }),
    ...(version && { version }),
    ...(labels[DEFAULT_INSTANCETYPE] && {
      defaultInstancetype: labels[DEFAULT_INSTANCETYPE],
    }),
    ...(defaultPreference && { defaultPreference }),
    ...(size !== undefined && { size: String(size) }),
    ready: ready?.status === 'True',
    ...(ready?.status !== 'True' && {
      notReadyReason:
        ready?.message || ready?.reason || 'CDI has not reported it ready yet',
    }),
    ...(context.cron?.status?.lastImportTimestamp && {
      lastImported: context.cron.status.lastImportTimestamp,
    }),
  };
}
