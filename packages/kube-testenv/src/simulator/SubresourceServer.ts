import { readFileSync } from 'node:fs';
import {
  createServer,
  request as httpsRequest,
  RequestOptions,
  Server,
} from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import {
  CustomObjectsApi,
  KubeConfig,
  KubernetesObject,
} from '@kubernetes/client-node';
import { waitUntil } from '../ControlPlane';
import { applyObjects } from '../kubeClient';
import { ConsoleKind, GuestConsoles, writeRawAnswer } from './GuestConsoles';
import type { PowerAction, PowerActions, PowerAnswer } from './PowerActions';
import { status } from './PowerActions';

const GROUP = 'subresources.kubevirt.io';
const VERSION = 'v1';
const GROUP_VERSION = `${GROUP}/${VERSION}`;
const APISERVICE = `${VERSION}.${GROUP}`;

/** Where the HTTPS server finds its certificates: `<clusterDir>/pki`. */
export interface SubresourceServerOptions {
  pkiDir: string;
  actions: PowerActions;
  /** The `console` and `vnc` websockets. */
  consoles: GuestConsoles;
  log: (line: string) => void;
}

const apiResource = (name: string, verb: string) => ({
  name,
  singularName: '',
  namespaced: true,
  kind: '',
  verbs: [verb],
});
const RESOURCES = [
  ...[
    'virtualmachines/start',
    'virtualmachines/stop',
    'virtualmachines/restart',
    'virtualmachines/migrate',
    'virtualmachineinstances/pause',
    'virtualmachineinstances/unpause',
  ].map(name => apiResource(name, 'update')),
  // Websockets: a GET with an upgrade, which RBAC sees as `get` on the subresource.
  apiResource('virtualmachineinstances/console', 'get'),
  apiResource('virtualmachineinstances/vnc', 'get'),
];

const API_GROUP = {
  name: GROUP,
  versions: [{ groupVersion: GROUP_VERSION, version: VERSION }],
  preferredVersion: { groupVersion: GROUP_VERSION, version: VERSION },
};

const ACTION_PATH =
  /^\/apis\/subresources\.kubevirt\.io\/v1\/namespaces\/([^/]+)\/(virtualmachines|virtualmachineinstances)\/([^/]+)\/([a-z]+)$/;
const ACTIONS_OF: Record<string, PowerAction[]> = {
  virtualmachines: ['start', 'stop', 'restart', 'migrate'],
  virtualmachineinstances: ['pause', 'unpause'],
};

const CONSOLE_PATH =
  /^\/apis\/subresources\.kubevirt\.io\/v1\/namespaces\/([^/]+)\/virtualmachineinstances\/([^/]+)\/(console|vnc)$/;

/** The VMI and subresource of a `console` or `vnc` path. */
function consoleTarget(
  path: string,
): { namespace: string; name: string; kind: ConsoleKind } | undefined {
  const match = CONSOLE_PATH.exec(path);
  return match
    ? {
        namespace: decodeURIComponent(match[1]),
        name: decodeURIComponent(match[2]),
        kind: match[3] as ConsoleKind,
      }
    : undefined;
}

const NOT_FOUND = status(
  404,
  'NotFound',
  'the server could not find the requested resource',
);

/** Minimal OpenAPI documents: the aggregator merges them into the apiserver's. */
const OPENAPI_V2 = {
  swagger: '2.0',
  info: { title: 'KubeVirt API (simulated subresources)', version: VERSION },
  paths: {},
  definitions: {},
};
const OPENAPI_V3 = {
  openapi: '3.0.0',
  info: { title: 'KubeVirt API (simulated subresources)', version: VERSION },
  paths: {},
  components: { schemas: {} },
};

/**
 * virt-api's subresource API (`subresources.kubevirt.io/v1`) for one cluster,
 * served on 127.0.0.1 and registered with the apiserver's aggregation layer,
 * so clients call the real apiserver (with its authentication and RBAC) and it
 * proxies here. Only the aggregator's front proxy may call: its client
 * certificate is checked against `front-proxy-ca.crt`, the user it vouches for
 * comes in `X-Remote-User`/`X-Remote-Group`.
 */
export class SubresourceServer {
  private server: Server | undefined;
  /** Requests from the front proxy this server has answered (proof the aggregator reaches it). */
  private proxied = 0;

  /** Whether the aggregator has reached this very server (not an earlier run's port). */
  get reachedByAggregator(): boolean {
    return this.proxied > 0;
  }

