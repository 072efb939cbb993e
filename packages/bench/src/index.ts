/**
 * Benchmarks of the VM Portal against real Kubernetes apiservers and a real Backstage
 * catalog, run with `npm run bench -- <catalog|plan|page|console|inventory|first-vm> [flags]`.
 *
 * @packageDocumentation
 */

export { benchUsage, runBench } from './cli';
export type { BenchContext } from './cli';
export type {
  DemoPortal,
  DemoPortalLauncher,
} from './firstVm/firstVmBenchmark';
export { BenchUsageError, parseFlags } from './lib/args';
export type { FlagSpec, ParsedFlags } from './lib/args';
export type { BenchResult } from './lib/results';
