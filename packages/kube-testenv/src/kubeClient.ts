import https from 'node:https';
import { KubeConfig, KubernetesObject } from '@kubernetes/client-node';

/** How to reach one cluster of the control plane. */
export interface ClusterAccess {
  name: string;
  url: string;
  /** Bearer token. */
  token: string;
  /** Base64 PEM of the CA that signed the apiserver's certificate. */
  caData: string;
}

/** A client-node KubeConfig that acts with `access.token` on `access.url`. */
export function kubeConfigFor(
  access: ClusterAccess,
  userName = 'admin',
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: access.name,
        server: access.url,
        caData: access.caData,
        skipTLSVerify: false,
      },
    ],
    users: [{ name: userName, token: access.token }],
    contexts: [{ name: access.name, cluster: access.name, user: userName }],
    currentContext: access.name,
  });
  return kc;
}

/** How long {@link kubeRequest} waits for a socket to say anything. */
const REQUEST_TIMEOUT_MS = 60_000;

/** A failed request to the apiserver, with its status and message. */
export class KubeRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/**
 * One request to the apiserver with the KubeConfig's credentials, sending and reading
 * JSON as is: client-node's typed serializer drops fields it does not model (such as
 * `x-kubernetes-int-or-string` in CRD schemas), which setup and tests cannot afford.
 */
export async function kubeRequest<T = unknown>(
  kc: KubeConfig,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the KubeConfig has no current cluster');
  const url = new URL(path, cluster.server);
  const options: https.RequestOptions = { method, headers: {} };
  await kc.applyToHTTPSOptions(options);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<T>((resolve, reject) => {
    const req = https.request(
      url,
      {
        ...options,
        headers: {
          ...options.headers,
          Accept: 'application/json',
          ...(payload && { 'Content-Type': contentType }),
        },
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', chunk => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON; keep the text
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(parsed as T);
          else {
            const message =
              (parsed as { message?: string })?.message ??
              (text || `HTTP ${status}`);
            reject(new KubeRequestError(status, message, parsed));
          }
        });
      },
    );
    // No answer at all (a hung apiserver) is an error, not a wait without end.
    req.setTimeout(REQUEST_TIMEOUT_MS, () =>
      req.destroy(
        new Error(
          `no answer from ${url.origin} to ${method} ${url.pathname} in ${
            REQUEST_TIMEOUT_MS / 1000
          } s`,
        ),
      ),
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

interface ApiResourceList {
  resources: Array<{ name: string; kind: string; namespaced: boolean }>;
}

/** Maps apiVersion + kind to REST paths through the apiserver's discovery. */
export class ResourcePaths {
  private readonly lists = new Map<string, Promise<ApiResourceList>>();

  constructor(readonly kubeConfig: KubeConfig) {}

  /** The collection path of `object`'s kind (in its namespace when namespaced). */
  async collection(object: KubernetesObject): Promise<string> {
    const apiVersion = object.apiVersion ?? '';
    const base = apiVersion.includes('/')
      ? `/apis/${apiVersion}`
      : `/api/${apiVersion}`;
    let list = this.lists.get(apiVersion);
    if (!list) {
      list = kubeRequest<ApiResourceList>(this.kubeConfig, 'GET', base);
      this.lists.set(apiVersion, list);
      list.catch(() => this.lists.delete(apiVersion));
    }
    const notServed = () =>
      new Error(
        `the apiserver does not serve kind ${object.kind} in ${apiVersion}`,
      );
    let resources: ApiResourceList['resources'];
    try {
      resources = (await list).resources;
    } catch (error) {
      // A group/version the apiserver does not serve at all answers 404.
      if (error instanceof KubeRequestError && error.status === 404) {
        throw notServed();
      }
      throw error;
    }
    const resource = resources.find(
      r => r.kind === object.kind && !r.name.includes('/'),
    );
    if (!resource) {
      this.lists.delete(apiVersion);
      throw notServed();
    }
    if (!resource.namespaced) return `${base}/${resource.name}`;
    const namespace = object.metadata?.namespace ?? 'default';
    return `${base}/namespaces/${namespace}/${resource.name}`;
  }

  /** The path of `object` itself. */
  async item(object: KubernetesObject): Promise<string> {
    return `${await this.collection(object)}/${object.metadata?.name}`;
  }
}

/** Server-side applies `objects` in order; returns what the apiserver stored. */
export async function applyObjects(
  kc: KubeConfig,
  objects: KubernetesObject[],
  fieldManager = 'kube-testenv',
): Promise<KubernetesObject[]> {
  const paths = new ResourcePaths(kc);
  const applied: KubernetesObject[] = [];
  for (const object of objects) {
    try {
      const path = await paths.item(object);
      applied.push(
        await kubeRequest<KubernetesObject>(
          kc,
          'PATCH',
          `${path}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`,
          object,
          'application/apply-patch+yaml',
        ),
      );
    } catch (error) {
      throw new Error(
        `applying ${object.kind} ${
          object.metadata?.namespace ? `${object.metadata.namespace}/` : ''
        }${object.metadata?.name}: ${describeError(error)}`,
      );
    }
  }
  return applied;
}

/** The apiserver's message for a failed client-node call, else the error's. */
export function describeError(error: unknown): string {
  if (error instanceof KubeRequestError) return error.message;
  const body = (error as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      return body;
    }
  }
  if (body && typeof body === 'object' && 'message' in body) {
    return String((body as { message: unknown }).message);
  }
  return error instanceof Error ? error.message : String(error);
}

/** The HTTP status of a failed client-node call, if it has one. */
export function errorStatus(error: unknown): number | undefined {
  if (error instanceof KubeRequestError) return error.status;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}
