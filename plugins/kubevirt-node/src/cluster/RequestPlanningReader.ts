import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AAQ_DEFAULT_NAMESPACE_SELECTOR,
  CdiConfigObject,
  DataImportCronObject,
  DataSourceObject,
  KubeObject,
  KubevirtObject,
  LabelSelectorLike,
  LimitRangeLike,
  PersistentVolumeClaimObject,
  PlanQuotaInput,
  ResourceQuotaLike,
  SizeCatalog,
  StorageClassInfo,
  StorageClassObject,
  StorageProfileObject,
  VirtualMachineRequestError,
} from '@vmportal/plugin-kubevirt-common';
import { readDataSourceCloneSource } from './readDataSourceCloneSource';
import {
  collectionPath,
  KubeApiTransport,
  objectPath,
} from '../transport/KubeApiTransport';
import type { KubeNamespace } from './VirtualMachineInventoryReader';

/**
 * What a quota plan of a VM in one namespace is computed from, read live, and which
 * optional reads the credential was not allowed to make.
 *
 * @public
 */
export interface PlanningState extends Omit<PlanQuotaInput, 'request'> {
  /**
   * Optional objects the plan went without (`CDIConfig`, `KubeVirt configuration`,
   * `NetworkAttachmentDefinitions`, `ApplicationAwareResourceQuotas`,
   * `AAQ configuration`).
   */
  unreadable: string[];
}

/**
 * What of a request the planning reads depend on.
 *
 * @public
 */
export interface PlanningStateRequest {
  /** The request's multus networks, `name` or `namespace/name`. */
  networkNames?: string[];
  /** The request's golden image, for a `dataSource` OS disk. */
  dataSource?: { name: string; namespace: string };
}

/** The reads a plan can do without, by the names the task log gives them. */
const OPTIONAL_READS = [
  'CDIConfig',
  'KubeVirt configuration',
  'NetworkAttachmentDefinitions',
  'ApplicationAwareResourceQuotas',
  'AAQ configuration',
];

const SIZE_API = 'instancetype.kubevirt.io/v1beta1';
const CDI_API = 'cdi.kubevirt.io/v1beta1';
const NAD_API = 'k8s.cni.cncf.io/v1';
/** Application Aware Quota's API (AAQ v1.8.0). */
const AAQ_API = 'aaq.kubevirt.io/v1alpha1';

/**
 * Application Aware Quota's operator CR (`aaq.kubevirt.io/v1alpha1` AAQ), as far as the
 * quota plan reads it.
 *
 * @public
 */
export interface AaqObject extends KubeObject {
  spec?: {
    namespaceSelector?: LabelSelectorLike;
    configuration?: { vmiCalculatorConfiguration?: { configName?: string } };
  };
}

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
 * What a request's quota plan reads of a cluster: the namespace, its ResourceQuotas and
 * LimitRanges, instancetypes and preferences, storage classes with CDI's profiles, and
 * the KubeVirt and CDI configuration. Uses the reader credential.
 *
 * @public
 */
export class RequestPlanningReader {
  /** The cluster's name, as configured. */
  readonly cluster: string;

  constructor(private readonly transport: KubeApiTransport) {
    this.cluster = transport.cluster;
  }

