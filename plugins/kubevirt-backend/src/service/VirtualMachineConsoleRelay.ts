import type {
  AuditorService,
  AuthService,
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import {
  AuthenticationError,
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  CONSOLE_PROTOCOL,
  CONSOLE_TOKEN_PROTOCOL_PREFIX,
  kubevirtVmConsolePermission,
} from '@vmportal/plugin-kubevirt-common';
import type { Request, RequestHandler, Response } from 'express';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { RawData, WebSocket, WebSocketServer } from 'ws';
import { clusterError, VirtualMachineService } from './VirtualMachineService';

/** Which of a VM's consoles. */
export type ConsoleType = 'serial' | 'vnc';

/** How a session ended, as the close code the browser sees. */
const CLOSE = {
  vmStopped: 1000,
  clusterError: 1011,
  unauthenticated: 4401,
  notAllowed: 4403,
  idle: 4408,
} as const;

const CONSOLE_PATH =
  /\/v1\/entities\/([^/]+)\/([^/]+)\/([^/]+)\/console\/(serial|vnc)$/;

/** Options of a {@link VirtualMachineConsoleRelay}. */
export interface VirtualMachineConsoleRelayOptions {
  vms: VirtualMachineService;
  auth: AuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  logger: LoggerService;
  /** A session with no byte either way for this long is closed. Default: 15 minutes. */
  idleTimeoutMs?: number;
  /** How often an open session's permission is asked again. Default: 60 s. */
  recheckMs?: number;
}

interface Session {
  entityRef: string;
  type: ConsoleType;
  actor: string;
  startedAt: number;
  bytesFromGuest: number;
  bytesToGuest: number;
}

/**
 * The VM page's serial console and VNC display: a WebSocket from the browser,
 * authenticated with the user's Backstage token (offered as a subprotocol, since a
 * browser cannot set headers on a WebSocket), relayed byte for byte to KubeVirt's
 * `console` / `vnc` subresource opened with the cluster's actor credential. No
 * cluster credential reaches the browser.
 *
 * Opening is one of the VM's operations (`kubevirt.vm.console`, audited as
 * `vm-console`, refused for service principals the config does not name and for
 * entities the provider did not emit); a refusal answers the upgrade with its HTTP
 * status and the reason, before any byte is relayed. An open session is closed when
 * the user's permission is gone (asked again every `recheckMs`), when the VM stops
 * (KubeVirt ends the stream), or after `idleTimeoutMs` without a byte; its end is
 * audited as `vm-console-session` with its duration and byte counts.
 *
 * The backend's HTTP server is not handed to plugins: the relay learns it from the
 * first request to the plugin's router ({@link VirtualMachineConsoleRelay.middleware};
 * the VM page always reads the VM before it opens a console) and listens to its
 * `upgrade` events for the plugin's console paths only.
 *
 * @internal
 */
export class VirtualMachineConsoleRelay {
  private readonly wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    handleProtocols: protocols =>
      protocols.has(CONSOLE_PROTOCOL) ? CONSOLE_PROTOCOL : false,
  });
  private server: Server | undefined;
  private basePath = '';
  private readonly sessions = new Set<WebSocket>();
  private readonly idleTimeoutMs: number;
  private readonly recheckMs: number;

  constructor(private readonly options: VirtualMachineConsoleRelayOptions) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 15 * 60_000;
    this.recheckMs = options.recheckMs ?? 60_000;
  }

  /**
   * Learns the backend's HTTP server from the first request to the plugin and listens
   * to its `upgrade` events, for the console paths only (other paths are left to their
   * listeners). Node passes an upgrade on as a plain request only while the server has
   * no `upgrade` listener; such an upgrade (one made before any other request to the
   * plugin) reaches the console route and {@link VirtualMachineConsoleRelay.upgrade}.
   */
  middleware(): RequestHandler {
    return (req, _res, next) => {
      const server = (req.socket as { server?: Server }).server;
      if (server && this.server !== server) {
        this.basePath = req.baseUrl;
        this.server = server;
        server.on('upgrade', this.onUpgrade);
      }
      next();
    };
  }

  /**
   * Opens the console for an upgrade that reached the route as a request: answers a
   * refusal on `res` with its status and error body, else takes the socket over.
   */
  async upgrade(req: Request, res: Response) {
    const match = CONSOLE_PATH.exec(req.path);
    if (!match) {
      res.status(404).end();
      return;
    }
    try {
      await this.open(req, req.socket, Buffer.alloc(0), match);
    } catch (error) {
      this.refused(req, error);
      const err = error instanceof Error ? error : new Error(String(error));
      res.status(statusOf(err)).json({
        error: { name: err.name, message: err.message },
      });
    }
  }

  /**
   * Whether the caller may open the VM's console now (for the page, before it opens the
   * WebSocket): the same checks as opening, without connecting.
   */
  async check(
    ref: CompoundEntityRef,
    type: ConsoleType,
    credentials: BackstageCredentials,
    request?: Request,
  ): Promise<{ available: true }> {
    await this.authorize(ref, type, credentials, request, true);
    return { available: true };
  }

  /** Closes every open session (backend shutdown). */
  stop(): void {
    this.server?.off('upgrade', this.onUpgrade);
    for (const socket of this.sessions) {
      socket.close(1001, 'The portal is shutting down');
    }
  }

  private authorize(
    ref: CompoundEntityRef,
    type: ConsoleType,
    credentials: BackstageCredentials,
    request: Request | IncomingMessage | undefined,
    checkOnly: boolean,
  ): Promise<{ upstream?: WebSocket; actor: string; entityRef: string }> {
    return this.options.vms.act<{
      upstream?: WebSocket;
      actor: string;
      entityRef: string;
    }>(
      ref,
      credentials,
      {
        eventId: 'vm-console',
        permission: kubevirtVmConsolePermission,
        what: `${type} console`,
        refused: t => `Only ${t.owners} can open the console of ${t.entityRef}`,
        meta: { type, ...(checkOnly && { check: true }) },
        // An upgrade from the server's `upgrade` event is a bare IncomingMessage,
        // which the auditor cannot read: it then records no request details.
        httpRequest:
          typeof (request as Partial<Request> | undefined)?.get === 'function'
            ? (request as Request)
            : undefined,
      },
      async ({ cluster, target, vm, actor }) => {
        const status = vm.status?.printableStatus ?? 'Unknown';
        const vmi = await cluster.page
          .getVirtualMachineInstance(target.namespace, target.name)
          .catch(error => {
            throw clusterError(cluster.name, error);
          });
        if (vmi?.status?.phase !== 'Running') {
          throw new ConflictError(
            `The VM is ${status}: start it to use its console`,
          );
        }
        if (checkOnly) {
          return { result: { actor, entityRef: target.entityRef } };
        }
        const upstream = await cluster
          .actor()
          .openConsole(target.namespace, target.name, type)
          .catch(error => {
            throw clusterError(cluster.name, error);
          });
        return { result: { upstream, actor, entityRef: target.entityRef } };
      },
    );
  }

  private readonly onUpgrade = (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ) => {
    const path = (request.url ?? '').split('?')[0];
    if (!path.startsWith(`${this.basePath}/`)) return;
    const match = CONSOLE_PATH.exec(path.slice(this.basePath.length));
    if (!match) return;
    void this.open(request, socket, head, match).catch(error => {
      this.refused(request, error);
      refuseUpgrade(socket, error);
    });
  };

  /** Logs a refused console, naming why (refusals by the checks are audited too). */
  private refused(request: IncomingMessage, error: unknown) {
    this.options.logger.warn(
      `Refused a console WebSocket on ${(request.url ?? '').split('?')[0]}: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }

  private async open(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    match: RegExpExecArray,
  ) {
    const [, namespace, kind, name, type] = match;
    const ref = parseEntityRef({ kind, namespace, name });
    const offered = (request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map(p => p.trim())
      .filter(Boolean);
    const encoded = offered
      .find(p => p.startsWith(CONSOLE_TOKEN_PROTOCOL_PREFIX))
      ?.slice(CONSOLE_TOKEN_PROTOCOL_PREFIX.length);
    if (!encoded || !offered.includes(CONSOLE_PROTOCOL)) {
      throw new AuthenticationError(
        `Open the console with the subprotocols '${CONSOLE_PROTOCOL}' and '${CONSOLE_TOKEN_PROTOCOL_PREFIX}<your Backstage token in base64url>' (consoleProtocols)`,
      );
    }
    const token = Buffer.from(encoded, 'base64url').toString('utf8');
    const credentials = await this.options.auth
      .authenticate(token)
      .catch(() => {
        throw new AuthenticationError(
          'Your sign-in has expired or is not valid: sign in again',
        );
      });
    const { upstream, actor, entityRef } = await this.authorize(
      ref,
      type as ConsoleType,
      credentials,
      request,
      false,
    );
    if (!upstream) throw new Error('no console stream');
    const session: Session = {
      entityRef,
      type: type as ConsoleType,
      actor,
      startedAt: Date.now(),
      bytesFromGuest: 0,
      bytesToGuest: 0,
    };
    // The browser may have left while the console was being opened (ws then drops the
    // upgrade without a word): KubeVirt's end of it is closed at once, and its end
    // recorded, rather than held open for nobody until the VM stops.
    let handedOver = false;
    const abandoned = () => {
      if (handedOver) return;
      handedOver = true;
      upstream.terminate();
      void this.recordEnd(session, 'user');
    };
    if (socket.destroyed) {
      abandoned();
      return;
    }
    socket.once('close', abandoned);
    this.wss.handleUpgrade(request, socket, head, browser => {
      socket.off('close', abandoned);
      handedOver = true;
      // Listeners first, then the bytes KubeVirt sent meanwhile (the RFB greeting).
      this.relay(browser, upstream, credentials, session);
    });
  }

  private relay(
    browser: WebSocket,
    upstream: WebSocket,
    credentials: BackstageCredentials,
    session: Session,
  ) {
    this.sessions.add(browser);
    let lastActivity = Date.now();
    let endedBy = 'user';
    const close = (code: number, reason: string, by: string) => {
      endedBy = by;
      if (browser.readyState === WebSocket.OPEN) browser.close(code, reason);
      else browser.terminate();
    };
    upstream.on('message', (data: RawData) => {
      const bytes = toBuffer(data);
      session.bytesFromGuest += bytes.length;
      lastActivity = Date.now();
      if (browser.readyState === WebSocket.OPEN) {
        browser.send(bytes, { binary: true });
      }
    });
    browser.on('message', (data: RawData, isBinary: boolean) => {
      // KubeVirt ignores text frames; so does the relay.
      if (!isBinary) return;
      const bytes = toBuffer(data);
      session.bytesToGuest += bytes.length;
      lastActivity = Date.now();
      if (upstream.readyState === WebSocket.OPEN) {
        upstream.send(bytes, { binary: true });
      }
    });
    upstream.on('close', () =>
      close(
        CLOSE.vmStopped,
        'The console ended (the VM stopped or moved)',
        'vm',
      ),
    );
    upstream.on('error', error =>
      close(
        CLOSE.clusterError,
        truncateReason(`The cluster ended the console: ${error.message}`),
        'cluster',
      ),
    );
    const idle = setInterval(() => {
      if (Date.now() - lastActivity >= this.idleTimeoutMs) {
        close(
          CLOSE.idle,
          `Closed after ${inWords(this.idleTimeoutMs)} without activity`,
          'idle',
        );
      }
    }, Math.min(this.idleTimeoutMs, 10_000));
    const recheck = setInterval(() => {
      this.options.permissions
        .authorize(
          [
            {
              permission: kubevirtVmConsolePermission,
              resourceRef: session.entityRef,
            },
          ],
          { credentials },
        )
        .then(
          ([decision]) => {
            if (decision.result !== AuthorizeResult.ALLOW) {
              close(
                CLOSE.notAllowed,
                'You may no longer open this console',
                'permission',
              );
            }
          },
          () =>
            close(
              CLOSE.unauthenticated,
              'Your sign-in has expired: sign in again',
              'sign-in',
            ),
        );
    }, this.recheckMs);
    upstream.resume();
    browser.on('close', () => {
      clearInterval(idle);
      clearInterval(recheck);
      this.sessions.delete(browser);
      if (upstream.readyState === WebSocket.OPEN) upstream.close();
      else upstream.terminate();
      void this.recordEnd(session, endedBy);
    });
  }

  private async recordEnd(session: Session, endedBy: string) {
    const meta = {
      entityRef: session.entityRef,
      actor: session.actor,
      type: session.type,
      endedBy,
      durationSeconds: Math.round((Date.now() - session.startedAt) / 1000),
      bytesFromGuest: session.bytesFromGuest,
      bytesToGuest: session.bytesToGuest,
    };
    this.options.logger.info(
      `${session.type} console of ${session.entityRef} for ${session.actor} closed after ${meta.durationSeconds} s (${endedBy})`,
      meta,
    );
    const audit = await this.options.auditor.createEvent({
      eventId: 'vm-console-session',
      severityLevel: 'low',
      meta,
    });
    await audit.success({ meta });
  }
}

/** `15 min`, `90 s`: how long, for a close reason. */
function inWords(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0
    ? `${ms / 60_000} min`
    : `${Math.round(ms / 1000)} s`;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** A close reason is at most 123 bytes. */
function truncateReason(reason: string): string {
  return Buffer.byteLength(reason) <= 123 ? reason : `${reason.slice(0, 110)}…`;
}

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  502: 'Bad Gateway',
};

/** Answers a refused upgrade with the error's status and a Backstage error body. */
function statusOf(err: Error): number {
  if (err instanceof AuthenticationError) return 401;
  if (err instanceof NotAllowedError) return 403;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof ConflictError) return 409;
  return 502;
}

function refuseUpgrade(socket: Duplex, error: unknown) {
  const err = error instanceof Error ? error : new Error(String(error));
  const status = statusOf(err);
  const body = JSON.stringify({
    error: { name: err.name, message: err.message },
  });
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}
