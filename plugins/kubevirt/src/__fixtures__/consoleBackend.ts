import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type * as WsModule from 'ws';
import type { WebSocket as ServerSocket } from 'ws';

// Under jsdom, `ws` resolves to its browser stub (which throws); the test's server
// is Node's, so load the package's Node entry by path.
const { WebSocketServer } = jest.requireActual<typeof WsModule>(
  join(dirname(require.resolve('ws/package.json')), 'index.js'),
);

const CONSOLE_PATH =
  /^\/api\/kubevirt\/v1\/entities\/([^/]+)\/([^/]+)\/([^/]+)\/console\/(serial|vnc)$/;
import {
  CONSOLE_PROTOCOL,
  consoleProtocols,
} from '@vmportal/plugin-kubevirt-common';

/** The backend's answer to a console's availability GET. */
export type ConsoleAvailability =
  | { status: 200 }
  | { status: 403 | 404 | 409; name: string; message: string };

/** A console WebSocket the stand-in accepted. */
export interface ConsoleSession {
  /** The request path: the token must not be in it. */
  path: string;
  /** The subprotocols the page offered, in order. */
  protocols: string[];
  socket: ServerSocket;
  /** Everything the page sent, as text, and whether every frame was binary. */
  received: string;
  allBinary: boolean;
  closed: Promise<number>;
}

/**
 * A stand-in for the kubevirt backend's console route, speaking its protocol: the
 * availability GET, and the WebSocket on the same path that accepts only the
 * `vmportal.console.v1` subprotocol with the user's token beside it. Its serial
 * console is a getty: a login prompt when the page connects, input echoed back,
 * then a password prompt on Enter, all in binary frames.
 */
export class ConsoleBackend {
  readonly sessions: ConsoleSession[] = [];
  /** The GETs it answered, by path. */
  readonly checks: string[] = [];
  availability: ConsoleAvailability = { status: 200 };

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(options: { token: string }): Promise<ConsoleBackend> {
    const server = createServer();
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const backend = new ConsoleBackend(
      server,
      `http://127.0.0.1:${port}/api/kubevirt`,
    );
    server.on('request', (req, res) => backend.answer(req, res, options.token));
    const sockets = new WebSocketServer({
      server,
      handleProtocols: offered =>
        offered.has(CONSOLE_PROTOCOL) &&
        offered.has(consoleProtocols(options.token)[1])
          ? CONSOLE_PROTOCOL
          : false,
      verifyClient: ({ req }: { req: IncomingMessage }) =>
        CONSOLE_PATH.test(req.url ?? ''),
    });
    sockets.on('connection', (socket, req) => backend.serve(socket, req));
    return backend;
  }

  async stop(): Promise<void> {
    for (const session of this.sessions) session.socket.terminate();
    await new Promise(resolve => this.server.close(resolve));
  }

  private answer(req: IncomingMessage, res: ServerResponse, token: string) {
    const path = req.url ?? '';
    this.checks.push(path);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${token}`) {
      send(401, {
        error: { name: 'AuthenticationError', message: 'Missing credentials' },
      });
    } else if (!CONSOLE_PATH.test(path)) {
      send(404, { error: { name: 'NotFoundError', message: 'No route' } });
    } else if (this.availability.status === 200) {
      send(200, { available: true });
    } else {
      const { status, name, message } = this.availability;
      send(status, {
        error: { name, message },
        request: { method: req.method, url: path },
        response: { statusCode: status },
      });
    }
  }

  private serve(socket: ServerSocket, req: IncomingMessage) {
    const session: ConsoleSession = {
      path: req.url ?? '',
      protocols: (req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map(p => p.trim()),
      socket,
      received: '',
      allBinary: true,
      closed: new Promise(resolve => socket.on('close', resolve)),
    };
    this.sessions.push(session);
    const write = (text: string) =>
      socket.send(Buffer.from(text, 'utf8'), { binary: true });
    write('\r\nweb-frontend-1 login: ');
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      session.allBinary &&= isBinary;
      const text = data.toString('utf8');
      session.received += text;
      for (const char of text) {
        write(char === '\r' ? '\r\nPassword: ' : char);
      }
    });
  }
}
