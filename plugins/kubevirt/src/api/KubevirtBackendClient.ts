import { CompoundEntityRef, parseEntityRef } from '@backstage/catalog-model';
import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  NamespaceQuotaSummary,
  OsImage,
  PowerActionRequest,
  PowerActionResult,
  QuotaPlanRequest,
  TeamQuotaSummary,
  TrackedVirtualMachineRequest,
  VirtualMachineAddressSearchResponse,
  VirtualMachineChange,
  VirtualMachineLiveState,
  VirtualMachineSize,
  VirtualMachineStatesResponse,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import type {
  KubevirtApi,
  KubevirtCluster,
  QuotaPlan,
  VirtualMachineChangePlan,
  VirtualMachineRequestFilter,
} from './KubevirtApi';

/**
 * The {@link KubevirtApi} over HTTP, against `@vmportal/plugin-kubevirt-backend`.
 *
 * @public
 */
export class KubevirtBackendClient implements KubevirtApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async getVirtualMachine(
    entityRef: string | CompoundEntityRef,
  ): Promise<VirtualMachineView> {
    return this.request(`/v1/entities/${entityPath(entityRef)}/vm`, {
      purpose: 'load this virtual machine',
    });
  }

  async powerAction(
    entityRef: string | CompoundEntityRef,
    request: PowerActionRequest,
  ): Promise<PowerActionResult> {
    return this.request(`/v1/entities/${entityPath(entityRef)}/power`, {
      purpose: `${request.action} this virtual machine`,
      method: 'POST',
      body: request,
    });
  }

  async getNamespaceQuota(
    cluster: string,
    namespace: string,
  ): Promise<NamespaceQuotaSummary> {
    return this.request(
      `/v1/quota/${encodeURIComponent(cluster)}/${encodeURIComponent(
        namespace,
      )}`,
      { purpose: `read the quota of ${namespace}` },
    );
  }

  async getTeamQuota(
    entityRef: string | CompoundEntityRef,
  ): Promise<TeamQuotaSummary> {
    return this.request(`/v1/teams/${entityPath(entityRef)}/quota`, {
      purpose: "load the team's virtual machines",
    });
  }

  async listClusters(): Promise<KubevirtCluster[]> {
    return this.request('/v1/clusters', { purpose: 'list the clusters' });
  }

  async listSizes(cluster: string): Promise<VirtualMachineSize[]> {
    return this.request(`/v1/clusters/${encodeURIComponent(cluster)}/sizes`, {
      purpose: `list the sizes on ${cluster}`,
    });
  }

  async listOwnedNamespaces(
    cluster: string,
    owner: string,
  ): Promise<NamespaceQuotaSummary[]> {
    return this.request(
      `/v1/clusters/${encodeURIComponent(
        cluster,
      )}/namespaces?owner=${encodeURIComponent(owner)}`,
      { purpose: `list the namespaces of ${owner} on ${cluster}` },
    );
  }

  async listOsImages(cluster: string): Promise<OsImage[]> {
    return this.request(`/v1/clusters/${encodeURIComponent(cluster)}/images`, {
      purpose: `list the OS images on ${cluster}`,
    });
  }

  async planRequest(
    cluster: string,
    namespace: string,
    request: QuotaPlanRequest,
  ): Promise<QuotaPlan> {
    return this.request(
      `/v1/clusters/${encodeURIComponent(
        cluster,
      )}/namespaces/${encodeURIComponent(namespace)}/plan`,
      {
        purpose: `check the quota of ${namespace}`,
        method: 'POST',
        body: request,
      },
    );
  }

  async planVirtualMachineChange(
    entityRef: string | CompoundEntityRef,
    change: VirtualMachineChange,
  ): Promise<VirtualMachineChangePlan> {
    return this.request(`/v1/entities/${entityPath(entityRef)}/changes/plan`, {
      purpose: 'plan this change to the virtual machine',
      method: 'POST',
      body: change,
    });
  }

  async listRequests(
    filter: VirtualMachineRequestFilter = {},
  ): Promise<TrackedVirtualMachineRequest[]> {
    const query = new URLSearchParams();
    if (filter.owner) query.set('owner', filter.owner);
    if (filter.requestedBy) query.set('requestedBy', filter.requestedBy);
    const search = query.toString();
    const { items } = await this.request<{
      items: TrackedVirtualMachineRequest[];
    }>(`/v1/requests${search ? `?${search}` : ''}`, {
      purpose: 'list the VM requests',
    });
    return items;
  }

  async getRequest(
    id: string,
  ): Promise<TrackedVirtualMachineRequest | undefined> {
    try {
      return await this.request<TrackedVirtualMachineRequest>(
        `/v1/requests/${encodeURIComponent(id)}`,
        { purpose: 'load this VM request' },
      );
    } catch (error) {
      // The backend answers 404 both for no such request and for one the caller
      // may not see; a 404 from elsewhere (no backend) stays an error.
      if (
        error instanceof ResponseError &&
        error.statusCode === 404 &&
        error.cause.name === 'NotFoundError'
      ) {
        return undefined;
      }
      throw error;
    }
  }

  async getVirtualMachineStates(
    entityRefs: string[],
  ): Promise<VirtualMachineLiveState[]> {
    const response: VirtualMachineStatesResponse = await this.request(
      '/v1/inventory/states',
      {
        purpose: 'load the live state of these virtual machines',
        method: 'POST',
        body: { entityRefs },
      },
    );
    return response.items;
  }

  async searchVirtualMachineAddresses(
    query: string,
  ): Promise<VirtualMachineAddressSearchResponse> {
    return this.request(
      `/v1/inventory/addresses?q=${encodeURIComponent(query)}`,
      { purpose: `search virtual machines by IP address ${query}` },
    );
  }

  private async request<T>(
    path: string,
    options: { purpose: string; method?: 'GET' | 'POST'; body?: unknown },
  ): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl('kubevirt');
    const response = await this.fetchApi.fetch(`${baseUrl}${path}`, {
      method: options.method ?? 'GET',
      ...(options.body === undefined
        ? {}
        : {
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(options.body),
          }),
    });
    if (!response.ok) {
      throw await explainedError(response, baseUrl, options.purpose);
    }
    return (await response.json()) as T;
  }
}

function entityPath(entityRef: string | CompoundEntityRef): string {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  return [namespace, kind.toLocaleLowerCase('en-US'), name]
    .map(encodeURIComponent)
    .join('/');
}

/**
 * A ResponseError whose message says what went wrong in the user's terms; the
 * panel that shows it still has the backend's own error underneath.
 */
async function explainedError(
  response: Response,
  baseUrl: string,
  purpose: string,
): Promise<ResponseError> {
  const error = await ResponseError.fromResponse(response);
  // The backend's errors are typed (NotFoundError, NotAllowedError, …); a bare
  // `Error` cause means the body did not come from it.
  const fromBackend = error.cause.name !== 'Error';
  if (response.status === 404 && !fromBackend) {
    error.message = `Could not ${purpose}: nothing answered at ${baseUrl}. Is the kubevirt backend installed?`;
  } else if (response.status === 403) {
    error.message = `You cannot ${purpose}: ${
      fromBackend ? error.cause.message : 'you are not one of its owners'
    }`;
  } else if (response.status === 401) {
    error.message = `You cannot ${purpose}: you are not signed in`;
  } else {
    error.message = `Could not ${purpose}: ${error.cause.message}`;
  }
  return error;
}
