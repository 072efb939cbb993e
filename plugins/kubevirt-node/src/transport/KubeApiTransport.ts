import {
  AuthenticationError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { WebSocket } from 'ws';
import type { KubevirtCredential } from '../auth/KubevirtAuthStrategy';
import { KubernetesApiError, ResourceVersionExpiredError } from '../errors';

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
 * Where and as whom a transport talks to one apiserver.
 *
 * @public
 */
export interface KubeApiTransportOptions {
  /** The cluster's name, as configured; every error message names it. */
  cluster: string;
  /** The apiserver's URL. */
  url: string;
  /** Base64 PEM of the CA that signed the apiserver's certificate, as in a kubeconfig. */
  caData?: string;
  /** Skip TLS verification (never in production). */
  skipTLSVerify?: boolean;
  /** Asked before every request, so a strategy may rotate or refresh it. */
  credential: () => Promise<KubevirtCredential>;
}

/**
 * Options of one {@link KubeApiTransport.request}.
 *
 * @public
 */
export interface KubeRequestOptions {
  /** Query parameters; those unset or empty are left out. */
  query?: Record<string, string | undefined>;
  /** The request body, sent as JSON. */
  body?: unknown;
  /** The body's content type (e.g. `application/json-patch+json`). Default: `application/json`. */
  contentType?: string;
}

interface Status {
  code?: number;
  reason?: string;
  message?: string;
}

interface RawList {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: unknown[];
}

const DEFAULT_PAGE_SIZE = 500;
/** No byte for this long and a watch's connection is taken for dead (bookmarks come every 60 s). */
const WATCH_IDLE_TIMEOUT_MS = 90_000;
const REQUEST_TIMEOUT_MS = 60_000;
const MAX_ERROR_BODY = 64 * 1024;

/** An HTTP answer outside 2xx, before it is mapped to an error type. */
class HttpStatusError extends Error {
  constructor(readonly statusCode: number, readonly body: string) {
    super(`HTTP ${statusCode}`);
  }
}

/**
 * The one way the VM Portal talks to a Kubernetes apiserver: JSON over HTTPS with
 * keep-alive connections, paginated lists, watches, and every error mapped to a
 * `@backstage/errors` type: 401 `AuthenticationError`, 403 `NotAllowedError`, 404
 * `NotFoundError`, 410 {@link ResourceVersionExpiredError}, 429 (throttled), 5xx and an
 * unreachable apiserver `ServiceUnavailableError`, anything else
 * {@link KubernetesApiError}. Messages name the cluster and the request; they never
 * contain a credential.
 *
 * @public
 */
export class KubeApiTransport {
  /** A transport for one apiserver and one credential. */
  static create(options: KubeApiTransportOptions): KubeApiTransport {
    return new KubeApiTransport(options);
  }

  /** The cluster's name, as configured. */
  readonly cluster: string;
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly ca?: string;
  /** The cluster's CA, parsed once for every connection that uses a bearer token. */
  private readonly caContext?: tls.SecureContext;

  private constructor(private readonly options: KubeApiTransportOptions) {
    this.cluster = options.cluster;
    this.base = new URL(options.url);
    this.ca = options.caData
      ? Buffer.from(options.caData, 'base64').toString('utf8')
      : undefined;
    this.caContext =
      this.ca && this.base.protocol === 'https:'
        ? tls.createSecureContext({ ca: this.ca })
        : undefined;
    this.agent =
      this.base.protocol === 'http:'
        ? new http.Agent({ keepAlive: true })
        : new https.Agent({ keepAlive: true });
  }

  /** One request, JSON in and out as the apiserver writes it. */
  async request<T>(
    what: string,
    method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE',
    path: string,
    options: KubeRequestOptions = {},
  ): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const controller = new AbortController();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(
          new ServiceUnavailableError(
            `${what} on cluster '${this.cluster}' got no answer within ${
              REQUEST_TIMEOUT_MS / 1000
            } s`,
          ),
        );
      }, REQUEST_TIMEOUT_MS);
    });
    const sent = this.send<T>(method, path, options, controller.signal);
    try {
      return await Promise.race([sent, timeout]);
    } catch (error) {
      throw this.toError(what, error);
    } finally {
      clearTimeout(timer);
      // A request that lost the race must not end as an unhandled rejection.
      sent.catch(() => undefined);
    }
  }

  /** `undefined` instead of `NotFoundError`. */
  async getOptional<T>(what: string, path: string): Promise<T | undefined> {
    try {
      return await this.request<T>(what, 'GET', path);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** One page of a list. */
  async listPage<T>(
    what: string,
    path: string,
    options: KubeListOptions = {},
  ): Promise<KubeList<T>> {
    const page = await this.request<RawList>(what, 'GET', path, {
      query: {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: String(options.limit ?? DEFAULT_PAGE_SIZE),
        continue: options.continue,
      },
    });
    return {
      items: (page.items ?? []) as T[],
      resourceVersion: page.metadata?.resourceVersion ?? '',
      continue: page.metadata?.continue || undefined,
    };
  }

  /** Every item of a list, page by page. */
  async listAll<T>(
    what: string,
    path: string,
    options: Omit<KubeListOptions, 'continue'> = {},
  ): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined;
    do {
      const page: KubeList<T> = await this.listPage<T>(what, path, {
        ...options,
        continue: next,
      });
      items.push(...page.items);
      next = page.continue;
    } while (next);
    return items;
  }

  /**
   * Watches the collection at `path` from a resourceVersion. Resolves when the watch
   * ends normally; rejects with {@link ResourceVersionExpiredError} when the version is
   * too old (list again).
   */
  watch<T>(
    what: string,
    path: string,
    options: KubeWatchOptions<T>,
  ): Promise<KubeWatchEnd> {
    const { signal } = options;
    return new Promise<KubeWatchEnd>((resolve, reject) => {
      let resourceVersion = options.resourceVersion;
      let settled = false;
      const controller = new AbortController();
      const listening = new AbortController();
      const finish = (
        error?: unknown,
        reason: KubeWatchEnd['reason'] = 'closed',
      ) => {
        if (settled) return;
        settled = true;
        controller.abort();
        listening.abort();
        if (error) reject(this.toError(what, error));
        else resolve({ resourceVersion, reason });
      };
      const onAbort = () => finish(undefined, 'aborted');
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, {
        once: true,
        signal: listening.signal,
      });

      const onLine = (line: string) => {
        if (settled || !line.trim()) return;
        let event: { type?: string; object?: unknown };
        try {
          event = JSON.parse(line);
        } catch {
          finish(new Error(`the watch sent a line that is not JSON`));
          return;
        }
        if (event.type === 'ERROR') {
          const status = (event.object ?? {}) as Status;
          finish(
            new HttpStatusError(status.code ?? 500, JSON.stringify(status)),
          );
          return;
        }
        const version = (
          event.object as { metadata?: { resourceVersion?: string } }
        )?.metadata?.resourceVersion;
        try {
          if (event.type === 'BOOKMARK') {
            if (version) resourceVersion = version;
            options.onEvent({ type: 'BOOKMARK', resourceVersion });
          } else if (
            event.type === 'ADDED' ||
            event.type === 'MODIFIED' ||
            event.type === 'DELETED'
          ) {
            options.onEvent({ type: event.type, object: event.object as T });
            // Advance only once the event is handled: a resumed watch must not skip it.
            if (version) resourceVersion = version;
          }
        } catch (error) {
          // The caller's own failure: not a cluster error, so not mapped.
          settled = true;
          controller.abort();
          listening.abort();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };

      this.open(
        'GET',
        path,
        {
          query: {
            watch: 'true',
            resourceVersion,
            labelSelector: options.labelSelector,
            allowWatchBookmarks: options.allowWatchBookmarks
              ? 'true'
              : undefined,
            timeoutSeconds: String(
              options.timeoutSeconds ?? 300 + Math.floor(Math.random() * 300),
            ),
          },
        },
        controller.signal,
      ).then(
        response => {
          if (settled) {
            response.destroy();
            return;
          }
          const code = response.statusCode ?? 0;
          if (code < 200 || code >= 300) {
            readBody(response).then(
              body => finish(new HttpStatusError(code, body)),
              finish,
            );
            return;
          }
          response.setEncoding('utf8');
          response.setTimeout(WATCH_IDLE_TIMEOUT_MS, () => {
            if (!settled) finish(undefined, 'idle');
          });
          let buffered = '';
          response.on('data', (chunk: string) => {
            buffered += chunk;
            let newline = buffered.indexOf('\n');
            while (newline >= 0) {
              onLine(buffered.slice(0, newline));
              buffered = buffered.slice(newline + 1);
              newline = buffered.indexOf('\n');
            }
          });
          response.on('end', () => {
            onLine(buffered);
            finish(undefined, 'closed');
          });
          response.on('error', error => {
            if (signal?.aborted) finish(undefined, 'aborted');
            else finish(error);
          });
          response.on('close', () => {
            if (signal?.aborted) finish(undefined, 'aborted');
            else finish(undefined, 'closed');
          });
        },
        error => finish(error),
      );
    });
  }

  /**
   * Opens a WebSocket to the apiserver at `path` (a streaming subresource such as
   * KubeVirt's `virtualmachineinstances/{name}/console`), offering `protocol`, with this
   * transport's credential and TLS settings. Resolves once the apiserver has accepted
   * the upgrade; a refusal is mapped as any other answer (404, 400 "VMI is not
   * running", 403, …). The socket comes paused: `resume()` it once its listeners are on.
   */
  async openWebSocket(
    what: string,
    path: string,
    protocol: string,
  ): Promise<WebSocket> {
    const url = new URL(
      `${this.base.pathname.replace(/\/+$/, '')}${path}`,
      this.base,
    );
    url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
    const credential = await this.options.credential();
    const socket = new WebSocket(url, [protocol], {
      headers:
        credential.type === 'bearer token'
          ? { Authorization: `Bearer ${credential.token}` }
          : {},
      rejectUnauthorized: !this.options.skipTLSVerify,
      handshakeTimeout: REQUEST_TIMEOUT_MS,
      ...(credential.type === 'x509 client certificate'
        ? { ca: this.ca, cert: credential.cert, key: credential.key }
        : { ca: this.ca }),
    });
    return new Promise((resolve, reject) => {
      const listeners = {
        open: () => {
          detach();
          // Held until the caller listens: a server may speak first (RFB's greeting).
          socket.pause();
          resolve(socket);
        },
        error: (error: unknown) => {
          detach();
          socket.terminate();
          reject(this.toError(what, error));
        },
        unexpected: (_request: unknown, response: http.IncomingMessage) => {
          readBody(response).then(
            body =>
              listeners.error(
                new HttpStatusError(response.statusCode ?? 0, body),
              ),
            listeners.error,
          );
        },
      };
      function detach() {
        socket.off('open', listeners.open);
        socket.off('unexpected-response', listeners.unexpected);
        socket.off('error', listeners.error);
      }
      socket.on('open', listeners.open);
      socket.on('unexpected-response', listeners.unexpected);
      socket.on('error', listeners.error);
    });
  }

  private async send<T>(
    method: string,
    path: string,
    options: KubeRequestOptions,
    signal: AbortSignal,
  ): Promise<T> {
    const response = await this.open(method, path, options, signal);
    const text = await readBody(response);
    const code = response.statusCode ?? 0;
    if (code < 200 || code >= 300) throw new HttpStatusError(code, text);
    try {
      return (text ? JSON.parse(text) : undefined) as T;
    } catch {
      throw new HttpStatusError(502, 'the answer is not JSON');
    }
  }

  private async open(
    method: string,
    path: string,
    options: KubeRequestOptions,
    signal: AbortSignal,
  ): Promise<http.IncomingMessage> {
    const url = new URL(
      `${this.base.pathname.replace(/\/+$/, '')}${path}`,
      this.base,
    );
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value) url.searchParams.set(key, value);
    }
    const credential = await this.options.credential();
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json' };
    if (credential.type === 'bearer token') {
      headers.Authorization = `Bearer ${credential.token}`;
    }
    const payload =
      options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
    }
    const requestOptions: https.RequestOptions = {
      method,
      headers,
      agent: this.agent,
      signal,
      rejectUnauthorized: !this.options.skipTLSVerify,
      ...(credential.type === 'x509 client certificate'
        ? { ca: this.ca, cert: credential.cert, key: credential.key }
        : { secureContext: this.caContext }),
    };
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const request = transport.request(url, requestOptions, resolve);
      request.on('error', reject);
      request.end(payload);
    });
  }

  private toError(what: string, error: unknown): Error {
    if (
      error instanceof ServiceUnavailableError ||
      error instanceof KubernetesApiError ||
      error instanceof ResourceVersionExpiredError
    ) {
      return error;
    }
    if (error instanceof HttpStatusError) {
      const status = parseStatus(error.body);
      return this.errorFor(
        what,
        error.statusCode,
        status.message ?? `HTTP ${error.statusCode}`,
        status.reason,
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
          `${text}; check the cluster's credential (serviceAccountToken)`,
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
}

/** The path of a collection: `/api/v1/...` for core kinds, `/apis/<group>/<version>/...`. */
export function collectionPath(
  apiVersion: string,
  plural: string,
  namespace?: string,
): string {
  const base = apiVersion.includes('/')
    ? `/apis/${apiVersion}`
    : `/api/${apiVersion}`;
  return namespace
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}`
    : `${base}/${plural}`;
}

/** The path of one object of a collection. */
export function objectPath(
  apiVersion: string,
  plural: string,
  namespace: string | undefined,
  name: string,
): string {
  return `${collectionPath(apiVersion, plural, namespace)}/${encodeURIComponent(
    name,
  )}`;
}

function readBody(response: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const code = response.statusCode ?? 0;
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      // An error's body is a Status: keep a bounded part of a misbehaving one.
      if (code >= 200 && code < 300) {
        chunks.push(chunk);
      } else if (size < MAX_ERROR_BODY) {
        chunks.push(chunk);
        size += chunk.length;
      }
    });
    response.on('error', reject);
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parseStatus(body: string): Status {
  try {
    const parsed = JSON.parse(body);
    return parsed && typeof parsed === 'object' ? (parsed as Status) : {};
  } catch {
    return body ? { message: body.slice(0, 300) } : {};
  }
}

function describeCause(error: unknown): string {
  const err = error as {
    code?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (err?.code) return err.code;
  if (err?.cause?.code) return err.cause.code;
  if (err?.cause?.message) return err.cause.message;
  return error instanceof Error ? error.message : String(error);
}
