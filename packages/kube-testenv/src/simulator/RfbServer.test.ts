import { Framebuffer } from './Framebuffer';
import { RfbServer } from './RfbServer';

function session(width = 8, height = 4) {
  const screen = new Framebuffer(width, height, [10, 20, 30]);
  screen.fill(0, 0, 1, 1, [200, 100, 50]);
  const sent: Buffer[] = [];
  const closed: string[] = [];
  const rfb = new RfbServer(screen, 'QEMU (team_web)', {
    send: bytes => sent.push(bytes),
    close: reason => closed.push(reason),
  });
  rfb.start();
  return {
    rfb,
    closed,
    /** Everything sent since the last call. */
    take: () => Buffer.concat(sent.splice(0)),
  };
}

const updateRequest = (incremental: number, width: number, height: number) => {
  const request = Buffer.alloc(10);
  request.writeUInt8(3, 0);
  request.writeUInt8(incremental, 1);
  request.writeUInt16BE(width, 6);
  request.writeUInt16BE(height, 8);
  return request;
};

describe('RfbServer', () => {
  it('negotiates 3.8 with security None, sends ServerInit, and answers an update request with Raw pixels in QEMU format', () => {
    const { rfb, take } = session();
    expect(take().toString('latin1')).toBe('RFB 003.008\n');
    rfb.receive(Buffer.from('RFB 003.008\n'));
    expect([...take()]).toEqual([1, 1]);
    rfb.receive(Buffer.from([1]));
    expect([...take()]).toEqual([0, 0, 0, 0]);
    rfb.receive(Buffer.from([1]));
    const init = take();
    expect(init.readUInt16BE(0)).toBe(8);
    expect(init.readUInt16BE(2)).toBe(4);
    expect([...init.subarray(4, 17)]).toEqual([
      32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0,
    ]);
    expect(init.subarray(24).toString()).toBe('QEMU (team_web)');

    // Byte by byte, as a stream may cut it.
    for (const byte of updateRequest(0, 8, 4)) rfb.receive(Buffer.from([byte]));
    const update = take();
    expect(update.length).toBe(16 + 8 * 4 * 4);
    expect([...update.subarray(16, 24)]).toEqual([
      50, 100, 200, 0, 30, 20, 10, 0,
    ]);
  });

  it("converts to the client's pixel format, and leaves an incremental request of an unchanged screen unanswered", () => {
    const { rfb, take } = session();
    rfb.receive(Buffer.from('RFB 003.008\n'));
    rfb.receive(Buffer.from([1, 1]));
    take();
    const format = Buffer.alloc(20);
    // 16 bpp big-endian RGB565.
    Buffer.from([16, 16, 1, 1, 0, 31, 0, 63, 0, 31, 11, 5, 0]).copy(format, 4);
    rfb.receive(format);
    rfb.receive(updateRequest(1, 8, 4));
    expect(take().length).toBe(0);
    rfb.receive(updateRequest(0, 1, 1));
    const update = take();
    expect(update.length).toBe(16 + 2);
    const r = Math.round((200 * 31) / 255);
    const g = Math.round((100 * 63) / 255);
    const b = Math.round((50 * 31) / 255);
    expect(update.readUInt16BE(16)).toBe((r << 11) | (g << 5) | b);
  });

  it('speaks 3.3 to an old client, and hangs up on an unknown message', () => {
    const { rfb, take, closed } = session();
    take();
    rfb.receive(Buffer.from('RFB 003.003\n'));
    expect(take().readUInt32BE(0)).toBe(1);
    rfb.receive(Buffer.from([0]));
    take();
    rfb.receive(Buffer.from([99]));
    expect(closed).toEqual(['unknown client message type 99']);
  });
});
