import { performance } from 'node:perf_hooks';
import type { RawData } from 'ws';
import type { ConsoleSession } from './openConsole';

const SECURITY_NONE = 1;

/** The screen the RFB server announced. */
export interface RfbScreen {
  width: number;
  height: number;
  bitsPerPixel: number;
}

/** What one streaming window received. */
export interface FramebufferStream {
  bytes: number;
  /** Whole FramebufferUpdates among them. */
  frames: number;
  durationMs: number;
}

/**
 * The client side of an RFB 3.8 handshake (RFC 6143 §7.1-7.3): version, security type
 * None (KubeVirt's VNC has none), ClientInit shared, ServerInit.
 */
export async function rfbHandshake(
  session: ConsoleSession,
  timeoutMs: number,
): Promise<RfbScreen> {
  const { reader, socket } = session;
  const send = (bytes: Buffer) => socket.send(bytes, { binary: true });
  const version = (await reader.read(12, timeoutMs)).toString('latin1');
  if (!/^RFB 003\.\d{3}\n$/.test(version)) {
    throw new Error(`not an RFB server: ${JSON.stringify(version)}`);
  }
  send(Buffer.from('RFB 003.008\n', 'latin1'));
  const count = (await reader.read(1, timeoutMs))[0];
  const types = [...(await reader.read(count, timeoutMs))];
  if (!types.includes(SECURITY_NONE)) {
    throw new Error(`the server offers security types ${types.join(', ')}`);
  }
  send(Buffer.from([SECURITY_NONE]));
  const outcome = (await reader.read(4, timeoutMs)).readUInt32BE(0);
  if (outcome !== 0) throw new Error(`security handshake failed (${outcome})`);
  send(Buffer.from([1])); // ClientInit: shared
  const init = await reader.read(24, timeoutMs);
  await reader.read(init.readUInt32BE(20), timeoutMs); // the desktop's name
  return {
    width: init.readUInt16BE(0),
    height: init.readUInt16BE(2),
    bitsPerPixel: init.readUInt8(4),
  };
}

/**
 * Asks for the whole screen (FramebufferUpdateRequest, not incremental) over and over
 * for `seconds`, `window` requests outstanding at a time, and counts the bytes that
 * come back. A non-incremental request is answered with the full Raw rectangle
 * (16 + width × height × bytes per pixel), so this is the fastest the path can carry
 * a changing screen. Ends with the first message after `seconds`; the caller closes
 * the session.
 */
export function streamFramebuffer(
  session: ConsoleSession,
  screen: RfbScreen,
  options: { seconds: number; window: number },
): Promise<FramebufferStream> {
  const { socket, reader } = session;
  if (reader.release() !== 0) {
    throw new Error('the RFB server sent bytes nobody asked for');
  }
  const frameBytes =
    16 + screen.width * screen.height * (screen.bitsPerPixel / 8);
  const request = Buffer.alloc(10);
  request.writeUInt8(3, 0); // FramebufferUpdateRequest
  request.writeUInt8(0, 1); // incremental: no
  request.writeUInt16BE(screen.width, 6);
  request.writeUInt16BE(screen.height, 8);
  let received = 0;
  let requested = 0;
  const top = () => {
    while (requested - Math.floor(received / frameBytes) < options.window) {
      socket.send(request, { binary: true });
      requested += 1;
    }
  };
  return new Promise<FramebufferStream>(resolve => {
    const startedAt = performance.now();
    const endAt = startedAt + options.seconds * 1000;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      resolve({
        bytes: received,
        frames: Math.floor(received / frameBytes),
        durationMs: performance.now() - startedAt,
      });
    };
    socket.on('message', (data: RawData) => {
      if (finished) return;
      // binaryType 'nodebuffer': one Buffer per message.
      received += (data as Buffer).length;
      if (performance.now() >= endAt) finish();
      else top();
    });
    // A stream that stalls, or a session that ends, ends the window early (the
    // figures then show it); finishing twice does nothing.
    setTimeout(finish, options.seconds * 1000 + 5_000).unref();
    socket.once('close', finish);
    top();
  });
}
