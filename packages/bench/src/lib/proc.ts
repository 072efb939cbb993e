import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** Memory and CPU of one process, read from /proc. */
export interface ProcessStats {
  rssBytes: number;
  /** VmHWM: the highest RSS the process has had. */
  peakRssBytes: number;
  /** User + system CPU time of the process itself. */
  cpuSeconds: number;
}

function readStat(
  pid: number,
): { ppid: number; ticks: number; childTicks: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime fields 14-17.
  const num = (field: number) => Number(fields[field - 3]);
  return {
    ppid: num(4),
    ticks: num(14) + num(15),
    childTicks: num(16) + num(17),
  };
}

/** RSS, peak RSS and CPU time of `pid`, or undefined when it is gone. */
export function readProcessStats(pid: number): ProcessStats | undefined {
  const stat = readStat(pid);
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  if (!stat) return undefined;
  const kib = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  };
  return {
    rssBytes: kib('VmRSS'),
    peakRssBytes: kib('VmHWM'),
    cpuSeconds: stat.ticks / TICKS_PER_SECOND,
  };
}

/**
 * CPU seconds used so far by `rootPid` and every process below it, including the
 * children that already exited and were reaped (their time is in the parent's
 * cutime/cstime). PostgreSQL's per-connection backends are such children.
 */
export function processTreeCpuSeconds(rootPid: number): number {
  const children = new Map<number, number[]>();
  const stats = new Map<number, { ticks: number; childTicks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readStat(pid);
    if (!stat) continue;
    stats.set(pid, stat);
    const siblings = children.get(stat.ppid) ?? [];
    siblings.push(pid);
    children.set(stat.ppid, siblings);
  }
  let ticks = 0;
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    const stat = stats.get(pid);
    if (!stat) continue;
    ticks += stat.ticks + stat.childTicks;
    queue.push(...(children.get(pid) ?? []));
  }
  return ticks / TICKS_PER_SECOND;
}

/** The PostgreSQL postmaster listening on `port` (started as `postgres ... -p <port>`). */
export function findPostmasterPid(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!argv[0]?.endsWith('/postgres') && argv[0] !== 'postgres') continue;
    const p = argv.indexOf('-p');
    if (p !== -1 && argv[p + 1] === String(port)) return Number(entry);
  }
  return undefined;
}

/**
 * CPU seconds used so far by the processes whose command line mentions `text` (a
 * run's control-plane folder names its apiservers, etcds and controller managers).
 */
export function cpuSecondsOfProcessesMentioning(text: string): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(text)) continue;
    ticks += readStat(Number(entry))?.ticks ?? 0;
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds the whole machine has been busy (all cores, every process) since boot. */
export function machineBusySeconds(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/);
  // user nice system idle iowait irq softirq steal: all but idle and iowait.
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (
    (user + nice + system + irq + softirq + (steal || 0)) / TICKS_PER_SECOND
  );
}

/** Megabytes (MiB), rounded. */
export function mib(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}
