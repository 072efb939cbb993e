import { performance } from 'node:perf_hooks';
import type { ConsoleSession } from './openConsole';

const KEY = Buffer.from('x');
const DELETE = Buffer.from([0x7f]);
/** What the guest's tty echoes for DEL: back, blank, back. */
const ERASED = Buffer.from('\b \b');

async function expectEcho(
  session: ConsoleSession,
  expected: Buffer,
  timeoutMs: number,
) {
  const echo = await session.reader.read(expected.length, timeoutMs);
  if (!echo.equals(expected)) {
    throw new Error(
      `expected the echo ${JSON.stringify(
        expected.toString('latin1'),
      )}, got ${JSON.stringify(echo.toString('latin1'))}`,
    );
  }
}

/**
 * Keystroke round trips on an open serial console at the guest's login prompt: sends
 * one key and times until its echo is back, `warmup + count` times, keeping the last
 * `count` (ms). Each key is erased again (DEL, not timed) so that the line the
 * guest's tty holds stays empty.
 */
export async function keystrokeRoundTrips(
  session: ConsoleSession,
  options: { count: number; warmup: number; timeoutMs: number },
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < options.warmup + options.count; i++) {
    const sentAt = performance.now();
    session.socket.send(KEY, { binary: true });
    await expectEcho(session, KEY, options.timeoutMs);
    if (i >= options.warmup) samples.push(performance.now() - sentAt);
    session.socket.send(DELETE, { binary: true });
    await expectEcho(session, ERASED, options.timeoutMs);
  }
  return samples;
}
