import { ChildProcess, fork } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import type { KubevirtEntityProviderSyncEvent } from '@vmportal/plugin-catalog-backend-module-kubevirt/alpha';
import { repoRoot } from '../lib/environment';
import { ProcessStats, readProcessStats } from '../lib/proc';
import type {
  CatalogState,
  ParentMessage,
  WorkerMessage,
  WorkerStartOptions,
} from './workerProtocol';

type Reply = Extract<WorkerMessage, { type: 'reply' }>;

/** A delta or full mutation the provider reported. */
export interface MutationRecord {
  mutationType: 'full' | 'delta';
  addedCount: number;
  refs: string[];
  durationMs: number;
  appliedAt: number;
}

/** A change the provider saw on a watch or list. */
export interface ChangeRecord {
  cluster: string;
  refs: string[];
  observedAt: number;
}

/** A log line the worker forwarded (warnings, errors, list and watch lines). */
export interface ForwardedLog {
  level: string;
  message: string;
  meta: Record<string, unknown>;
  at: number;
}

/**
 * A catalog backend running in a child process (see catalogWorker.ts): started with
 * {@link BackendWorker.start}, counted with {@link BackendWorker.countFinal}, measured
 * from /proc, stopped with {@link BackendWorker.stop} (killed if it does not stop).
 */
export class BackendWorker {
  /** Forks the worker and starts its backend; rejects with the worker's error. */
  static async start(
    options: WorkerStartOptions,
    logFile: string,
    timeoutMs = 300_000,
  ): Promise<BackendWorker> {
    mkdirSync(dirname(logFile), { recursive: true });
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = fork(
      resolvePackagePath('@vmportal/bench', 'src/catalog/catalogWorker.ts'),
      [],
      {
        cwd: repoRoot(),
        execArgv: ['--import', 'tsx', '--max-old-space-size=8192'],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: { ...process.env, FORCE_COLOR: '0' },
      },
    );
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const worker = new BackendWorker(child, options);
    try {
      await worker.started(timeoutMs);
    } catch (error) {
      await worker.kill();
      throw error;
    }
    return worker;
  }

  readonly syncs: Array<{
    event: KubevirtEntityProviderSyncEvent;
    at: number;
  }> = [];
  readonly mutations: MutationRecord[] = [];
  readonly changes: ChangeRecord[] = [];
  readonly logs: ForwardedLog[] = [];
  staticApplied: { durationMs: number; appliedAt: number } | undefined;
  port = 0;
  startCalledAt = 0;
  startedAt = 0;
  /** The last /proc reading, kept for after the process is gone. */
  lastStats: ProcessStats | undefined;

  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (error: Error) => void }
  >();
  private startWaiter:
    | { resolve: () => void; reject: (error: Error) => void }
    | undefined;
  private readonly exited: Promise<void>;
  private readonly sampler: NodeJS.Timeout;

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: WorkerStartOptions,
  ) {
    child.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.exited = new Promise(resolve =>
      child.once('exit', code => {
        const error = new Error(`the ${options.mode} backend exited (${code})`);
        this.startWaiter?.reject(error);
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
        clearInterval(this.sampler);
        resolve();
      }),
    );
    // VmHWM keeps the peak; sampling keeps the last figures for after exit.
    this.sampler = setInterval(() => this.stats(), 1000);
    this.sampler.unref();
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get baseUrl(): string {
    return `http://localhost:${this.port}`;
  }

  /** RSS, peak RSS and CPU seconds of the backend process now. */
  stats(): ProcessStats | undefined {
    const stats = this.pid ? readProcessStats(this.pid) : undefined;
    if (stats) this.lastStats = stats;
    return stats ?? this.lastStats;
  }

  /** Components the catalog API can return now (a count in the catalog's database). */
  async countFinal(): Promise<number> {
    const reply = await this.request(id => ({ type: 'count', id }));
    return reply.value ?? 0;
  }

  /** The final Components (name, owner, run strategy) and the catalog's queues now. */
  async catalogState(): Promise<CatalogState> {
    const reply = await this.request(id => ({ type: 'state', id }));
    if (!reply.state) throw new Error('the worker sent no catalog state');
    return reply.state;
  }

  /** The Components exactly as the provider emitted them (the catalog's unprocessed entities). */
  async unprocessedComponents(): Promise<Entity[]> {
    const reply = await this.request(id => ({ type: 'unprocessed', id }));
    return reply.entities ?? [];
  }

  /** static mode: applies one delta mutation; resolves with how long the catalog took. */
  async applyDelta(added: Entity[], removed: string[]): Promise<number> {
    const reply = await this.request(id => ({
      type: 'delta',
      id,
      added,
      removed,
    }));
    return reply.value ?? 0;
  }

  /** Stops the backend and waits for the process to end (kills it after 60 s). */
  async stop(): Promise<ProcessStats | undefined> {
    const stats = this.stats();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.request(id => ({ type: 'stop', id })).catch(() => undefined);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
      await this.exited;
      clearTimeout(timer);
    }
    return stats;
  }

  /** Ends the process now. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  private started(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `the ${this.options.mode} backend did not start in ${
                timeoutMs / 1000
              } s`,
            ),
          ),
        timeoutMs,
      );
      this.startWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: error => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.send({ type: 'start', options: this.options });
    });
  }

  private request(message: (id: number) => ParentMessage): Promise<Reply> {
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send(message(id));
    });
  }

  private send(message: ParentMessage) {
    if (this.child.connected) this.child.send(message);
  }

  private onMessage(message: WorkerMessage) {
    switch (message.type) {
      case 'started':
        this.port = message.port;
        this.startCalledAt = message.startCalledAt;
        this.startedAt = message.startedAt;
        this.startWaiter?.resolve();
        break;
      case 'failed':
        this.startWaiter?.reject(
          new Error(
            `the ${this.options.mode} backend failed: ${message.error}`,
          ),
        );
        break;
      case 'reply': {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message);
        break;
      }
      case 'sync':
        this.syncs.push({ event: message.event, at: message.at });
        break;
      case 'mutation':
        this.mutations.push(message);
        break;
      case 'change':
        this.changes.push(message);
        break;
      case 'staticApplied':
        this.staticApplied = message;
        break;
      case 'log':
        this.logs.push(message);
        break;
      default:
    }
  }
}
