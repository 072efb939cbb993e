import type { Framebuffer } from './Framebuffer';

/** How pixels go on the wire (RFC 6143 §7.4 PIXEL_FORMAT), true colour only. */
interface PixelFormat {
  bitsPerPixel: number;
  depth: number;
  bigEndian: boolean;
  trueColour: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/** QEMU's native format on x86: 32 bpp little-endian XRGB. */
const QEMU_PIXEL_FORMAT: PixelFormat = {
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 16,
  greenShift: 8,
  blueShift: 0,
};

const SECURITY_NONE = 1;
const ENCODING_RAW = 0;

type State = 'version' | 'security' | 'init' | 'normal' | 'closed';

/** Where an RFB session writes, and how it hangs up. */
export interface RfbTransport {
  send(bytes: Buffer): void;
  close(reason: string): void;
}

/**
 * The RFB 3.8 server side of one VNC session, as QEMU speaks it for KubeVirt's
 * VNC (RFC 6143): version handshake (3.3, 3.7 and 3.8 clients), security type
 * None only (KubeVirt's VNC has no password), ServerInit with the screen's size,
 * QEMU's pixel format and desktop name, then SetPixelFormat, SetEncodings,
 * key and pointer events (ignored: the screen does not change) and
 * FramebufferUpdateRequests, answered with Raw rectangles in the client's pixel
 * format. As QEMU does, an incremental request waits until something changes
 * (here: never), and an unknown message ends the session.
 */
export class RfbServer {
  private state: State = 'version';
  private pending = Buffer.alloc(0);
  private minor = 8;
  private format: PixelFormat = QEMU_PIXEL_FORMAT;

  constructor(
    private readonly screen: Framebuffer,
    private readonly desktopName: string,
    private readonly transport: RfbTransport,
  ) {}

  private get closed(): boolean {
    return this.state === 'closed';
  }

  /** Sends the server's ProtocolVersion, which opens the handshake. */
  start(): void {
    this.transport.send(Buffer.from('RFB 003.008\n', 'latin1'));
  }

  /** Bytes from the client, in any chunking. */
  receive(bytes: Buffer): void {
    if (this.state === 'closed') return;
    this.pending = Buffer.concat([this.pending, bytes]);
    for (;;) {
      const used = this.step(this.pending);
      if (used === 0 || this.closed) break;
      this.pending = this.pending.subarray(used);
    }
  }

  /** Handles one message at the start of `data`; returns the bytes it used (0: incomplete). */
  private step(data: Buffer): number {
    switch (this.state) {
      case 'version':
        return this.version(data);
      case 'security':
        return this.security(data);
      case 'init':
        if (data.length < 1) return 0;
        this.serverInit();
        return 1;
      case 'normal':
        return this.message(data);
      default:
        return 0;
    }
  }

  private version(data: Buffer): number {
    if (data.length < 12) return 0;
    const match = /^RFB (\d{3})\.(\d{3})\n$/.exec(
      data.subarray(0, 12).toString('latin1'),
    );
    const minor = match && Number(match[1]) === 3 ? Number(match[2]) : NaN;
    // QEMU takes 3.4 and 3.5 (some viewers' own numbers) as 3.3.
    if (![3, 4, 5, 7, 8].includes(minor)) {
      this.close('Unsupported client version');
      return 12;
    }
    this.minor = minor === 4 || minor === 5 ? 3 : minor;
    if (this.minor === 3) {
      const type = Buffer.alloc(4);
      type.writeUInt32BE(SECURITY_NONE);
      this.transport.send(type);
      this.state = 'init';
    } else {
      this.transport.send(Buffer.from([1, SECURITY_NONE]));
      this.state = 'security';
    }
    return 12;
  }

  private security(data: Buffer): number {
    if (data.length < 1) return 0;
    const chosen = data[0];
    if (chosen !== SECURITY_NONE) {
      if (this.minor >= 8) {
        const reason = Buffer.from('Authentication failed', 'latin1');
        const answer = Buffer.alloc(8 + reason.length);
        answer.writeUInt32BE(1, 0);
        answer.writeUInt32BE(reason.length, 4);
        reason.copy(answer, 8);
        this.transport.send(answer);
      }
      this.close(`client chose security type ${chosen}`);
      return 1;
    }
    // 3.8 reports the outcome of every security type; 3.7 none for None.
    if (this.minor >= 8) this.transport.send(Buffer.alloc(4));
    this.state = 'init';
    return 1;
  }

  private serverInit() {
    const name = Buffer.from(this.desktopName, 'utf8');
    const init = Buffer.alloc(24 + name.length);
    init.writeUInt16BE(this.screen.width, 0);
    init.writeUInt16BE(this.screen.height, 2);
    writePixelFormat(init, 4, QEMU_PIXEL_FORMAT);
    init.writeUInt32BE(name.length, 20);
    name.copy(init, 24);
    this.transport.send(init);
    this.state = 'normal';
  }

