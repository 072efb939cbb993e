import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { createWriteStream, mkdirSync, WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/** Options for one process of the group. */
export interface GroupProcessOptions extends SpawnOptions {
  /** Short name printed before its lines. */
  name: string;
  /** Where its output goes; printed to the terminal when not given. */
  logFile?: string;
}

/**
 * The processes one command starts: each gets a name, its output goes to a log file or
 * the terminal, and `stop()` (also on Ctrl-C) ends every one of them and their children.
 */
export class ProcessGroup {
  private readonly children: Array<{ name: string; child: ChildProcess }> = [];
  private readonly stopHooks: Array<() => Promise<void>> = [];
  private stopping = false;

  constructor() {
    // Ctrl-C reaches this process twice (from the terminal and relayed by tsx): a
    // signal while stopping must not end the process before the control plane is down.
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.stopping) return;
      process.stdout.write(
        `\n${signal}: stopping everything that was started\n`,
      );
      void this.stop().then(() =>
        process.exit(signal === 'SIGINT' ? 130 : 143),
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  start(
    command: string,
    args: string[],
    options: GroupProcessOptions,
  ): ChildProcess {
    const { name, logFile, ...spawnOptions } = options;
    const child = spawn(command, args, {
      ...spawnOptions,
      // Its own process group, so that stop() also ends what it spawned.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log: WriteStream | undefined;
    if (logFile) {
      mkdirSync(dirname(logFile), { recursive: true });
      log = createWriteStream(logFile, { flags: 'a' });
    }
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        if (log) log.write(chunk);
        else process.stdout.write(prefixLines(name, chunk.toString()));
      });
    }
    child.on('exit', (code, signal) => {
      log?.end();
      if (!this.stopping) {
        process.stderr.write(
          `[${name}] exited (${signal ?? `code ${code}`})${
            logFile ? `; see ${logFile}` : ''
          }\n`,
        );
      }
    });
    this.children.push({ name, child });
    return child;
  }

  /** Runs `hook` on stop, after the processes have ended (last added, first run). */
  onStop(hook: () => Promise<void>): void {
    this.stopHooks.unshift(hook);
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await Promise.all(this.children.map(({ child }) => terminate(child)));
    for (const hook of this.stopHooks) {
      await hook().catch(error =>
        process.stderr.write(
          `stopping: ${error instanceof Error ? error.message : error}\n`,
        ),
      );
    }
  }
}

function prefixLines(name: string, text: string): string {
  return text
    .split('\n')
    .filter(line => line.length > 0)
    .map(line => `[${name}] ${line}\n`)
    .join('');
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid)
    return;
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  signalGroup('SIGTERM');
  const timer = setTimeout(() => signalGroup('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
