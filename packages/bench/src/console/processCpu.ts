import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { readProcessStats } from '../lib/proc';

/**
 * The process whose command line holds every one of `parts` (e.g. the simulator's
 * `simulate` and its control plane's folder), or undefined.
 */
export function findProcess(parts: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const args = cmdline.split('\0');
    if (parts.every(part => args.some(arg => arg.includes(part)))) {
      return Number(entry);
    }
  }
  return undefined;
}

/** CPU seconds so far of each named process (0 when it is gone or was not found). */
export type CpuReading = Record<string, number>;

/** Reads the CPU seconds of named processes, this one included as `client`. */
export class CpuMeter {
  constructor(private readonly pids: Record<string, number | undefined>) {}

  read(): CpuReading {
    const reading: CpuReading = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      reading[name] = (pid && readProcessStats(pid)?.cpuSeconds) || 0;
    }
    const own = process.cpuUsage();
    reading.client = (own.user + own.system) / 1e6;
    return reading;
  }
}

/** CPU seconds and wall seconds of a phase, summed over its segments. */
export class CpuTally {
  private wallSeconds = 0;
  private readonly used: CpuReading = {};

  constructor(private readonly meter: CpuMeter) {}

  /** Runs `segment`, adding its wall time and every process's CPU time to the tally. */
  async measure<T>(segment: () => Promise<T>): Promise<T> {
    const from = this.meter.read();
    const startedAt = performance.now();
    try {
      return await segment();
    } finally {
      this.wallSeconds += (performance.now() - startedAt) / 1000;
      const to = this.meter.read();
      for (const name of Object.keys(to)) {
        this.used[name] = (this.used[name] ?? 0) + to[name] - (from[name] ?? 0);
      }
    }
  }

  get seconds(): number {
    return this.wallSeconds;
  }

  /** CPU seconds of each process. */
  cpuSeconds(name: string): number {
    return this.used[name] ?? 0;
  }

  /** CPU seconds per wall second of each process (1 = one core busy). */
  perSecond(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.used).map(([name, used]) => [
        name,
        Math.round((used / Math.max(this.wallSeconds, 1e-9)) * 100) / 100,
      ]),
    );
  }
}
