import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describeFlags, parseFlags } from '../lib/args';
import {
  benchVersions,
  currentLoad,
  machineInfo,
  repoRoot,
} from '../lib/environment';
import {
  BenchResult,
  outputFlags,
  progressLogger,
  scratchDir,
  writeResult,
} from '../lib/results';
import { seconds } from '../lib/stats';

/** The scaffolder module's own plan-latency script, which this command runs. */
export const PLAN_LATENCY_SCRIPT =
  'plugins/scaffolder-backend-module-kubevirt/bench/planLatency.ts';

const flags = {
  runs: {
    type: 'int',
    default: 200,
    min: 1,
    max: 100_000,
    help: 'plans to time',
  },
  clusters: {
    type: 'int',
    default: 3,
    min: 1,
    max: 10,
    help: 'local clusters',
  },
  namespaces: {
    type: 'int',
    default: 50,
    min: 1,
    max: 1000,
    help: 'namespaces (each with a ResourceQuota and LimitRange)',
  },
  'time-limit': {
    type: 'int',
    default: 30,
    min: 1,
    max: 24 * 60,
    help: 'minutes after which the run stops itself',
  },
  ...outputFlags,
  name: {
    type: 'string',
    default: '',
    help: 'result name (default plan-<clusters>c-<namespaces>ns)',
  },
} as const;

/** Usage of `npm run bench -- plan`. */
export const planUsage = `npm run bench -- plan [flags]

  Times the kubevirt:vm:plan scaffolder action (read the namespace's quotas and
  limit ranges, plan the VM against them) with ${PLAN_LATENCY_SCRIPT},
  which belongs to the scaffolder module, and reports its p50/p95 in this package's
  result format.

${describeFlags(flags)}`;

/** The first number under a key that mentions `pattern`, searched depth-first. */
function findNumber(value: unknown, pattern: RegExp): number | undefined {
  if (!value || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (pattern.test(key) && typeof inner === 'number') return inner;
  }
  for (const inner of Object.values(value)) {
    const found = findNumber(inner, pattern);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Runs the script; resolves with its last stdout line parsed, or a problem. */
function runScript(
  args: string[],
  timeoutMs: number,
  stateDir: string,
): Promise<{ output?: Record<string, unknown>; problem?: string }> {
  return new Promise(resolve => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot(), PLAN_LATENCY_SCRIPT), ...args],
      {
        cwd: repoRoot(),
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, VMPORTAL_BENCH_STATE_DIR: stateDir },
      },
    );
    let stdout = '';
    child.stdout.on('data', chunk => {
      stdout += String(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      let output: Record<string, unknown> | undefined;
      try {
        output = JSON.parse(last) as Record<string, unknown>;
      } catch {
        output = undefined;
      }
      if (code !== 0) {
        resolve({
          output,
          problem: `${PLAN_LATENCY_SCRIPT} exited with ${
            signal ?? `code ${code}`
          }`,
        });
      } else if (!output) {
        resolve({
          problem: `the last line of ${PLAN_LATENCY_SCRIPT}'s output is not JSON: ${last.slice(
            0,
            200,
          )}`,
        });
      } else resolve({ output });
    });
  });
}

/** Runs `npm run bench -- plan ...`; resolves with the process exit code. */
export async function runPlanBenchmark(argv: string[]): Promise<number> {
  const options = parseFlags(argv, flags, planUsage);
  const startedAt = Date.now();
  const log = progressLogger('plan', startedAt);
  const name =
    options.name || `plan-${options.clusters}c-${options.namespaces}ns`;
  const machine = machineInfo();
  const problems: string[] = [];
  const figures: Record<string, unknown> = {};

  const script = join(repoRoot(), PLAN_LATENCY_SCRIPT);
  if (!existsSync(script)) {
    problems.push(
      `${PLAN_LATENCY_SCRIPT} does not exist: the plan-latency script belongs to the scaffolder module and has not been written yet, so nothing was measured`,
    );
  } else {
    log(
      `running ${PLAN_LATENCY_SCRIPT}: ${options.runs} plans, ${options.clusters} clusters, ${options.namespaces} namespaces`,
    );
    const { output, problem } = await runScript(
      [
        '--runs',
        String(options.runs),
        '--clusters',
        String(options.clusters),
        '--namespaces',
        String(options.namespaces),
      ],
      options['time-limit'] * 60_000,
      scratchDir(name, options['state-dir']),
    );
    if (problem) problems.push(problem);
    if (output) {
      const p50 = findNumber(output, /p50/i);
      const p95 = findNumber(output, /p95/i);
      figures.p50Ms = p50;
      figures.p95Ms = p95;
      figures.planLatency = output;
      if (!(typeof p50 === 'number' && p50 > 0)) {
        problems.push(`no p50 > 0 in the script's result`);
      }
      if (!(typeof p95 === 'number' && p50 !== undefined && p95 >= p50)) {
        problems.push(`no p95 >= p50 in the script's result`);
      }
    }
  }

  const result: BenchResult = {
    benchmark: 'plan',
    name,
    date: new Date(startedAt).toISOString(),
    command: `npm run bench -- plan ${argv.join(' ')}`.trim(),
    ok: problems.length === 0,
    problems,
    parameters: {
      runs: options.runs,
      clusters: options.clusters,
      namespaces: options.namespaces,
    },
    versions: await benchVersions(),
    machine: { ...machine, loadAverageAtEnd: currentLoad() },
    durationSeconds: seconds(Date.now() - startedAt),
    figures,
  };
  writeResult(result, options['results-dir']);
  return result.ok ? 0 : 1;
}
