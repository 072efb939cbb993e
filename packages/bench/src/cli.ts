import { BenchUsageError } from './lib/args';
import { catalogUsage, runCatalogBenchmark } from './catalog/catalogBenchmark';
import { consoleUsage, runConsoleBenchmark } from './console/consoleBenchmark';
import {
  DemoPortalLauncher,
  firstVmUsage,
  runFirstVmBenchmark,
} from './firstVm/firstVmBenchmark';
import {
  inventoryUsage,
  runInventoryBenchmark,
} from './inventory/inventoryBenchmark';
import { pageUsage, runPageBenchmark } from './page/pageBenchmark';
import { planUsage, runPlanBenchmark } from './plan/planBenchmark';

const commands: Record<
  string,
  {
    run: (argv: string[], context: BenchContext) => Promise<number>;
    usage: string;
    summary: string;
  }
> = {
  catalog: {
    run: runCatalogBenchmark,
    usage: catalogUsage,
    summary:
      "time to ingest N VMs against the catalog's own floor, change latency, apiserver LIST/WATCH counts, peak RSS",
  },
  plan: {
    run: runPlanBenchmark,
    usage: planUsage,
    summary: 'latency of the kubevirt:vm:plan scaffolder action',
  },
  page: {
    run: runPageBenchmark,
    usage: pageUsage,
    summary:
      'the VM page API at a fixed request rate, against direct apiserver GETs',
  },
  console: {
    run: runConsoleBenchmark,
    usage: consoleUsage,
    summary:
      "the VM page's console relay against a direct WebSocket to the apiserver: keystroke latency added, VNC MB/s",
  },
  inventory: {
    run: runInventoryBenchmark,
    usage: inventoryUsage,
    summary:
      "the catalog's VM view at 10k-100k VMs: a filtered page (catalog query + live-state batch), p50/p95/p99",
  },
  'first-vm': {
    run: (argv, context) => runFirstVmBenchmark(argv, context.demoPortal),
    usage: firstVmUsage,
    summary:
      "a person's path from the request form to a Running VM page: the time of each stage",
  },
};

/**
 * What the caller of {@link runBench} provides to the benchmarks that need it.
 *
 * @public
 */
export interface BenchContext {
  /** Starts the README's demo portal (`first-vm`). */
  demoPortal?: DemoPortalLauncher;
}

/** `npm run bench` usage: the commands. */
export const benchUsage = `Usage: npm run bench -- <command> [flags]   (--help after a command lists its flags)

${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`)
  .join('\n')}

Every run prints one JSON object as its last line of standard output and writes it to
bench/results/<name>-<date>.json; progress goes to standard error.`;

/**
 * Runs one benchmark command (`catalog`, `plan`, `page`, `console`, `inventory`, `first-vm`) with its flags; resolves
 * with the exit code: 0 when the figures were produced and sane, 1 when not, 64 for a
 * command-line mistake (after printing what is wrong and the usage).
 */
export async function runBench(
  argv: string[],
  context: BenchContext = {},
): Promise<number> {
  const [command, ...rest] = argv;
  const entry = command ? commands[command] : undefined;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(`${benchUsage}\n`);
    return command ? 0 : 64;
  }
  if (!entry) {
    process.stderr.write(
      `bench: unknown command '${command}'\n\n${benchUsage}\n`,
    );
    return 64;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${entry.usage}\n`);
    return 0;
  }
  try {
    return await entry.run(rest, context);
  } catch (error) {
    if (error instanceof BenchUsageError) {
      process.stderr.write(
        `bench ${command}: ${error.message}\n\n${error.usage}\n`,
      );
      return 64;
    }
    process.stderr.write(
      `bench ${command} failed: ${
        error instanceof Error ? error.stack ?? error.message : String(error)
      }\n`,
    );
    return 1;
  }
}
