import { ChildProcess, fork } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import type { ClusterInfo } from '@vmportal/kube-testenv';
import { repoRoot } from '../lib/environment';
import { ProcessStats, readProcessStats } from '../lib/proc';
import type {
  ConsoleBackendReply,
  ConsoleBackendRequest,
} from './consoleBackendProtocol';

/**
 * The console benchmark's backend (catalog, KubeVirt provider, kubevirt backend with
 * the clusters' actor credential) in a child process (consoleBackendProcess.ts):
 * started with {@link ConsoleBackend.start}, measured from /proc, stopped with
 * {@link ConsoleBackend.stop} (killed if it does not stop).
 */
export class ConsoleBackend {
  /** Forks the process and starts its backend; rejects with the backend's error. */
  static async start(
    clusters: ClusterInfo[],
    logFile: string,
    timeoutMs = 300_000,
  ): Promise<ConsoleBackend> {
    mkdirSync(dirname(logFile), { recursive: true });
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = fork(
      resolvePackagePath(
        '@vmportal/bench',
        'src/console/consoleBackendProcess.ts',
      ),
      [],
      {
        cwd: repoRoot(),
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: { ...process.env, FORCE_COLOR: '0' },
      },
    );
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const exited = new Promise<void>(resolve =>
      child.once('exit', () => resolve()),
    );
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`the backend did not start in ${timeoutMs / 1000} s`),
            ),
          timeoutMs,
        );
        child.once('exit', code => {
          clearTimeout(timer);
          reject(new Error(`the backend exited (${code}); see ${logFile}`));
        });
        child.on('message', (message: ConsoleBackendReply) => {
          if (message.type === 'started') {
            clearTimeout(timer);
            resolve(message.port);
          } else if (message.type === 'failed') {
            clearTimeout(timer);
            reject(new Error(`the backend failed: ${message.error}`));
          }
        });
        send(child, { type: 'start', clusters });
      });
      return new ConsoleBackend(child, port, exited);
    } catch (error) {
      child.kill('SIGKILL');
      await exited;
      throw error;
    }
  }

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly exited: Promise<void>,
  ) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  get baseUrl(): string {
    return `http://localhost:${this.port}`;
  }

  /** RSS, peak RSS and CPU seconds of the backend process now. */
  stats(): ProcessStats | undefined {
    return this.child.pid ? readProcessStats(this.child.pid) : undefined;
  }

  /** Stops the backend and waits for the process to end (kills it after 30 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    send(this.child, { type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}

function send(child: ChildProcess, message: ConsoleBackendRequest) {
  if (child.connected) child.send(message);
}
