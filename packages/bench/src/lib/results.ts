import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from './environment';
import type { BenchVersions, MachineInfo } from './environment';

/** What every benchmark run writes: one JSON object. */
export interface BenchResult {
  benchmark: 'catalog' | 'plan' | 'page' | 'first-vm' | 'inventory' | 'console';
  /** e.g. `catalog-sqlite-1000vms-2c`; the file is `<name>-<date>.json`. */
  name: string;
  /** ISO time the run started. */
  date: string;
  /** How to run it again. */
  command: string;
  ok: boolean;
  /** Why it is not ok (figures missing or a phase failed). */
  problems: string[];
  parameters: Record<string, number | string | boolean>;
  versions: BenchVersions;
  machine: MachineInfo;
  durationSeconds: number;
  figures: Record<string, unknown>;
}

/** Flags every benchmark takes: where results and scratch data go. */
export const outputFlags = {
  'results-dir': {
    type: 'string',
    default: '',
    help: 'folder of the result file (default: bench/results)',
  },
  'state-dir': {
    type: 'string',
    default: '',
    help: 'folder for control-plane data and logs (default: bench/tmp)',
  },
} as const;

/** The folder results go to: `--results-dir`, else `bench/results`. */
export function resultsDir(given = ''): string {
  return given ? resolve(given) : join(repoRoot(), 'bench', 'results');
}

/** Scratch space of a run (control-plane data, logs): `<state-dir>/<name>`. */
export function scratchDir(name: string, stateDir = ''): string {
  return join(
    stateDir ? resolve(stateDir) : join(repoRoot(), 'bench', 'tmp'),
    name,
  );
}

/**
 * Writes `result` to `<results dir>/<name>-<date>.json` and prints it as the last line
 * of standard output. Returns the file's path.
 */
export function writeResult(result: BenchResult, resultsDirFlag = ''): string {
  const dir = resultsDir(resultsDirFlag);
  mkdirSync(dir, { recursive: true });
  const stamp = result.date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const file = join(dir, `${result.name}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`result written to ${file}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return file;
}

/** Progress lines on standard error, with seconds since `startedAt`. */
export function progressLogger(
  prefix: string,
  startedAt = Date.now(),
): (line: string) => void {
  return line =>
    process.stderr.write(
      `[bench ${prefix} ${((Date.now() - startedAt) / 1000)
        .toFixed(1)
        .padStart(6)}s] ${line}\n`,
    );
}