  /**
   * Reads, at once, everything a quota plan in `namespace` depends on. CDI's config and
   * the KubeVirt configuration are optional (the plan uses their defaults when the
   * credential may not read them). A namespace that does not exist is a request
   * problem on field `namespace` (a `VirtualMachineRequestError`, an `InputError`).
   *
   * `request.networkNames` are the request's multus networks (`name` or
   * `namespace/name`): their NetworkAttachmentDefinitions are read too, as
   * virt-controller reads them for the device pools it requests. For a
   * `request.dataSource` image, the DataSource's source claim or snapshot is read (what
   * CDI sizes and checks the clone by).
   */
  async readPlanningState(
    namespace: string,
    request: PlanningStateRequest = {},
  ): Promise<PlanningState> {
    const networkNames = request.networkNames ?? [];
    const image = request.dataSource;
    const unreadable: string[] = [];
    const [
      ns,
      quotas,
      limitRanges,
      sizeObjects,
      storageClasses,
      cdi,
      kubevirt,
      nads,
      arqs,
      aaq,
    ] = await Promise.all([
      this.getNamespace(namespace).catch(error => {
        if (error instanceof NotFoundError) {
          throw new VirtualMachineRequestError([
            {
              field: 'namespace',
              message: `'${namespace}' does not exist on cluster ${this.cluster}; give your team's namespace there, or ask the platform team to create it`,
            },
          ]);
        }
        throw error;
      }),
      this.listResourceQuotas(namespace),
      this.listLimitRanges(namespace),
      this.listSizeObjects(namespace),
      this.listStorageClassInfo(),
      optional('CDIConfig', unreadable, this.getCdiConfig()),
      optional('KubeVirt configuration', unreadable, this.getKubevirt()),
      networkNames.length > 0
        ? optional(
            'NetworkAttachmentDefinitions',
            unreadable,
            this.getNetworkAttachmentDefinitions(namespace, networkNames),
          )
        : Promise.resolve(undefined),
      optional(
        'ApplicationAwareResourceQuotas',
        unreadable,
        this.listApplicationAwareResourceQuotas(namespace),
      ),
      optional('AAQ configuration', unreadable, this.getAaq()),
    ]);
    const cloneSource = image
      ? await readDataSourceCloneSource(
          this.transport,
          image.namespace,
          image.name,
        )
      : undefined;
    return {
      ...(cloneSource &&
        'source' in cloneSource && { imageCloneSource: cloneSource.source }),
      namespaceLabels: ns.metadata.labels ?? {},
      quotas,
      limitRanges,
      sizes: SizeCatalog.fromCluster(sizeObjects),
      storageClasses,
      ...(cdi && { cdiConfig: cdi }),
      ...(kubevirt?.spec?.configuration && {
        kubevirt: kubevirt.spec.configuration,
      }),
      // KubeVirt reads some settings from its CR's annotations (e.g. CPU alignment).
      ...(kubevirt?.metadata.annotations && {
        kubevirtAnnotations: kubevirt.metadata.annotations,
      }),
      ...(kubevirt?.status?.defaultArchitecture && {
        kubevirtDefaultArchitecture: kubevirt.status.defaultArchitecture,
      }),
      ...(nads && { networkAttachmentDefinitions: nads }),
      ...(arqs && arqs.length > 0 && { applicationAwareQuotas: arqs }),
      ...(aaq && {
        aaqNamespaceSelector:
          aaq.spec?.namespaceSelector ?? AAQ_DEFAULT_NAMESPACE_SELECTOR,
      }),
      ...(aaq?.spec?.configuration?.vmiCalculatorConfiguration?.configName && {
        aaqCalculationMode:
          aaq.spec.configuration.vmiCalculatorConfiguration.configName,
      }),
      // In a fixed order, whichever read was refused first.
      unreadable: OPTIONAL_READS.filter(what => unreadable.includes(what)),
    };
  }

  /** The Namespace `name`; `NotFoundError` when there is none. */
  getNamespace(name: string): Promise<KubeNamespace> {
    return this.transport.request(
      `get namespace ${name}`,
      'GET',
      objectPath('v1', 'namespaces', undefined, name),
    );
  }

  /** Every ResourceQuota of `namespace`, with its status. */
  listResourceQuotas(namespace: string): Promise<ResourceQuotaLike[]> {
    return this.transport.listAll(
      `list resourcequotas in namespace '${namespace}'`,
      collectionPath('v1', 'resourcequotas', namespace),
    );
  }

  /**
   * Every ApplicationAwareResourceQuota (Application Aware Quota) of `namespace`, with
   * its status; none when AAQ is not installed. `NotAllowedError` when the credential
   * may not list them.
   */
  listApplicationAwareResourceQuotas(
    namespace: string,
  ): Promise<ResourceQuotaLike[]> {
    return this.orEmpty(
      this.transport.listAll(
        `list applicationawareresourcequotas in namespace '${namespace}'`,
        collectionPath(AAQ_API, 'applicationawareresourcequotas', namespace),
      ),
    );
  }