  constructor(private readonly options: SubresourceServerOptions) {}

  /** Listens on a free port of 127.0.0.1; returns the port. */
  async listen(): Promise<number> {
    const { pkiDir } = this.options;
    const server = createServer(
      {
        key: readFileSync(join(pkiDir, 'serving.key')),
        cert: readFileSync(join(pkiDir, 'serving.crt')),
        ca: readFileSync(join(pkiDir, 'front-proxy-ca.crt')),
        requestCert: true,
        rejectUnauthorized: false,
      },
      (request, response) => {
        this.handle(request, response).catch(error => {
          this.options.log(
            `subresource API: ${request.method} ${request.url} failed: ${String(
              error,
            )}`,
          );
          if (!response.headersSent)
            reply(response, status(500, 'InternalError', 'internal error'));
        });
      },
    );
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head) => {
      this.upgrade(request, socket, head).catch(error => {
        this.options.log(
          `subresource API: upgrade ${request.url} failed: ${String(error)}`,
        );
        writeRawAnswer(socket, status(500, 'InternalError', 'internal error'));
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.options.consoles.close();
    await new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'https://virt-api.kubevirt.svc');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (
      request.method === 'GET' &&
      (path === '/healthz' || path === '/readyz')
    ) {
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    const socket = request.socket as TLSSocket;
    if (!socket.authorized) {
      reply(
        response,
        status(
          401,
          'Unauthorized',
          'Unauthorized: a client certificate of the front proxy is required',
        ),
      );
      return;
    }

    this.proxied++;
    const consoles = consoleTarget(path);
    if (consoles && request.method === 'GET') {
      const answer = await this.options.consoles.serve(
        request,
        consoles,
        url.searchParams,
      );
      reply(response, answer ?? NOT_FOUND);
      return;
    }
    if (request.method === 'GET') {
      const body = this.discovery(path);
      reply(response, body ? { code: 200, body } : NOT_FOUND);
      return;
    }

    const match = ACTION_PATH.exec(path);
    const [, namespace, resource, name, action] = match ?? [];
    if (!match || !ACTIONS_OF[resource].includes(action as PowerAction)) {
      reply(response, NOT_FOUND);
      return;
    }
    if (request.method !== 'PUT') {
      reply(
        response,
        status(
          405,
          'MethodNotAllowed',
          `${request.method} is not supported on ${resource}/${action}`,
        ),
      );
      return;
    }
    const body = await readBody(request);
    // Who the apiserver authenticated (and already authorised for `update` on the subresource).
    const user = headerOf(request, 'x-remote-user') ?? 'unknown';
    const groups = headerOf(request, 'x-remote-group') ?? '';
    const answer = await this.options.actions.run(
      action as PowerAction,
      decodeURIComponent(namespace),
      decodeURIComponent(name),
      body,
    );
    this.options.log(
      `subresource API: ${user} [${groups}] ${action} ${namespace}/${name} -> ${
        answer.code
      }${answer.code >= 500 ? ` ${JSON.stringify(answer.body)}` : ''}`,
    );
    reply(response, answer);
  }

  /** A websocket upgrade: `console` and `vnc` only, from the front proxy only. */
  private async upgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ) {
    const url = new URL(request.url ?? '/', 'https://virt-api.kubevirt.svc');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (!(socket as TLSSocket).authorized) {
      writeRawAnswer(
        socket,
        status(
          401,
          'Unauthorized',
          'Unauthorized: a client certificate of the front proxy is required',
        ),
      );
      return;
    }
    this.proxied++;
    const target = consoleTarget(path);
    if (!target || request.method !== 'GET') {
      writeRawAnswer(socket, NOT_FOUND);
      return;
    }
    const answer = await this.options.consoles.serve(
      request,
      target,
      url.searchParams,
      { socket, head },
    );
    const user = headerOf(request, 'x-remote-user') ?? 'unknown';
    this.options.log(
      `subresource API: ${user} ${target.kind} ${target.namespace}/${
        target.name
      } -> ${answer ? answer.code : 101}`,
    );
    if (answer) writeRawAnswer(socket, answer);
  }

  private discovery(path: string): object | undefined {
    switch (path) {
      case '/':
        return {
          paths: [
            '/apis',
            '/openapi/v2',
            `/apis/${GROUP}`,
            `/apis/${GROUP_VERSION}`,
          ],
        };
      case '/apis':
        return { kind: 'APIGroupList', apiVersion: 'v1', groups: [API_GROUP] };
      case `/apis/${GROUP}`:
        return { kind: 'APIGroup', apiVersion: 'v1', ...API_GROUP };
      case `/apis/${GROUP_VERSION}`:
        return {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: GROUP_VERSION,
          resources: RESOURCES,
        };
      case '/openapi/v2':
        return OPENAPI_V2;
      case '/openapi/v3':
        return {
          paths: {
            [`apis/${GROUP_VERSION}`]: {
              serverRelativeURL: `/openapi/v3/apis/${GROUP_VERSION}?hash=0`,
            },
          },
        };
      case `/openapi/v3/apis/${GROUP_VERSION}`:
        return OPENAPI_V3;
      default:
        return undefined;
    }
  }
}

/** Writes an answer: its body as JSON, or no body. */
function reply(response: ServerResponse, answer: PowerAnswer) {
  if (!answer.body) {
    response.writeHead(answer.code).end();
    return;
  }
  response
    .writeHead(answer.code, { 'Content-Type': 'application/json' })
    .end(JSON.stringify(answer.body));
}

function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Points the apiserver's aggregator at the server: Namespace `kubevirt`, an
 * ExternalName Service `kubevirt/virt-api` → localhost (Endpoints may not name
 * loopback addresses, but with aggregator routing off the aggregator dials an
 * ExternalName service's name at the APIService's port), and the APIService,
 * trusting the cluster CA that signed the serving certificate.
 */
export async function registerSubresourceApi(
  kc: KubeConfig,
  pkiDir: string,
  port: number,
): Promise<void> {
  const caBundle = readFileSync(join(pkiDir, 'ca.crt')).toString('base64');
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubevirt' } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'virt-api',
        namespace: 'kubevirt',
        labels: { 'kubevirt.io': 'virt-api' },
      },
      spec: {
        type: 'ExternalName',
        externalName: 'localhost',
        ports: [{ name: 'https', port, targetPort: port, protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: APISERVICE, labels: { 'kubevirt.io': 'virt-api' } },
      spec: {
        group: GROUP,
        version: VERSION,
        groupPriorityMinimum: 1000,
        versionPriority: 15,
        service: { namespace: 'kubevirt', name: 'virt-api', port },
        caBundle,
      },
    },
  ] as KubernetesObject[];
  await applyObjects(kc, objects, 'kubevirt-simulator');
}