  private message(data: Buffer): number {
    if (data.length === 0) return 0;
    switch (data[0]) {
      case 0: // SetPixelFormat
        if (data.length < 20) return 0;
        this.format = readPixelFormat(data, 4);
        return 20;
      case 2: {
        // SetEncodings: Raw is always allowed, so the list changes nothing here.
        if (data.length < 4) return 0;
        const length = 4 + 4 * data.readUInt16BE(2);
        return data.length < length ? 0 : length;
      }
      case 3: // FramebufferUpdateRequest
        if (data.length < 10) return 0;
        if (data[1] === 0)
          this.sendUpdate(
            data.readUInt16BE(2),
            data.readUInt16BE(4),
            data.readUInt16BE(6),
            data.readUInt16BE(8),
          );
        return 10;
      case 4: // KeyEvent
        return data.length < 8 ? 0 : 8;
      case 5: // PointerEvent
        return data.length < 6 ? 0 : 6;
      case 6: {
        // ClientCutText
        if (data.length < 8) return 0;
        const length = 8 + data.readUInt32BE(4);
        return data.length < length ? 0 : length;
      }
      default:
        this.close(`unknown client message type ${data[0]}`);
        return data.length;
    }
  }

  /** One FramebufferUpdate: the requested area (clipped to the screen) as a Raw rectangle. */
  private sendUpdate(x: number, y: number, w: number, h: number) {
    const { screen } = this;
    const left = Math.min(x, screen.width);
    const top = Math.min(y, screen.height);
    const width = Math.min(w, screen.width - left);
    const height = Math.min(h, screen.height - top);
    const bytesPerPixel = this.format.bitsPerPixel / 8;
    const update = Buffer.alloc(16 + width * height * bytesPerPixel);
    update.writeUInt8(0, 0);
    update.writeUInt16BE(1, 2);
    update.writeUInt16BE(left, 4);
    update.writeUInt16BE(top, 6);
    update.writeUInt16BE(width, 8);
    update.writeUInt16BE(height, 10);
    update.writeInt32BE(ENCODING_RAW, 12);
    let offset = 16;
    for (let row = top; row < top + height; row++) {
      for (let col = left; col < left + width; col++) {
        const at = (row * screen.width + col) * 3;
        const value = this.pixelValue(
          screen.pixels[at],
          screen.pixels[at + 1],
          screen.pixels[at + 2],
        );
        writePixel(update, offset, value, bytesPerPixel, this.format.bigEndian);
        offset += bytesPerPixel;
      }
    }
    this.transport.send(update);
  }

  private pixelValue(r: number, g: number, b: number): number {
    const f = this.format;
    const scale = (value: number, max: number) =>
      Math.round((value * max) / 255);
    return (
      ((scale(r, f.redMax) << f.redShift) |
        (scale(g, f.greenMax) << f.greenShift) |
        (scale(b, f.blueMax) << f.blueShift)) >>>
      0
    );
  }

  private close(reason: string) {
    this.state = 'closed';
    this.transport.close(reason);
  }
}

function writePixelFormat(buffer: Buffer, at: number, f: PixelFormat) {
  buffer.writeUInt8(f.bitsPerPixel, at);
  buffer.writeUInt8(f.depth, at + 1);
  buffer.writeUInt8(f.bigEndian ? 1 : 0, at + 2);
  buffer.writeUInt8(f.trueColour ? 1 : 0, at + 3);
  buffer.writeUInt16BE(f.redMax, at + 4);
  buffer.writeUInt16BE(f.greenMax, at + 6);
  buffer.writeUInt16BE(f.blueMax, at + 8);
  buffer.writeUInt8(f.redShift, at + 10);
  buffer.writeUInt8(f.greenShift, at + 11);
  buffer.writeUInt8(f.blueShift, at + 12);
}

/** The client's PIXEL_FORMAT; what this server cannot produce falls back to QEMU's own. */
function readPixelFormat(buffer: Buffer, at: number): PixelFormat {
  const format: PixelFormat = {
    bitsPerPixel: buffer.readUInt8(at),
    depth: buffer.readUInt8(at + 1),
    bigEndian: buffer.readUInt8(at + 2) !== 0,
    trueColour: buffer.readUInt8(at + 3) !== 0,
    redMax: buffer.readUInt16BE(at + 4),
    greenMax: buffer.readUInt16BE(at + 6),
    blueMax: buffer.readUInt16BE(at + 8),
    redShift: buffer.readUInt8(at + 10),
    greenShift: buffer.readUInt8(at + 11),
    blueShift: buffer.readUInt8(at + 12),
  };
  return format.trueColour && [8, 16, 32].includes(format.bitsPerPixel)
    ? format
    : QEMU_PIXEL_FORMAT;
}

function writePixel(
  buffer: Buffer,
  at: number,
  value: number,
  bytes: number,
  bigEndian: boolean,
) {
  if (bytes === 1) buffer.writeUInt8(value & 0xff, at);
  else if (bytes === 2) {
    if (bigEndian) buffer.writeUInt16BE(value & 0xffff, at);
    else buffer.writeUInt16LE(value & 0xffff, at);
  } else if (bigEndian) buffer.writeUInt32BE(value, at);
  else buffer.writeUInt32LE(value, at);
}
