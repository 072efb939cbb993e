import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';

/** What the apiserver answered instead of switching protocols. */
export interface RefusedUpgrade {
  status: number;
  body: { message?: string; reason?: string; code?: number } | string;
}

/**
 * Opens a websocket to the apiserver with a bearer token, as a browser-side
 * proxy of the portal would; resolves with the open socket, or with the HTTP
 * answer when the upgrade is refused.
 */
export function openWebsocket(
  url: string,
  token: string,
  caData: string,
  protocols: string[],
): Promise<WebSocket | RefusedUpgrade> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, {
      headers: { Authorization: `Bearer ${token}` },
      ca: Buffer.from(caData, 'base64'),
      handshakeTimeout: 30_000,
    });
    socket.once('open', () => resolve(socket));
    socket.once(
      'unexpected-response',
      (_request, response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', chunk => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: RefusedUpgrade['body'] = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: response.statusCode ?? 0, body });
          socket.terminate();
        });
      },
    );
    socket.once('error', reject);
  });
}

/**
 * Reads a websocket's binary messages as one byte stream (as KubeVirt's
 * streams are), and records when the socket closes.
 */
export class WebsocketReader {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  /** The close code, once closed (1006: closed without a close frame). */
  closeCode: number | undefined;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      if (!isBinary) return;
      this.buffer = Buffer.concat([this.buffer, data as Buffer]);
      this.wake();
    });
    socket.on('close', code => {
      this.closeCode = code;
      this.wake();
    });
  }

  /** Sends bytes as one binary message. */
  send(data: string | Buffer): void {
    this.socket.send(typeof data === 'string' ? Buffer.from(data) : data, {
      binary: true,
    });
  }

  /** The next `count` bytes. */
  async read(count: number, timeoutMs = 10_000): Promise<Buffer> {
    await this.until(
      () => this.buffer.length >= count,
      timeoutMs,
      `${count} bytes`,
    );
    const head = this.buffer.subarray(0, count);
    this.buffer = this.buffer.subarray(count);
    return head;
  }

  /** The text up to and including the first match of `pattern`. */
  async readUntil(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    let end = -1;
    await this.until(
      () => {
        const match = pattern.exec(this.buffer.toString('utf8'));
        if (!match) return false;
        end = Buffer.byteLength(
          this.buffer.toString('utf8').slice(0, match.index + match[0].length),
        );
        return true;
      },
      timeoutMs,
      String(pattern),
    );
    const text = this.buffer.subarray(0, end).toString('utf8');
    this.buffer = this.buffer.subarray(end);
    return text;
  }

  /** Waits for the socket to close; returns the close code. */
  async closed(timeoutMs = 30_000): Promise<number> {
    await this.until(() => this.closeCode !== undefined, timeoutMs, 'close');
    return this.closeCode!;
  }

  private wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private async until(ready: () => boolean, timeoutMs: number, what: string) {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (this.closeCode !== undefined && what !== 'close')
        throw new Error(
          `socket closed (${
            this.closeCode
          }) while waiting for ${what}; got ${JSON.stringify(
            this.buffer.toString('utf8').slice(0, 200),
          )}`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; got ${JSON.stringify(
            this.buffer.toString('utf8').slice(0, 200),
          )}`,
        );
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