  /**
   * The cluster's AAQ CR (AAQ allows one), or undefined when AAQ is not installed.
   * `NotAllowedError` when the credential may not list it.
   */
  async getAaq(): Promise<AaqObject | undefined> {
    const items = await this.orEmpty(
      this.transport.listAll<AaqObject>(
        'list aaqs',
        collectionPath(AAQ_API, 'aaqs'),
      ),
    );
    return items[0];
  }

  /** Every LimitRange of `namespace`. */
  listLimitRanges(namespace: string): Promise<LimitRangeLike[]> {
    return this.transport.listAll(
      `list limitranges in namespace '${namespace}'`,
      collectionPath('v1', 'limitranges', namespace),
    );
  }

  /**
   * Every instancetype and preference a VM in `namespace` can name: the cluster-wide
   * ones, and the namespaced ones of `namespace` when given. Objects keep their `kind`.
   */
  async listSizeObjects(namespace?: string): Promise<KubeObject[]> {
    const kinds: Array<[string, string, string | undefined]> = [
      [
        'VirtualMachineClusterInstancetype',
        'virtualmachineclusterinstancetypes',
        undefined,
      ],
      [
        'VirtualMachineClusterPreference',
        'virtualmachineclusterpreferences',
        undefined,
      ],
    ];
    if (namespace) {
      kinds.push(
        [
          'VirtualMachineInstancetype',
          'virtualmachineinstancetypes',
          namespace,
        ],
        ['VirtualMachinePreference', 'virtualmachinepreferences', namespace],
      );
    }
    const lists = await Promise.all(
      kinds.map(([kind, plural, ns]) =>
        this.transport
          .listAll<KubeObject>(
            `list ${plural}${ns ? ` in namespace '${ns}'` : ''}`,
            collectionPath(SIZE_API, plural, ns),
          )
          .then(items => items.map(item => ({ ...item, kind }))),
      ),
    );
    return lists.flat();
  }

  /**
   * CDI's cluster configuration (the CDIConfig named `config`), or undefined when CDI
   * is not installed. `NotAllowedError` when the credential may not read it.
   */
  getCdiConfig(): Promise<CdiConfigObject | undefined> {
    return this.transport.getOptional(
      'get cdiconfig config',
      objectPath(CDI_API, 'cdiconfigs', undefined, 'config'),
    );
  }

  /**
   * The NetworkAttachmentDefinitions `networkNames` name (`name` in `namespace`, or
   * `namespace/name`), those that exist. `NotAllowedError` when the credential may not
   * read them.
   */
  async getNetworkAttachmentDefinitions(
    namespace: string,
    networkNames: string[],
  ): Promise<KubeObject[]> {
    const names = [
      ...new Set(
        networkNames.map(n => (n.includes('/') ? n : `${namespace}/${n}`)),
      ),
    ];
    const found = await Promise.all(
      names.map(full => {
        const [ns, name] = full.split('/', 2);
        return this.transport.getOptional<KubeObject>(
          `get network-attachment-definition ${full}`,
          objectPath(NAD_API, 'network-attachment-definitions', ns, name),
        );
      }),
    );
    return found.flatMap(nad => (nad ? [nad] : []));
  }

  /** The cluster's KubeVirt custom resource, or undefined when there is none. */
  async getKubevirt(): Promise<KubevirtObject | undefined> {
    const items = await this.orEmpty(
      this.transport.listAll<KubevirtObject>(
        'list kubevirts',
        collectionPath('kubevirt.io/v1', 'kubevirts'),
      ),
    );
    return items[0];
  }

