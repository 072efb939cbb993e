import type { RawData, WebSocket } from 'ws';

interface Waiter {
  bytes: number;
  resolve: (bytes: Buffer) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * The bytes of a console WebSocket as one stream, read a known count at a time: the
 * serial echo and the RFB handshake are byte protocols, and neither the relay nor
 * KubeVirt promises where one message ends and the next begins.
 */
export class ByteReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private waiter: Waiter | undefined;
  private ended: Error | undefined;

  constructor(private readonly socket: WebSocket) {
    socket.on('message', this.onMessage);
    socket.once('close', (code, reason) =>
      this.end(
        new Error(
          `the console closed (${code}${
            reason.length ? `: ${reason.toString('utf8')}` : ''
          })`,
        ),
      ),
    );
    socket.once('error', error => this.end(error));
  }

  /** Resolves with the next `bytes` bytes; rejects after `timeoutMs` or when the socket ends. */
  read(bytes: number, timeoutMs: number): Promise<Buffer> {
    if (this.waiter) throw new Error('one read at a time');
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(
          new Error(
            `waited ${timeoutMs} ms for ${bytes} byte(s), got ${this.length}`,
          ),
        );
      }, timeoutMs);
      this.waiter = { bytes, resolve, reject, timer };
      this.settle();
    });
  }

  /** Stops reading (the caller takes the socket's messages from here); returns the bytes not read. */
  release(): number {
    this.socket.off('message', this.onMessage);
    return this.length;
  }

  private readonly onMessage = (data: RawData) => {
    const bytes = toBuffer(data);
    this.chunks.push(bytes);
    this.length += bytes.length;
    this.settle();
  };

  private settle() {
    const waiter = this.waiter;
    if (!waiter) return;
    if (this.length >= waiter.bytes) {
      const all =
        this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const rest = all.subarray(waiter.bytes);
      this.chunks = rest.length ? [rest] : [];
      this.length = rest.length;
      this.waiter = undefined;
      clearTimeout(waiter.timer);
      waiter.resolve(all.subarray(0, waiter.bytes));
    } else if (this.ended) {
      this.waiter = undefined;
      clearTimeout(waiter.timer);
      waiter.reject(this.ended);
    }
  }

  private end(error: Error) {
    this.ended ??= error;
    this.settle();
  }
}
