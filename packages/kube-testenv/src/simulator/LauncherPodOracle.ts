import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type {
  V1PersistentVolumeClaim,
  V1Pod,
  V1ResourceQuota,
} from '@kubernetes/client-node';
import type { VirtualMachineInstanceObject } from '@vmportal/plugin-kubevirt-common';

/**
 * One request to the oracle (see go/kubevirt/cmd/oracle/main.go).
 *
 * @public
 */
export interface OracleRequest {
  vmi: VirtualMachineInstanceObject;
  /** KubeVirt CR `spec.configuration`. */
  kubevirt?: object;
  /** KubeVirt CR `metadata.annotations`. */
  kubevirtAnnotations?: Record<string, string>;
  /** The cluster's architecture (default amd64, whatever the host is). */
  architecture?: string;
  /** NetworkAttachmentDefinitions virt-controller may look up. */
  nads?: object[];
  /** ConfigMaps virt-controller may look up (hook sidecars' scripts). */
  configMaps?: object[];
  namespaceQuotas?: V1ResourceQuota[];
  namespaceLabels?: Record<string, string>;
  pvcs?: V1PersistentVolumeClaim[];
  /** A VirtualMachine(Cluster)Instancetype object, applied to the VMI first. */
  instancetype?: object;
  /** A VirtualMachine(Cluster)Preference object, applied to the VMI first. */
  preference?: object;
}

/**
 * The oracle's answer: KubeVirt's own rendering of the virt-launcher pod.
 *
 * @public
 */
export interface OracleAnswer {
  pod: V1Pod;
  compute: { requests: Record<string, string>; limits: Record<string, string> };
  memoryOverhead: string;
  /** The VMI after instancetype/preference and virt-api's defaults. */
  vmi: VirtualMachineInstanceObject;
  warnings?: string[];
}

/**
 * Why KubeVirt refuses a VMI: virt-api's validation causes, or the VM controller's
 * error for a default interface the cluster does not permit.
 *
 * @public
 */
export interface OracleRefusal {
  refusals: Array<{ message: string; field?: string }>;
}

interface Pending {
  resolve: (answer: OracleAnswer | OracleRefusal) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Talks to one long-lived `oracle serve` process: a Go program built from
 * KubeVirt's own packages that renders the launcher pod exactly as
 * virt-controller would. Requests are JSON lines matched to answers by id; the
 * process is restarted on the next request if it dies.
 *
 * @public
 */
export class LauncherPodOracle {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private stopped = false;
  private stderrTail = '';

  constructor(
    private readonly oraclePath: string,
    private readonly log: (line: string) => void,
    private readonly timeoutMs = 60_000,
  ) {}

  /** Starts the process now: KubeVirt's packages take seconds to initialise, better not on the first VM. */
  warmUp(): void {
    if (!this.stopped) this.process();
  }

  /**
   * Renders the launcher pod for `request.vmi`; rejects with the oracle's error, or
   * when KubeVirt would refuse the VMI (the error names virt-api's reasons).
   */
  async render(request: OracleRequest): Promise<OracleAnswer> {
    const answer = await this.renderOrRefuse(request);
    if ('pod' in answer) return answer;
    throw new Error(
      `KubeVirt refuses the VMI: ${answer.refusals
        .map(r => (r.field ? `${r.field}: ${r.message}` : r.message))
        .join('; ')}`,
    );
  }

  /** Renders the launcher pod for `request.vmi`, or says why KubeVirt refuses the VMI. */
  renderOrRefuse(
    request: OracleRequest,
  ): Promise<OracleAnswer | OracleRefusal> {
    if (this.stopped)
      return Promise.reject(new Error('the oracle has been stopped'));
    const child = this.process();
    const id = String(this.nextId++);
    return new Promise<OracleAnswer | OracleRefusal>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Error(`the oracle did not answer within ${this.timeoutMs} ms`),
        );
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      child.stdin.write(`${JSON.stringify({ id, ...request })}\n`);
    });
  }

  /** Ends the process (closing its stdin lets it exit by itself; SIGKILL after 5 s). */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    this.child = undefined;
    this.failAll(new Error('the oracle has been stopped'));
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
    const child = spawn(this.oraclePath, ['serve'], {
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
      this.failAll(
        new Error(`cannot run the oracle ${this.oraclePath}: ${error.message}`),
      );
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopped) return;
      const why = `the oracle exited (${signal ?? `code ${code}`})${
        this.stderrTail ? `: ${this.stderrTail.trim()}` : ''
      }`;
      this.log(why);
      this.failAll(new Error(why));
    });
    return child;
  }

  private answer(line: string) {
    let message: Partial<OracleAnswer> &
      Partial<OracleRefusal> & { id?: string; error?: string };
    try {
      message = JSON.parse(line);
    } catch {
      this.log(
        `oracle: ignoring a line that is not JSON: ${line.slice(0, 200)}`,
      );
      return;
    }
    const pending = message.id ? this.pending.get(message.id) : undefined;
    if (!pending) return;
    this.pending.delete(message.id!);
    clearTimeout(pending.timer);
    if (message.error) pending.reject(new Error(message.error));
    else if (message.refusals?.length)
      pending.resolve({ refusals: message.refusals });
    else if (!message.pod || !message.compute || !message.vmi) {
      pending.reject(
        new Error(
          'the oracle answered without a pod, compute resources or vmi',
        ),
      );
    } else pending.resolve(message as OracleAnswer);
  }

  private failAll(error: Error) {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
  }
}
