import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

/** A process started to outlive the command that started it. */
export interface Daemon {
  name: string;
  pid: number;
  command: string;
  args: string[];
  logFile: string;
}

/**
 * Starts `command` detached, in its own process group, with stdout and stderr appended
 * to `logFile`, so that it keeps running after `kube-testenv up` returns.
 */
export function startDaemon(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Daemon {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env,
    });
    if (!child.pid) throw new Error(`could not start ${name} (${command})`);
    child.unref();
    return { name, pid: child.pid, command, args, logFile };
  } finally {
    closeSync(fd);
  }
}

/** Whether `daemon` is still the process we started (pids get reused). */
export function isRunning(daemon: Daemon): boolean {
  const cmdline = `/proc/${daemon.pid}/cmdline`;
  if (!existsSync(cmdline)) return false;
  try {
    return readFileSync(cmdline, 'utf8').split('\0')[0] === daemon.command;
  } catch {
    return false;
  }
}

/** Stops every daemon (SIGTERM, then SIGKILL after `graceMs`) and resolves when all are gone. */
export async function stopDaemons(
  daemons: Daemon[],
  graceMs = 10_000,
): Promise<void> {
  const running = daemons.filter(isRunning);
  for (const daemon of running) signal(daemon, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (running.some(isRunning)) {
    if (Date.now() > deadline) {
      for (const daemon of running.filter(isRunning)) signal(daemon, 'SIGKILL');
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

function signal(daemon: Daemon, sig: NodeJS.Signals) {
  try {
    process.kill(-daemon.pid, sig);
  } catch {
    try {
      process.kill(daemon.pid, sig);
    } catch {
      // gone already
    }
  }
}

/**
 * Ports this process has handed out or claimed, and for whom (a cluster's folder, when
 * given), so that it never hands one out twice.
 */
const handedOut = new Map<number, string | undefined>();

/**
 * A TCP port on 127.0.0.1 that is free right now and that this process has not handed
 * out before. The kernel may give the same ephemeral port to two listens in a row once
 * the first is closed (seen: a cluster's etcd peer port and apiserver port alike), and
 * the ports are only used later, so each one is remembered, for `owner` when given (who
 * may then claim it again with {@link claimPorts}).
 */
export async function freePort(owner?: string): Promise<number> {
  for (;;) {
    const port = await ephemeralPort();
    if (!handedOut.has(port)) {
      handedOut.set(port, owner);
      return port;
    }
  }
}

/**
 * Claims a last run's saved `ports` for `owner` (found free, to be listened on later),
 * so that {@link freePort} does not hand one of them to someone else meanwhile. False,
 * claiming none, when one of them went to someone else in this process; the same
 * owner may claim its ports again (a cluster started twice).
 */
export function claimPorts(ports: number[], owner: string): boolean {
  if (ports.some(port => handedOut.has(port) && handedOut.get(port) !== owner))
    return false;
  for (const port of ports) handedOut.set(port, owner);
  return true;
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
export async function isPortFree(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
