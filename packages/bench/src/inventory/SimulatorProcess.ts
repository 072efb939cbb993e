import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';

/**
 * The KubeVirt simulator of a control plane, run for a while and stopped again
 * (`kube-testenv simulate --dir <plane dir>`, the same simulator `startControlPlane`
 * starts). The inventory run lets it run the VMs on the measured pages, then stops it
 * before the bulk of the VMs is created: it writes every VM it sees two or three times
 * (finalizer, firmware UUID, status) and re-examines all of them every 30 s, which at
 * 100k VMs would load the machine the measurement runs on.
 */
export class SimulatorProcess {
  /** Starts the simulator on every cluster of the control plane in `planeDir`. */
  static start(planeDir: string, logFile: string): SimulatorProcess {
    mkdirSync(dirname(logFile), { recursive: true });
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(
      process.execPath,
      [
        resolvePackagePath('@vmportal/kube-testenv', 'bin/kube-testenv.js'),
        'simulate',
        '--dir',
        planeDir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return new SimulatorProcess(child);
  }

  private readonly exited: Promise<void>;
  private exitCode: number | null | undefined;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise(resolve =>
      child.once('exit', code => {
        this.exitCode = code;
        resolve();
      }),
    );
  }

  /** Throws when the simulator has exited (its log says why). */
  assertRunning(logFile: string): void {
    if (this.exitCode !== undefined) {
      // waitUntil gives up at once on "exited; see its log".
      throw new Error(
        `the KubeVirt simulator exited; see its log ${logFile} (exit code ${this.exitCode})`,
      );
    }
  }

  /** SIGTERM (the simulator ends its watches and servers), SIGKILL after 30 s. */
  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}
