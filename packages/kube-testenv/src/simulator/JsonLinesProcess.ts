import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

interface Pending {
  resolve: (answer: Record<string, unknown>) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One long-lived process that answers JSON lines with JSON lines matched by `id`
 * (the protocol of kube-testenv's Go oracles in `serve` mode). The process starts on
 * the first request and again on the next request after it dies; an answer with an
 * `error` field rejects.
 */
export class JsonLinesProcess {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private stopped = false;
  private stderrTail = '';

  constructor(
    private readonly command: string,
    private readonly args: string[],
    private readonly log: (line: string) => void,
    private readonly timeoutMs = 60_000,
  ) {}

  /** Starts the process now rather than on the first request. */
  warmUp(): void {
    if (!this.stopped) this.process();
  }

  /** Sends `body` with a fresh id; resolves with the answer line (parsed). */
  request(body: object): Promise<Record<string, unknown>> {
    if (this.stopped)
      return Promise.reject(new Error(`${this.command} has been stopped`));
    const child = this.process();
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Error(
            `${this.command} did not answer within ${this.timeoutMs} ms`,
          ),
        );
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      child.stdin.write(`${JSON.stringify({ ...body, id })}\n`);
    });
  }

  /** Ends the process (closing its stdin lets it exit by itself; SIGKILL after 5 s). */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    this.child = undefined;
    this.failAll(new Error(`${this.command} has been stopped`));
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>(resolve => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.stdin.end();
    });
  }

  private process(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn(this.command, this.args, {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.stderrTail = '';
    createInterface({ input: child.stdout }).on('line', line =>
      this.answer(line),
    );
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    child.stdin.on('error', () => {
      // reported through 'exit'
    });
    child.on('error', error => {
      if (this.child === child) this.child = undefined;
      this.failAll(new Error(`cannot run ${this.command}: ${error.message}`));
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopped) return;
      const why = `${this.command} exited (${signal ?? `code ${code}`})${
        this.stderrTail ? `: ${this.stderrTail.trim()}` : ''
      }`;
      this.log(why);
      this.failAll(new Error(why));
    });
    return child;
  }

  private answer(line: string) {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line);
    } catch {
      this.log(
        `${this.command}: ignoring a line that is not JSON: ${line.slice(
          0,
          200,
        )}`,
      );
      return;
    }
    const id = typeof message.id === 'string' ? message.id : undefined;
    const pending = id ? this.pending.get(id) : undefined;
    if (!id || !pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (typeof message.error === 'string' && message.error)
      pending.reject(new Error(message.error));
    else pending.resolve(message);
  }

  private failAll(error: Error) {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
  }
}