/**
 * Waits until the aggregator reports the APIService Available and a discovery
 * request through the apiserver reaches `server` (an Available condition left
 * from an earlier run may still point at that run's port); throws with the
 * aggregator's reason if it does not.
 */
export async function waitForSubresourceApi(
  kc: KubeConfig,
  server: SubresourceServer,
  timeoutMs: number,
): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  let last = '';
  try {
    await waitUntil(
      `APIService ${APISERVICE} Available`,
      timeoutMs,
      async () => {
        if (!server.reachedByAggregator) {
          const discovery = await fetchThroughApiserver(
            kc,
            `/apis/${GROUP_VERSION}`,
          );
          last = `discovery through the apiserver answered ${discovery}`;
          if (!server.reachedByAggregator) return undefined;
        }
        const apiService = (await custom.getClusterCustomObject({
          group: 'apiregistration.k8s.io',
          version: 'v1',
          plural: 'apiservices',
          name: APISERVICE,
        })) as {
          status?: {
            conditions?: Array<{
              type: string;
              status: string;
              reason?: string;
              message?: string;
            }>;
          };
        };
        const available = apiService.status?.conditions?.find(
          c => c.type === 'Available',
        );
        last = available
          ? `${available.reason ?? ''}: ${available.message ?? ''}`
          : 'no Available condition yet';
        return available?.status === 'True' || undefined;
      },
    );
  } catch (error) {
    throw new Error(
      `${
        error instanceof Error ? error.message : String(error)
      } (last: ${last})`,
    );
  }
}

/** GETs `path` from the apiserver with `kc`'s credentials; returns the HTTP status. */
async function fetchThroughApiserver(
  kc: KubeConfig,
  path: string,
): Promise<number> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const options: RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      new URL(path, cluster.server),
      { ...options, method: 'GET', timeout: 5000 },
      response => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('timeout', () =>
      request.destroy(new Error(`GET ${path} timed out`)),
    );
    request.on('error', reject);
    request.end();
  });
}
