import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  V1Namespace,
  Watch,
} from '@kubernetes/client-node';
import {
  AuthenticationError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type {
  KubeObjectMeta,
  VirtualMachine,
  VirtualMachineInstancetype,
} from '@vmportal/plugin-kubevirt-common';
import https from 'node:https';
import type {
  LimitRangeLike,
  ResourceQuotaLike,
} from '@vmportal/plugin-kubevirt-common';
import type {
  DataVolumeObject,
  JsonPatchOperation,
  KubeEventObject,
  KubeObject,
  KubevirtPowerSubresource,
  PersistentVolumeClaimObject,
  PodObject,
  StorageClassObject,
  VirtualMachineInstanceObject,
} from './vmPageObjects';
import { KubernetesApiError, ResourceVersionExpiredError } from './errors';
import type { KubevirtClusterConfig } from './readClustersConfig';
import type {
  CdiConfigObject,
  KubevirtObject,
  StorageProfileObject,
} from './requestPlanningObjects';
import type {
  KubeVirtConfigurationLike,
  StorageClassInfo,
} from '@vmportal/plugin-kubevirt-common';

/**
 * Options of a list request. Lists are paginated: pass `limit` and then each page's
 * `continue` until it is undefined.
 *
 * @public
 */
export interface KubeListOptions {
  /** A label selector the apiserver applies, e.g. `app=web,tier!=db`. */
  labelSelector?: string;
  /** A field selector the apiserver applies. */
  fieldSelector?: string;
  /** Page size. Default: 500. */
  limit?: number;
  /** The `continue` token of the previous page. */
  continue?: string;
}

/**
 * One page of a list.
 *
 * @public
 */
export interface KubeList<T> {
  items: T[];
  /** The list's resourceVersion: start a watch from here to miss nothing. */
  resourceVersion: string;
  /** Token for the next page; undefined on the last page. */
  continue?: string;
}

/**
 * A watch event: an object was added, modified or deleted, or a bookmark moved the
 * resourceVersion on without a change.
 *
 * @public
 */
export type KubeWatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  | { type: 'BOOKMARK'; resourceVersion: string };

/**
 * Options of a watch.
 *
 * @public
 */
export interface KubeWatchOptions<T> {
  /** Where to start: a list's resourceVersion, or the last one a previous watch saw. */
  resourceVersion: string;
  labelSelector?: string;
  /** Ask for BOOKMARK events, so that a resumed watch starts from a recent version. */
  allowWatchBookmarks?: boolean;
  /** The apiserver ends the watch after this long. Default: random 5 to 10 minutes. */
  timeoutSeconds?: number;
  /** Stops the watch; the promise then resolves with reason `aborted`. */
  signal?: AbortSignal;
  /** Called for every event, in order. */
  onEvent: (event: KubeWatchEvent<T>) => void;
}

/**
 * How a watch ended without an error. The caller resumes from `resourceVersion`.
 *
 * @public
 */
export interface KubeWatchEnd {
  /** The last resourceVersion seen (of an event or a bookmark). */
  resourceVersion: string;
  /**
   * `closed`: the apiserver ended the watch (timeout, shutdown); `idle`: no byte arrived
   * for 90 s (the apiserver sends a bookmark every 60 s), so the connection was given up
   * as dead; `aborted`: the caller's signal.
   */
  reason: 'closed' | 'idle' | 'aborted';
}

/**
 * A Kubernetes Namespace, reduced to its metadata.
 *
 * @public
 */
export interface KubeNamespace {
  metadata: KubeObjectMeta;
}

/** Where a kind is served: `/api/v1` for core kinds, `/apis/<group>/<version>` for others. */
interface ResourceType {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

const VIRTUAL_MACHINES: ResourceType = {
  group: 'kubevirt.io',
  version: 'v1',
  plural: 'virtualmachines',
  namespaced: true,
};
const CLUSTER_INSTANCETYPES: ResourceType = {
  group: 'instancetype.kubevirt.io',
  version: 'v1beta1',
  plural: 'virtualmachineclusterinstancetypes',
  namespaced: false,
};
const NAMESPACES: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'namespaces',
  namespaced: false,
};

const DEFAULT_PAGE_SIZE = 500;
/** No byte for this long and a watch's connection is taken for dead (bookmarks come every 60 s). */
const WATCH_IDLE_TIMEOUT_MS = 90_000;
const REQUEST_TIMEOUT_MS = 60_000;

interface RawList {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: unknown[];
}

interface WatchStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

/**
 * The VM Portal's client for one cluster's KubeVirt and Kubernetes API, on
 * `@kubernetes/client-node`. Every error is a `@backstage/errors` type: 401
 * `AuthenticationError`, 403 `NotAllowedError`, 404 `NotFoundError`, 410
 * {@link ResourceVersionExpiredError}, 429 (throttled), 5xx and an unreachable
 * apiserver `ServiceUnavailableError`, anything else {@link KubernetesApiError}. Messages name
 * the cluster and the request; they never contain the token.
 *
 * @public
 */
export class KubevirtClient {
  /** Builds a client that acts with the cluster's service account token. */
  static fromConfig(cluster: KubevirtClusterConfig): KubevirtClient {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name: cluster.name,
          server: cluster.url,
          caData: cluster.caData,
          skipTLSVerify: cluster.skipTLSVerify,
        },
      ],
      users: [{ name: 'vmportal', token: cluster.serviceAccountToken }],
      contexts: [
        { name: cluster.name, cluster: cluster.name, user: 'vmportal' },
      ],
      currentContext: cluster.name,
    });
    return new KubevirtClient(cluster.name, kc);
  }

  private readonly customObjects: CustomObjectsApi;
  private readonly core: CoreV1Api;

  private constructor(
    /** The cluster's name, as configured. */
    readonly cluster: string,
    private readonly kc: KubeConfig,
  ) {
    this.customObjects = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** One page of VirtualMachines, in `namespace` or in all namespaces. */
  async listVirtualMachines(
    options: KubeListOptions & { namespace?: string },
  ): Promise<KubeList<VirtualMachine>> {
    return this.listCustom<VirtualMachine>(VIRTUAL_MACHINES, options);
  }

  /**
   * Watches VirtualMachines (in `namespace` or all namespaces) from a resourceVersion.
   * Resolves when the watch ends normally; rejects with
   * {@link ResourceVersionExpiredError} when the version is too old (list again).
   */
  async watchVirtualMachines(
    options: KubeWatchOptions<VirtualMachine> & { namespace?: string },
  ): Promise<KubeWatchEnd> {
    return this.watch(VIRTUAL_MACHINES, options);
  }

  /** One page of Namespaces. */
  async listNamespaces(
    options: KubeListOptions = {},
  ): Promise<KubeList<KubeNamespace>> {
    const page = await this.call(
      'list namespaces',
      this.core.listNamespace({
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.limit ?? DEFAULT_PAGE_SIZE,
        _continue: options.continue,
      }),
    );
    return {
      items: page.items.map(namespaceFromTyped),
      resourceVersion: page.metadata?.resourceVersion ?? '',
      continue: page.metadata?._continue || undefined,
    };
  }

  /** Watches Namespaces from a resourceVersion (see {@link KubevirtClient.watchVirtualMachines}). */
  async watchNamespaces(
    options: KubeWatchOptions<KubeNamespace>,
  ): Promise<KubeWatchEnd> {
    return this.watch(NAMESPACES, options);
  }

  /** One page of VirtualMachineClusterInstancetypes. */
  async listClusterInstancetypes(
    options: KubeListOptions = {},
  ): Promise<KubeList<VirtualMachineInstancetype>> {
    return this.listCustom<VirtualMachineInstancetype>(
      CLUSTER_INSTANCETYPES,
      options,
    );
  }

  private async listCustom<T>(
    type: ResourceType,
    options: KubeListOptions & { namespace?: string },
  ): Promise<KubeList<T>> {
    const params = {
      group: type.group,
      version: type.version,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      limit: options.limit ?? DEFAULT_PAGE_SIZE,
      _continue: options.continue,
    };
    let request: Promise<RawList>;
    if (!type.namespaced) {
      request = this.customObjects.listClusterCustomObject({
        ...params,
        plural: type.plural,
      });
    } else if (options.namespace) {
      request = this.customObjects.listNamespacedCustomObject({
        ...params,
        namespace: options.namespace,
        plural: type.plural,
      });
    } else {
      request = this.customObjects.listCustomObjectForAllNamespaces({
        ...params,
        resourcePlural: type.plural,
      });
    }
    const what = `list ${type.plural}${
      options.namespace ? ` in namespace '${options.namespace}'` : ''
    }`;
    const page = await this.call(what, request);
    return {
      items: (page.items ?? []) as T[],
      resourceVersion: page.metadata?.resourceVersion ?? '',
      continue: page.metadata?.continue || undefined,
    };
  }

  private watch<T>(
    type: ResourceType,
    options: KubeWatchOptions<T> & { namespace?: string },
  ): Promise<KubeWatchEnd> {
    const base = type.group
      ? `/apis/${type.group}/${type.version}`
      : `/api/${type.version}`;
    const path =
      type.namespaced && options.namespace
        ? `${base}/namespaces/${encodeURIComponent(options.namespace)}/${
            type.plural
          }`
        : `${base}/${type.plural}`;
    const what = `watch ${type.plural}${
      options.namespace ? ` in namespace '${options.namespace}'` : ''
    }`;
    const { signal } = options;
    return new Promise<KubeWatchEnd>((resolve, reject) => {
      let resourceVersion = options.resourceVersion;
      let controller: AbortController | undefined;
      let settled = false;
      const listening = new AbortController();
      const finish = (
        error?: Error,
        reason: KubeWatchEnd['reason'] = 'closed',
      ) => {
        if (settled) return;
        settled = true;
        listening.abort();
        controller?.abort();
        if (error) reject(error);
        else resolve({ resourceVersion, reason });
      };
      if (signal?.aborted) {
        finish(undefined, 'aborted');
        return;
      }
      signal?.addEventListener('abort', () => finish(undefined, 'aborted'), {
        once: true,
        signal: listening.signal,
      });

      const onLine = (phase: string, object: unknown) => {
        if (settled) return;
        if (phase === 'ERROR') {
          finish(this.statusError(what, object as WatchStatus));
          return;
        }
        const version = (object as { metadata?: { resourceVersion?: string } })
          ?.metadata?.resourceVersion;
        try {
          if (phase === 'BOOKMARK') {
            if (version) resourceVersion = version;
            options.onEvent({ type: 'BOOKMARK', resourceVersion });
          } else if (
            phase === 'ADDED' ||
            phase === 'MODIFIED' ||
            phase === 'DELETED'
          ) {
            options.onEvent({ type: phase, object: object as T });
            // Advance only once the event is handled: a resumed watch must not skip it.
            if (version) resourceVersion = version;
          }
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const onDone = (error: unknown) => {
        if (settled) return;
        if (signal?.aborted) finish(undefined, 'aborted');
        else if (!error) finish(undefined, 'closed');
        else if (isTimeout(error)) finish(undefined, 'idle');
        else finish(this.toError(what, error));
      };

      const watcher = new Watch(this.kc);
      // client-node gives a watch up after 30 s without a byte, but the apiserver sends
      // bookmarks only every 60 s: a quiet watch would never see one, keep resuming from
      // an ageing resourceVersion and end in a needless 410. (An internal field; if it
      // goes away the 30 s default applies and watches still work.)
      Object.assign(watcher, { requestTimeoutMs: WATCH_IDLE_TIMEOUT_MS });
      watcher
        .watch(
          path,
          {
            resourceVersion,
            labelSelector: options.labelSelector,
            allowWatchBookmarks: options.allowWatchBookmarks,
            timeoutSeconds:
              options.timeoutSeconds ?? 300 + Math.floor(Math.random() * 300),
          },
          onLine,
          onDone,
        )
        .then(
          c => {
            controller = c;
            if (settled) c.abort();
          },
          error => finish(this.toError(what, error)),
        );
    });
  }

  private async call<T>(what: string, request: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ServiceUnavailableError(
              `${what} on cluster '${this.cluster}' got no answer within ${
                REQUEST_TIMEOUT_MS / 1000
              } s`,
            ),
          ),
        REQUEST_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([request, timeout]);
    } catch (error) {
      throw this.toError(what, error);
    } finally {
      clearTimeout(timer);
      // A request that lost the race must not end as an unhandled rejection.
      request.catch(() => undefined);
    }
  }

  private statusError(what: string, status: WatchStatus): Error {
    return this.errorFor(
      what,
      status?.code ?? 500,
      status?.message ?? 'the watch reported an error',
      status?.reason,
    );
  }

  private toError(what: string, error: unknown): Error {
    if (
      error instanceof ServiceUnavailableError ||
      error instanceof KubernetesApiError ||
      error instanceof ResourceVersionExpiredError
    ) {
      return error;
    }
    if (error instanceof ApiException) {
      const status = parseStatus(error.body);
      return this.errorFor(
        what,
        error.code,
        status.message ?? `HTTP ${error.code}`,
        status.reason,
      );
    }
    const statusCode = (error as { statusCode?: unknown })?.statusCode;
    if (typeof statusCode === 'number') {
      return this.errorFor(
        what,
        statusCode,
        error instanceof Error ? error.message : `HTTP ${statusCode}`,
      );
    }
    return new ServiceUnavailableError(
      `${what} on cluster '${
        this.cluster
      }' failed: the apiserver is unreachable (${describeCause(error)})`,
    );
  }

  private errorFor(
    what: string,
    statusCode: number,
    message: string,
    reason?: string,
  ): Error {
    const text = `${what} on cluster '${this.cluster}': ${message}`;
    switch (statusCode) {
      case 401:
        return new AuthenticationError(
          `${text}; check the cluster's serviceAccountToken`,
        );
      case 403:
        return new NotAllowedError(text);
      case 404:
        return new NotFoundError(text);
      case 410:
        return new ResourceVersionExpiredError(text);
      case 429:
        // API Priority and Fairness throttling, or (after an apiserver restart) a watch
        // cache that is still filling: transient, retry with backoff as client-go does.
        return new ServiceUnavailableError(text);
      default:
        if (statusCode >= 500 && statusCode !== 501) {
          return new ServiceUnavailableError(text);
        }
        return new KubernetesApiError(text, statusCode, reason);
    }
  }
  // VM page reads and power actions

  /** Whether {@link KubevirtClient.servesPowerSubresources} found the API; cached per client. */
  private powerSubresources?: Promise<boolean>;

  /** The VirtualMachine `namespace/name`; `NotFoundError` when there is none. */
  async getVirtualMachine(
    namespace: string,
    name: string,
  ): Promise<VirtualMachine> {
    return this.requestJson<VirtualMachine>(
      `get virtualmachine ${namespace}/${name}`,
      'GET',
      `/apis/kubevirt.io/v1/namespaces/${encodeURIComponent(
        namespace,
      )}/virtualmachines/${encodeURIComponent(name)}`,
    );
  }

  /** The VirtualMachineInstance `namespace/name`, or undefined when the VM is not running. */
  async getVirtualMachineInstance(
    namespace: string,
    name: string,
  ): Promise<VirtualMachineInstanceObject | undefined> {
    return this.orUndefined(
      this.requestJson<VirtualMachineInstanceObject>(
        `get virtualmachineinstance ${namespace}/${name}`,
        'GET',
        `/apis/kubevirt.io/v1/namespaces/${encodeURIComponent(
          namespace,
        )}/virtualmachineinstances/${encodeURIComponent(name)}`,
      ),
    );
  }

  /** An instancetype: cluster-wide, or namespaced in `namespace`; undefined when absent. */
  async getInstancetype(
    ref: { kind?: string; name: string },
    namespace: string,
  ): Promise<VirtualMachineInstancetype | undefined> {
    const path =
      ref.kind === 'VirtualMachineInstancetype'
        ? `/apis/instancetype.kubevirt.io/v1beta1/namespaces/${encodeURIComponent(
            namespace,
          )}/virtualmachineinstancetypes/${encodeURIComponent(ref.name)}`
        : `/apis/instancetype.kubevirt.io/v1beta1/virtualmachineclusterinstancetypes/${encodeURIComponent(
            ref.name,
          )}`;
    return this.orUndefined(
      this.requestJson<VirtualMachineInstancetype>(
        `get ${ref.kind ?? 'VirtualMachineClusterInstancetype'} ${ref.name}`,
        'GET',
        path,
      ),
    );
  }

  /** Every Pod in `namespace` that matches `labelSelector`. */
  async listPods(
    namespace: string,
    labelSelector: string,
  ): Promise<PodObject[]> {
    return this.listAll<PodObject>(
      `list pods in namespace '${namespace}'`,
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
      { labelSelector },
    );
  }

  /** The PersistentVolumeClaim `namespace/name`, or undefined. */
  async getPersistentVolumeClaim(
    namespace: string,
    name: string,
  ): Promise<PersistentVolumeClaimObject | undefined> {
    return this.orUndefined(
      this.requestJson<PersistentVolumeClaimObject>(
        `get persistentvolumeclaim ${namespace}/${name}`,
        'GET',
        `/api/v1/namespaces/${encodeURIComponent(
          namespace,
        )}/persistentvolumeclaims/${encodeURIComponent(name)}`,
      ),
    );
  }

  /** The CDI DataVolume `namespace/name`, or undefined. */
  async getDataVolume(
    namespace: string,
    name: string,
  ): Promise<DataVolumeObject | undefined> {
    return this.orUndefined(
      this.requestJson<DataVolumeObject>(
        `get datavolume ${namespace}/${name}`,
        'GET',
        `/apis/cdi.kubevirt.io/v1beta1/namespaces/${encodeURIComponent(
          namespace,
        )}/datavolumes/${encodeURIComponent(name)}`,
      ),
    );
  }

  /** Every core/v1 Event in `namespace` that matches `fieldSelector`. */
  async listEvents(
    namespace: string,
    fieldSelector: string,
  ): Promise<KubeEventObject[]> {
    return this.listAll<KubeEventObject>(
      `list events in namespace '${namespace}'`,
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      { fieldSelector },
    );
  }

  /** Every ResourceQuota of `namespace`, with its status. */
  async listResourceQuotas(namespace: string): Promise<ResourceQuotaLike[]> {
    return this.listAll<ResourceQuotaLike>(
      `list resourcequotas in namespace '${namespace}'`,
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/resourcequotas`,
    );
  }

  /** Every LimitRange of `namespace`. */
  async listLimitRanges(namespace: string): Promise<LimitRangeLike[]> {
    return this.listAll<LimitRangeLike>(
      `list limitranges in namespace '${namespace}'`,
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/limitranges`,
    );
  }

  /** The Namespace `name`; `NotFoundError` when there is none. */
  async getNamespace(name: string): Promise<KubeNamespace> {
    return this.requestJson<KubeNamespace>(
      `get namespace ${name}`,
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(name)}`,
    );
  }

  /** Every StorageClass. */
  async listStorageClasses(): Promise<StorageClassObject[]> {
    return this.listAll<StorageClassObject>(
      'list storageclasses',
      '/apis/storage.k8s.io/v1/storageclasses',
    );
  }

  /**
   * Every instancetype and preference a VM in `namespace` can name: the cluster-wide
   * ones, and the namespaced ones of `namespace` when given. Objects keep their `kind`.
   */
  async listSizeObjects(namespace?: string): Promise<KubeObject[]> {
    const base = '/apis/instancetype.kubevirt.io/v1beta1';
    const kinds: Array<[string, string]> = [
      [
        'VirtualMachineClusterInstancetype',
        'virtualmachineclusterinstancetypes',
      ],
      ['VirtualMachineClusterPreference', 'virtualmachineclusterpreferences'],
    ];
    const lists = kinds.map(([kind, plural]) =>
      this.listAll<KubeObject>(`list ${plural}`, `${base}/${plural}`).then(
        items => items.map(item => ({ ...item, kind })),
      ),
    );
    if (namespace) {
      for (const [kind, plural] of [
        ['VirtualMachineInstancetype', 'virtualmachineinstancetypes'],
        ['VirtualMachinePreference', 'virtualmachinepreferences'],
      ]) {
        lists.push(
          this.listAll<KubeObject>(
            `list ${plural} in namespace '${namespace}'`,
            `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}`,
          ).then(items => items.map(item => ({ ...item, kind }))),
        );
      }
    }
    return (await Promise.all(lists)).flat();
  }

  /**
   * Whether the cluster serves KubeVirt's power subresources
   * (`subresources.kubevirt.io/v1` with `virtualmachines/start`). Asked once per client
   * and cached; an apiserver that answers 503 (virt-api registered but down) counts as
   * not serving them this time, and is asked again next time.
   */
  async servesPowerSubresources(): Promise<boolean> {
    if (!this.powerSubresources) {
      const discovery = this.requestJson<{
        resources?: Array<{ name?: string }>;
      }>(
        'discover subresources.kubevirt.io/v1',
        'GET',
        '/apis/subresources.kubevirt.io/v1',
      ).then(
        list =>
          (list.resources ?? []).some(r => r.name === 'virtualmachines/start'),
        error => {
          if (error instanceof NotFoundError) return false;
          this.powerSubresources = undefined;
          if (error instanceof ServiceUnavailableError) return false;
          throw error;
        },
      );
      this.powerSubresources = discovery;
    }
    return this.powerSubresources;
  }

  /**
   * Calls a KubeVirt power subresource: `PUT
   * /apis/subresources.kubevirt.io/v1/namespaces/{ns}/virtualmachines/{name}/{start|stop|restart}`
   * or `.../virtualmachineinstances/{name}/{pause|unpause}`. `body` is KubeVirt's
   * StartOptions, StopOptions or RestartOptions. KubeVirt's refusals (409 "VM is
   * already running", …) come back as {@link KubernetesApiError} with statusCode 409.
   */
  async virtualMachinePowerAction(
    namespace: string,
    name: string,
    action: KubevirtPowerSubresource,
    body: object = {},
  ): Promise<void> {
    const resource =
      action === 'pause' || action === 'unpause'
        ? 'virtualmachineinstances'
        : 'virtualmachines';
    await this.requestJson<unknown>(
      `${action} ${resource} ${namespace}/${name}`,
      'PUT',
      `/apis/subresources.kubevirt.io/v1/namespaces/${encodeURIComponent(
        namespace,
      )}/${resource}/${encodeURIComponent(name)}/${action}`,
      { body },
    );
  }

  /** Applies a JSON patch to the VirtualMachine `namespace/name` and returns the result. */
  async patchVirtualMachine(
    namespace: string,
    name: string,
    patch: JsonPatchOperation[],
  ): Promise<VirtualMachine> {
    return this.requestJson<VirtualMachine>(
      `patch virtualmachine ${namespace}/${name}`,
      'PATCH',
      `/apis/kubevirt.io/v1/namespaces/${encodeURIComponent(
        namespace,
      )}/virtualmachines/${encodeURIComponent(name)}`,
      { body: patch, contentType: 'application/json-patch+json' },
    );
  }

  private async orUndefined<T>(request: Promise<T>): Promise<T | undefined> {
    try {
      return await request;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  private async listAll<T>(
    what: string,
    path: string,
    query: Record<string, string | undefined> = {},
  ): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined;
    do {
      const page: RawList = await this.requestJson<RawList>(what, 'GET', path, {
        query: {
          ...query,
          limit: String(DEFAULT_PAGE_SIZE),
          continue: next,
        },
      });
      items.push(...((page.items ?? []) as T[]));
      next = page.metadata?.continue || undefined;
    } while (next);
    return items;
  }

  /**
   * One request, JSON in and out as the apiserver writes it; errors become
   * `@backstage/errors` types through the same mapping as every other call.
   */
  private async requestJson<T>(
    what: string,
    method: 'GET' | 'PUT' | 'PATCH',
    path: string,
    options: {
      query?: Record<string, string | undefined>;
      body?: unknown;
      contentType?: string;
    } = {},
  ): Promise<T> {
    const server = this.kc.getCurrentCluster()?.server ?? '';
    const url = new URL(`${server.replace(/\/+$/, '')}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value) url.searchParams.set(key, value);
    }
    const send = async (): Promise<T> => {
      const requestOptions: https.RequestOptions = { method, headers: {} };
      await this.kc.applyToHTTPSOptions(requestOptions);
      const payload =
        options.body === undefined ? undefined : JSON.stringify(options.body);
      return new Promise<T>((resolve, reject) => {
        const request = https.request(
          url,
          {
            ...requestOptions,
            headers: {
              ...requestOptions.headers,
              Accept: 'application/json',
              ...(payload !== undefined && {
                'Content-Type': options.contentType ?? 'application/json',
              }),
            },
            timeout: REQUEST_TIMEOUT_MS,
          },
          response => {
            const chunks: Buffer[] = [];
            response.on('data', chunk => chunks.push(chunk));
            response.on('error', reject);
            response.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              const code = response.statusCode ?? 0;
              if (code < 200 || code >= 300) {
                reject(new ApiException(code, `HTTP ${code}`, text, {}));
                return;
              }
              try {
                resolve((text ? JSON.parse(text) : undefined) as T);
              } catch {
                reject(
                  new ApiException(code, 'the answer is not JSON', text, {}),
                );
              }
            });
          },
        );
        request.on('timeout', () =>
          request.destroy(new Error('no answer in time')),
        );
        request.on('error', reject);
        request.end(payload);
      });
    };
    return this.call(what, send());
  }
  // Request planning reads

  /** Plural and scope of each kind, by apiVersion, from discovery; cached per client. */
  private readonly discoveredKinds = new Map<
    string,
    Promise<Map<string, { plural: string; namespaced: boolean }>>
  >();

  /**
   * CDI's cluster configuration (the CDIConfig named `config`), or undefined when CDI
   * is not installed. `NotAllowedError` when the service account may not read it.
   */
  async getCdiConfig(): Promise<CdiConfigObject | undefined> {
    return this.orUndefined(
      this.requestJson<CdiConfigObject>(
        'get cdiconfig config',
        'GET',
        '/apis/cdi.kubevirt.io/v1beta1/cdiconfigs/config',
      ),
    );
  }

  /** Every CDI StorageProfile; empty when CDI is not installed. */
  async listStorageProfiles(): Promise<StorageProfileObject[]> {
    return (
      (await this.orUndefined(
        this.listAll<StorageProfileObject>(
          'list storageprofiles',
          '/apis/cdi.kubevirt.io/v1beta1/storageprofiles',
        ),
      )) ?? []
    );
  }

  /**
   * `spec.configuration` of the cluster's KubeVirt custom resource, or undefined when
   * there is none (or KubeVirt is not installed).
   */
  async getKubevirtConfiguration(): Promise<
    KubeVirtConfigurationLike | undefined
  > {
    const items = await this.orUndefined(
      this.listAll<KubevirtObject>(
        'list kubevirts',
        '/apis/kubevirt.io/v1/kubevirts',
      ),
    );
    return items?.[0]?.spec?.configuration;
  }

  /**
   * Every StorageClass as the quota plan sees it: default and virt-default marks,
   * CSI or in-tree, binding mode, and from CDI's StorageProfile of the same name (when
   * readable) the volume mode and minimum claim size.
   */
  async listStorageClassInfo(): Promise<StorageClassInfo[]> {
    const [classes, profiles] = await Promise.all([
      this.listStorageClasses(),
      this.listStorageProfiles().catch(error => {
        // Optional: without it, claims are planned as Filesystem volumes.
        if (error instanceof NotAllowedError) return [];
        throw error;
      }),
    ]);
    const byClass = new Map(
      profiles.map(p => [p.status?.storageClass ?? p.metadata.name, p]),
    );
    return classes.map(storageClass => {
      const annotations = storageClass.metadata.annotations ?? {};
      const provisioner = storageClass.provisioner ?? '';
      const profile = byClass.get(storageClass.metadata.name);
      const volumeMode = profile?.status?.claimPropertySets?.[0]?.volumeMode;
      const minimum =
        profile?.metadata.annotations?.[
          'cdi.kubevirt.io/minimumSupportedPvcSize'
        ];
      return {
        name: storageClass.metadata.name,
        isDefault:
          annotations['storageclass.kubernetes.io/is-default-class'] === 'true',
        isDefaultVirt:
          annotations['storageclass.kubevirt.io/is-default-virt-class'] ===
          'true',
        // In-tree provisioners are `kubernetes.io/...`; everything else is a CSI driver.
        csi: provisioner !== '' && !provisioner.startsWith('kubernetes.io/'),
        waitForFirstConsumer:
          storageClass.volumeBindingMode === 'WaitForFirstConsumer',
        ...((volumeMode === 'Block' || volumeMode === 'Filesystem') && {
          volumeMode,
        }),
        ...(minimum && { minimumSupportedPvcSize: minimum }),
      };
    });
  }

  /**
   * Asks the apiserver to create `object` without persisting it
   * (`?dryRun=All&fieldValidation=Strict`): admission, schema validation and unknown
   * fields are checked as for a real create. Resolves with the object the apiserver
   * would store. Only kinds of API groups (custom resources such as VirtualMachine and
   * DataVolume) are supported. A refusal comes back as the mapped error type:
   * {@link KubernetesApiError} with statusCode 422 (invalid) or 409 (already exists),
   * `NotAllowedError` for 403 (RBAC or an exceeded quota).
   */
  async dryRunCreate(object: KubeObject): Promise<KubeObject> {
    const apiVersion = object.apiVersion ?? '';
    const slash = apiVersion.indexOf('/');
    if (slash <= 0 || !object.kind) {
      throw new TypeError(
        `dryRunCreate supports kinds of API groups only, not ${
          object.kind ?? '(no kind)'
        } ${apiVersion || '(no apiVersion)'}`,
      );
    }
    const group = apiVersion.slice(0, slash);
    const version = apiVersion.slice(slash + 1);
    const what = `dry-run create ${object.kind} ${
      object.metadata.namespace ? `${object.metadata.namespace}/` : ''
    }${object.metadata.name}`;
    let kinds = this.discoveredKinds.get(apiVersion);
    if (!kinds) {
      kinds = this.requestJson<{
        resources?: Array<{ name: string; kind: string; namespaced: boolean }>;
      }>(`discover ${apiVersion}`, 'GET', `/apis/${apiVersion}`).then(
        list =>
          new Map(
            (list.resources ?? [])
              .filter(r => !r.name.includes('/'))
              .map(r => [r.kind, { plural: r.name, namespaced: r.namespaced }]),
          ),
      );
      kinds.catch(() => this.discoveredKinds.delete(apiVersion));
      this.discoveredKinds.set(apiVersion, kinds);
    }
    const resource = (await kinds).get(object.kind);
    if (!resource) {
      throw new NotFoundError(
        `${what} on cluster '${this.cluster}': the cluster does not serve ${object.kind} in ${apiVersion}`,
      );
    }
    const params = {
      group,
      version,
      plural: resource.plural,
      body: object,
      dryRun: 'All',
      fieldValidation: 'Strict',
    };
    const created: Promise<KubeObject> = resource.namespaced
      ? this.customObjects.createNamespacedCustomObject({
          ...params,
          namespace: object.metadata.namespace ?? '',
        })
      : this.customObjects.createClusterCustomObject(params);
    return this.call(what, created);
  }
}

function namespaceFromTyped(ns: V1Namespace): KubeNamespace {
  return {
    metadata: {
      name: ns.metadata?.name ?? '',
      uid: ns.metadata?.uid,
      resourceVersion: ns.metadata?.resourceVersion,
      labels: ns.metadata?.labels,
      annotations: ns.metadata?.annotations,
    },
  };
}

function parseStatus(body: unknown): WatchStatus {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as WatchStatus;
    } catch {
      return { message: body.slice(0, 300) };
    }
  }
  if (body && typeof body === 'object') return body as WatchStatus;
  return {};
}

function isTimeout(error: unknown): boolean {
  return (error as { name?: string })?.name === 'TimeoutError';
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })
    ?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
