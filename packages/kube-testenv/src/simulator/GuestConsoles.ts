import { IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { VirtualMachineInstanceObject } from '@vmportal/plugin-kubevirt-common';
import { WebSocket, WebSocketServer } from 'ws';
import { describeError } from '../kubeClient';
import { Framebuffer } from './Framebuffer';
import { guestLogins } from './guestLogins';
import { PowerAnswer, status } from './PowerActions';
import {
  orNotFound,
  readCustomObject,
  VIRTUAL_MACHINE_INSTANCES,
} from './resources';
import { RfbServer } from './RfbServer';
import { SerialConsole } from './SerialConsole';
import type { SimulatorContext } from './SimulatorContext';

/** `subresources.PlainStreamProtocolName`: what virt-api's websocket upgrader offers. */
export const PLAIN_STREAM_PROTOCOL = 'plain.kubevirt.io';

/** The two streaming subresources of a VMI. */
export type ConsoleKind = 'console' | 'vnc';

/** VGA text mode: what QEMU's display shows a guest without a graphical console. */
const SCREEN_WIDTH = 720;
const SCREEN_HEIGHT = 400;
const BACKGROUND = [24, 32, 48] as const;
const FOREGROUND = [235, 240, 245] as const;
const DIM = [140, 155, 175] as const;

interface Session {
  vmiUid: string;
  /** The node whose virt-handler serves the stream. */
  nodeName: string | undefined;
  kind: ConsoleKind;
  socket: WebSocket;
  stop(): void;
}

const notFound = (name: string) =>
  status(
    404,
    'NotFound',
    `virtualmachineinstance.kubevirt.io "${name}" not found`,
    {
      name,
      group: 'kubevirt.io',
      kind: 'virtualmachineinstance',
    },
  );
const badRequest = (message: string) => status(400, 'BadRequest', message);

/**
 * virt-api's `console` and `vnc` subresources with virt-handler's side of them
 * (`pkg/virt-api/rest/console.go`, `vnc.go`, `streamer.go`;
 * `pkg/virt-handler/rest/console.go`): a websocket (subprotocol
 * `plain.kubevirt.io`) carrying the guest's serial port or its VNC server as
 * binary messages; text messages from the client are dropped, as KubeVirt's
 * binary reader drops them. Before the upgrade the VMI is checked: missing →
 * 404, not Running → 400 "VMI is not running", Failed → 409 (console), a VMI
 * without serial console or graphics → 400. One session per VMI and kind: a new
 * serial connection (and a new VNC one unless `preserveSession=true`, which is
 * then refused) ends the previous one. Sessions end when the VMI stops running,
 * and when it migrates (they came from the launcher pod it left).
 */
export class GuestConsoles {
  private readonly server = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    // gorilla's Upgrader: the first protocol the client offers that it knows, else none.
    handleProtocols: protocols =>
      protocols.has(PLAIN_STREAM_PROTOCOL) ? PLAIN_STREAM_PROTOCOL : false,
  });
  private readonly sessions = new Set<Session>();

  constructor(
    private readonly ctx: Pick<SimulatorContext, 'core' | 'custom' | 'log'>,
  ) {}

  /**
   * Serves a request for a VMI's `console` or `vnc`: upgrades it (when it came
   * with its connection, `upgrade`), or returns the Status virt-api would answer.
   */
  async serve(
    request: IncomingMessage,
    target: { namespace: string; name: string; kind: ConsoleKind },
    query: URLSearchParams,
    upgrade?: { socket: Duplex; head: Buffer },
  ): Promise<PowerAnswer | undefined> {
    const vmi = await readCustomObject<VirtualMachineInstanceObject>(
      this.ctx.custom,
      VIRTUAL_MACHINE_INSTANCES,
      target.namespace,
      target.name,
    );
    if (!vmi) return notFound(target.name);
    const refusal = this.validate(vmi, target.kind, query);
    if (refusal) return refusal;
    if (
      !upgrade ||
      String(request.headers.upgrade ?? '').toLowerCase() !== 'websocket'
    ) {
      return badRequest(
        "websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header",
      );
    }
    const stream =
      target.kind === 'console'
        ? await this.serialStream(vmi)
        : this.vncStream(vmi);
    this.server.handleUpgrade(request, upgrade.socket, upgrade.head, ws =>
      this.attach(vmi, target.kind, ws, stream),
    );
    return undefined;
  }

  /**
   * Ends the sessions of a VMI that no longer runs, or that migrated: the
   * stream came from the virt-launcher on the node it left.
   */
  vmiChanged(vmi: VirtualMachineInstanceObject, deleted: boolean): void {
    const running =
      !deleted &&
      vmi.status?.phase === 'Running' &&
      !vmi.metadata.deletionTimestamp;
    for (const session of this.sessions) {
      if (
        session.vmiUid === vmi.metadata.uid &&
        (!running || session.nodeName !== vmi.status?.nodeName)
      ) {
        this.ctx.log(
          `${vmi.metadata.namespace}/${vmi.metadata.name}: ${
            session.kind
          } session ended: the VMI is ${endedBecause(
            vmi,
            deleted,
            session.nodeName,
          )} (resourceVersion ${vmi.metadata.resourceVersion})`,
        );
        this.end(session);
      }
    }
  }

  /** Ends every session. */
  close(): void {
    for (const session of this.sessions) this.end(session);
    this.server.close();
  }

  /** `validateVMIForConsole` / `vmiHasDisplay`, and virt-handler's one-session rule. */
  private validate(
    vmi: VirtualMachineInstanceObject,
    kind: ConsoleKind,
    query: URLSearchParams,
  ): PowerAnswer | undefined {
    const devices = vmi.spec.domain.devices as
      | {
          autoattachSerialConsole?: boolean;
          autoattachGraphicsDevice?: boolean;
        }
      | undefined;
    const name = vmi.metadata.name;
    if (kind === 'console') {
      if (devices?.autoattachSerialConsole === false)
        return badRequest('No serial consoles are present.');
      if (vmi.status?.phase === 'Failed')
        return status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "${name}": VMI is in failed status`,
          { name, group: 'kubevirt.io', kind: 'virtualmachineinstance' },
        );
    } else if (devices?.autoattachGraphicsDevice === false) {
      return badRequest('No graphics devices are present.');
    }
    if (vmi.status?.phase !== 'Running')
      return badRequest('VMI is not running');
    if (
      kind === 'vnc' &&
      query.get('preserveSession') === 'true' &&
      [...this.sessions].some(
        s => s.vmiUid === vmi.metadata.uid && s.kind === 'vnc',
      )
    ) {
      const message =
        "Can't connect to websocket (503): websocket: bad handshake: application info: Active VNC connection. Request denied.";
      return status(
        500,
        'InternalError',
        `Internal error occurred: ${message}`,
        {
          causes: [{ message }],
        },
      );
    }
    return undefined;
  }

  /** The guest side of a session: takes the client's bytes, writes to `send`. */
  private async serialStream(vmi: VirtualMachineInstanceObject) {
    const namespace = vmi.metadata.namespace!;
    const logins = await guestLogins(vmi, async name => {
      const secret = await orNotFound(
        this.ctx.core.readNamespacedSecret({ namespace, name }),
      );
      return secret?.data;
    });
    return (send: (bytes: Buffer) => void) => {
      const terminal = new SerialConsole(logins, text =>
        send(Buffer.from(text, 'utf8')),
      );
      return {
        receive: (bytes: Buffer) => terminal.input(bytes),
        stop: () => terminal.close(),
      };
    };
  }

  private vncStream(vmi: VirtualMachineInstanceObject) {
    const screen = new Framebuffer(SCREEN_WIDTH, SCREEN_HEIGHT, BACKGROUND);
    const name = vmi.metadata.name;
    const nameScale = Framebuffer.fitScale(name, SCREEN_WIDTH - 40, 10);
    const namespace = vmi.metadata.namespace ?? '';
    const top = Math.floor(
      (SCREEN_HEIGHT - Framebuffer.lineHeight(nameScale) - 40) / 2,
    );
    screen.drawCentred(top, name, nameScale, FOREGROUND);
    screen.drawCentred(
      top + Framebuffer.lineHeight(nameScale) + 24,
      namespace,
      Framebuffer.fitScale(namespace, SCREEN_WIDTH - 40, 2),
      DIM,
    );
    // libvirt names the domain <namespace>_<name>; QEMU announces it so.
    const desktop = `QEMU (${namespace}_${name})`;
    return (send: (bytes: Buffer) => void, hangUp: (why: string) => void) => {
      const rfb = new RfbServer(screen, desktop, { send, close: hangUp });
      rfb.start();
      return { receive: (bytes: Buffer) => rfb.receive(bytes), stop: () => {} };
    };
  }

  private attach(
    vmi: VirtualMachineInstanceObject,
    kind: ConsoleKind,
    socket: WebSocket,
    stream: (
      send: (bytes: Buffer) => void,
      hangUp: (why: string) => void,
    ) => { receive(bytes: Buffer): void; stop(): void },
  ) {
    const where = `${vmi.metadata.namespace}/${vmi.metadata.name}`;
    // virt-handler's newStopChan: a new connection ends the previous one.
    for (const other of this.sessions) {
      if (other.vmiUid === vmi.metadata.uid && other.kind === kind)
        this.end(other);
    }
    const session: Session = {
      vmiUid: vmi.metadata.uid!,
      nodeName: vmi.status?.nodeName,
      kind,
      socket,
      stop: () => undefined,
    };
    this.sessions.add(session);
    const guest = stream(
      bytes => {
        if (socket.readyState === WebSocket.OPEN)
          socket.send(bytes, { binary: true });
      },
      why => {
        this.ctx.log(`${where}: ${kind} session ended: ${why}`);
        this.end(session);
      },
    );
    session.stop = () => guest.stop();
    socket.on('message', (data, isBinary) => {
      if (!isBinary) return;
      try {
        guest.receive(
          Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer),
        );
      } catch (error) {
        this.ctx.log(`${where}: ${kind}: ${describeError(error)}`);
        this.end(session);
      }
    });
    socket.on('close', () => {
      session.stop();
      this.sessions.delete(session);
    });
    socket.on('error', () => this.end(session));
    this.ctx.log(`${where}: ${kind} connected`);
  }

  /** Hangs up as virt-handler does: the connection closes without a close frame. */
  private end(session: Session) {
    session.stop();
    this.sessions.delete(session);
    session.socket.terminate();
  }
}

/** Why a session of a VMI ends, for the log: `gone`, `Succeeded`, `on node-2, not node-1`. */
function endedBecause(
  vmi: VirtualMachineInstanceObject,
  deleted: boolean,
  sessionNode: string | undefined,
): string {
  if (deleted) return 'gone';
  if (vmi.status?.phase !== 'Running' || vmi.metadata.deletionTimestamp) {
    return vmi.metadata.deletionTimestamp
      ? 'being deleted'
      : vmi.status?.phase ?? 'without a phase';
  }
  return `on ${vmi.status?.nodeName}, not ${sessionNode}`;
}

/** Writes an HTTP answer on a connection that asked for an upgrade, then closes it. */
export function writeRawAnswer(socket: Duplex, answer: PowerAnswer): void {
  const body = answer.body ? JSON.stringify(answer.body) : '';
  const reason = STATUS_CODES[answer.code] ?? '';
  socket.end(
    `HTTP/1.1 ${
      answer.code
    } ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(
      body,
    )}\r\nConnection: close\r\n\r\n${body}`,
  );
}