  /**
   * Every StorageClass as the quota plan sees it: default and virt-default marks,
   * CSI or in-tree, binding mode, and from CDI's StorageProfile of the same name (when
   * readable) the volume mode and minimum claim size.
   */
  async listStorageClassInfo(): Promise<StorageClassInfo[]> {
    const [classes, profiles] = await Promise.all([
      this.transport.listAll<StorageClassObject>(
        'list storageclasses',
        collectionPath('storage.k8s.io/v1', 'storageclasses'),
      ),
      this.orEmpty(
        this.transport.listAll<StorageProfileObject>(
          'list storageprofiles',
          collectionPath(CDI_API, 'storageprofiles'),
        ),
      ).catch(error => {
        // Optional: without it, claims are planned as Filesystem volumes.
        if (error instanceof NotAllowedError) return [];
        throw error;
      }),
    ]);
    const byClass = new Map(
      profiles.map(p => [p.status?.storageClass ?? p.metadata.name, p]),
    );
    return classes.map(storageClass =>
      storageClassInfo(storageClass, byClass.get(storageClass.metadata.name)),
    );
  }

  /**
   * The CDI DataSources of `namespace` (golden images, where it is a namespace for OS
   * images); empty when CDI is not installed.
   */
  listDataSources(namespace: string): Promise<DataSourceObject[]> {
    return this.orEmpty(
      this.transport.listAll<DataSourceObject>(
        `list datasources in namespace '${namespace}'`,
        collectionPath(CDI_API, 'datasources', namespace),
      ),
    );
  }

  /** The CDI DataImportCrons of `namespace`; empty when CDI is not installed. */
  listDataImportCrons(namespace: string): Promise<DataImportCronObject[]> {
    return this.orEmpty(
      this.transport.listAll<DataImportCronObject>(
        `list dataimportcrons in namespace '${namespace}'`,
        collectionPath(CDI_API, 'dataimportcrons', namespace),
      ),
    );
  }

  /** The PersistentVolumeClaim `namespace/name`, or undefined when there is none. */
  getPersistentVolumeClaim(
    namespace: string,
    name: string,
  ): Promise<PersistentVolumeClaimObject | undefined> {
    return this.transport.getOptional(
      `get persistentvolumeclaim ${namespace}/${name}`,
      objectPath('v1', 'persistentvolumeclaims', namespace, name),
    );
  }

  /** The namespaces whose labels match `labelSelector` (every page). */
  listNamespaces(labelSelector: string): Promise<KubeNamespace[]> {
    return this.transport.listAll(
      `list namespaces with ${labelSelector}`,
      collectionPath('v1', 'namespaces'),
      { labelSelector },
    );
  }

  /** An empty list when the API is not served (CDI or KubeVirt not installed). */
  private async orEmpty<T>(request: Promise<T[]>): Promise<T[]> {
    try {
      return await request;
    } catch (error) {
      if (error instanceof NotFoundError) return [];
      throw error;
    }
  }
}

function storageClassInfo(
  storageClass: StorageClassObject,
  profile: StorageProfileObject | undefined,
): StorageClassInfo {
  const annotations = storageClass.metadata.annotations ?? {};
  const provisioner = storageClass.provisioner ?? '';
  const volumeMode = profile?.status?.claimPropertySets?.[0]?.volumeMode;
  const minimum =
    profile?.metadata.annotations?.['cdi.kubevirt.io/minimumSupportedPvcSize'];
  return {
    name: storageClass.metadata.name,
    isDefault:
      annotations['storageclass.kubernetes.io/is-default-class'] === 'true',
    isDefaultVirt:
      annotations['storageclass.kubevirt.io/is-default-virt-class'] === 'true',
    // In-tree provisioners are `kubernetes.io/...`; everything else is a CSI driver.
    csi: provisioner !== '' && !provisioner.startsWith('kubernetes.io/'),
    waitForFirstConsumer:
      storageClass.volumeBindingMode === 'WaitForFirstConsumer',
    ...((volumeMode === 'Block' || volumeMode === 'Filesystem') && {
      volumeMode,
    }),
    ...(minimum && { minimumSupportedPvcSize: minimum }),
  };
}
