import { CompoundEntityRef, parseEntityRef } from '@backstage/catalog-model';
import type {
  DiscoveryApi,
  FetchApi,
  IdentityApi,
} from '@backstage/core-plugin-api';
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
  VirtualMachineMigrationPlan,
  VirtualMachineSize,
  VirtualMachineSnapshots,
  VirtualMachineStatesResponse,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import {
  CONSOLE_PROTOCOL,
  consoleProtocols,
} from '@vmportal/plugin-kubevirt-common';
import type {
  KubevirtApi,
  KubevirtCluster,
  MigrationStarted,
  QuotaPlan,
  RestoreStarted,
  SnapshotTaken,
  VirtualMachineChangePlan,
  VirtualMachineConsoleConnection,
  VirtualMachineConsoleType,
  VirtualMachineRequestFilter,
} from './KubevirtApi';

type Method = 'GET' | 'POST' | 'DELETE';

const CONSOLE_NAMES: Record<VirtualMachineConsoleType, string> = {
  serial: 'serial console',
  vnc: 'VNC display',
};

/**
 * The {@link KubevirtApi} over HTTP, against `@vmportal/plugin-kubevirt-backend`.
 *
 * @public
 */
export class KubevirtBackendClient implements KubevirtApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;
  private readonly identityApi: IdentityApi;

  constructor(options: {
    discoveryApi: DiscoveryApi;
    fetchApi: FetchApi;
    /** For the token the consoles' WebSockets offer (fetchApi adds it to requests). */
    identityApi: IdentityApi;
  }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
    this.identityApi = options.identityApi;
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

  async listSnapshots(
    entityRef: string | CompoundEntityRef,
  ): Promise<VirtualMachineSnapshots> {
    return this.request(`/v1/entities/${entityPath(entityRef)}/snapshots`, {
      purpose: "list this virtual machine's snapshots",
    });
  }

  async takeSnapshot(
    entityRef: string | CompoundEntityRef,
  ): Promise<SnapshotTaken> {
    return this.request(`/v1/entities/${entityPath(entityRef)}/snapshots`, {
      purpose: 'take a snapshot of this virtual machine',
      method: 'POST',
    });
  }

  async restoreSnapshot(
    entityRef: string | CompoundEntityRef,
    snapshot: string,
  ): Promise<RestoreStarted> {
    return this.request(
      `/v1/entities/${entityPath(entityRef)}/snapshots/${encodeURIComponent(
        snapshot,
      )}/restore`,
      {
        purpose: `restore this virtual machine from ${snapshot}`,
        method: 'POST',
      },
    );
  }

  async deleteSnapshot(
    entityRef: string | CompoundEntityRef,
    snapshot: string,
  ): Promise<void> {
    // 204: nothing to read.
    await this.send(
      `/v1/entities/${entityPath(entityRef)}/snapshots/${encodeURIComponent(
        snapshot,
      )}`,
      { purpose: `delete snapshot ${snapshot}`, method: 'DELETE' },
    );
  }

  async getMigrationPlan(
    entityRef: string | CompoundEntityRef,
  ): Promise<VirtualMachineMigrationPlan> {
    return this.request(`/v1/entities/${entityPath(entityRef)}/migration`, {
      purpose: 'check whether this virtual machine can be migrated',
    });
  }

  async startMigration(
    entityRef: string | CompoundEntityRef,
  ): Promise<MigrationStarted> {
    return this.request(`/v1/entities/${entityPath(entityRef)}/migration`, {
      purpose: 'migrate this virtual machine',
      method: 'POST',
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

  async getConsoleConnection(
    entityRef: string | CompoundEntityRef,
    type: VirtualMachineConsoleType,
  ): Promise<VirtualMachineConsoleConnection> {
    const path = `/v1/entities/${entityPath(entityRef)}/console/${type}`;
    // The same path answers a plain GET with whether the console may be opened now,
    // so a refusal reads as the backend's message, not as a failed WebSocket.
    await this.request<{ available: true }>(path, {
      purpose: `open the ${CONSOLE_NAMES[type]} of this virtual machine`,
    });
    const [baseUrl, { token }] = await Promise.all([
      this.discoveryApi.getBaseUrl('kubevirt'),
      this.identityApi.getCredentials(),
    ]);
    const url = new URL(`${baseUrl}${path}`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return {
      url: url.toString(),
      // The token as a subprotocol (a browser cannot set headers on a WebSocket).
      protocols: token ? consoleProtocols(token) : [CONSOLE_PROTOCOL],
    };
  }

  private async request<T>(
    path: string,
    options: { purpose: string; method?: Method; body?: unknown },
  ): Promise<T> {
    const response = await this.send(path, options);
    return (await response.json()) as T;
  }

  /** The backend's answer to a request, or the error that says why it failed. */
  private async send(
    path: string,
    options: { purpose: string; method?: Method; body?: unknown },
  ): Promise<Response> {
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
    return response;
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
