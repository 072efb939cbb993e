import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { mockCredentials } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import {
  ClusterInfo,
  kubeConfigFor,
  kubeRequest,
  waitUntil,
} from '@vmportal/kube-testenv';
import {
  countAllRequests,
  parseResourceRequestSeconds,
  parseResourceRequests,
} from '../lib/apiserverMetrics';
import {
  BenchUsageError,
  describeFlags,
  parseFlags,
  ParsedFlags,
} from '../lib/args';
import { RunCleanup } from '../lib/cleanup';
import { startBenchControlPlane } from '../lib/controlPlane';
import { benchVersions, currentLoad, machineInfo } from '../lib/environment';
import { openLoop } from '../lib/openLoop';
import { mib } from '../lib/proc';
import {
  BenchResult,
  outputFlags,
  progressLogger,
  scratchDir,
  writeResult,
} from '../lib/results';
import { seconds, summarize } from '../lib/stats';
import { BackendWorker } from '../catalog/BackendWorker';
import { oursView } from '../catalog/changes';
import { BenchPostgres, startBenchPostgres } from '../catalog/postgres';
import {
  BenchVm,
  benchNamespaces,
  createNamespaces,
  createVms,
  vmCollectionPath,
  VmLayout,
} from '../catalog/virtualMachines';
import {
  InventoryClient,
  InventoryFilter,
  loadPage,
  PageExpectation,
  PageLoadTimings,
  secondPageCursor,
} from './inventoryPageLoad';
import { inventoryVm, matching, MEASURED_OS, shownVms } from './inventoryVms';
import { SimulatorProcess } from './SimulatorProcess';

const flags = {
  vms: {
    type: 'string',
    default: '10000',
    help: 'VM entities to measure at, one count or a rising list (10000,100000): the VMs are created once and added to',
  },
  clusters: {
    type: 'int',
    default: 3,
    min: 1,
    max: 10,
    help: 'local clusters to spread them over (a filter names one cluster and one OS)',
  },
  namespaces: {
    type: 'int',
    default: 10,
    min: 1,
    max: 200,
    help: 'namespaces per cluster',
  },
  db: {
    type: 'choice',
    default: 'postgres',
    choices: ['postgres', 'sqlite'],
    help: "the catalog's database (PostgreSQL 18, or SQLite in memory)",
  },
  loads: {
    type: 'int',
    default: 200,
    min: 2,
    max: 100_000,
    help: 'measured page loads at each size, half first pages and half second pages',
  },
  warmup: {
    type: 'int',
    default: 20,
    min: 0,
    max: 10_000,
    help: 'page loads before measuring (not counted)',
  },
  'page-size': {
    type: 'int',
    default: 50,
    min: 1,
    max: 100,
    help: 'rows per page (the states batch takes at most 100)',
  },
  rate: {
    type: 'number',
    default: 0,
    min: 0,
    max: 1000,
    help: 'page loads started per second, whether or not earlier ones have answered (0: one after another)',
  },
  'processing-interval': {
    type: 'int',
    default: 0,
    min: 0,
    max: 24 * 3600,
    help: "seconds set as the catalog's processingInterval (0: the catalog's default, 100 to 150 s; the catalog module's README recommends 3600 at 100k)",
  },
  concurrency: {
    type: 'int',
    default: 16,
    min: 1,
    max: 128,
    help: 'VM creations in flight per cluster',
  },
  'request-timeout': {
    type: 'int',
    default: 60,
    min: 1,
    max: 600,
    help: 'seconds before one page load counts as failed',
  },
  'time-limit': {
    type: 'int',
    default: 0,
    min: 0,
    max: 24 * 60,
    help: 'minutes after which the run stops itself (0: 30 + 1 per 1,000 VMs)',
  },
  ...outputFlags,
  name: {
    type: 'string',
    default: '',
    help: 'result name (default inventory-<db>-<vms>vms-<clusters>c)',
  },
} as const;

/** Usage of `npm run bench -- inventory`. */
export const inventoryUsage = `npm run bench -- inventory [flags]

  The VM view of the catalog at scale. Creates VMs of several OSes and instancetypes
  on local clusters (the KubeVirt simulator runs the ones on the measured pages, then
  stops), starts a backend with the catalog, the KubeVirt provider and the kubevirt
  backend plugin, and loads pages of the view as a signed-in user: the catalog's
  by-query filtered server-side on the entity labels (cluster and OS, one VM in six),
  ordered by name, 50 rows; for a first page the count query beside it; for a second
  page the first page's cursor; then POST /api/kubevirt/v1/inventory/states for the
  rows. Reports p50/p95/p99 of the whole load and of each part, and the apiserver
  reads per load, at each size.

${describeFlags(flags)}`;

/** The counts of `--vms`: each 1 to 500,000, rising. */
function parseVmCounts(value: string): number[] {
  const counts = value.split(',').map(part => Number(part.trim()));
  const bad = counts.findIndex(
    (n, i) =>
      !Number.isInteger(n) ||
      n < 1 ||
      n > 500_000 ||
      (i > 0 && n <= counts[i - 1]),
  );
  if (value.trim() === '' || bad >= 0) {
    throw new BenchUsageError(
      `--vms must be a whole number from 1 to 500000, or a rising list of them such as 10000,100000; got '${value}'`,
      inventoryUsage,
    );
  }
  return counts;
}

/** Apiserver requests so far, summed over clusters. */
interface RequestCounts {
  /** Every non-watch request (the control plane's own included). */
  all: number;
  vmGets: number;
  vmiGets: number;
  /** Seconds the apiservers spent answering those GETs (VMs and VMIs). */
  getSeconds: number;
}

async function requestCounts(clusters: ClusterInfo[]): Promise<RequestCounts> {
  const counts = { all: 0, vmGets: 0, vmiGets: 0, getSeconds: 0 };
  for (const cluster of clusters) {
    counts.all += await countAllRequests(cluster);
    const text = await kubeRequest<string>(
      kubeConfigFor(cluster),
      'GET',
      '/metrics',
    );
    const get = (resource: string) =>
      parseResourceRequests(text, resource, 'kubevirt.io').byVerb.GET ?? 0;
    counts.vmGets += get('virtualmachines');
    counts.vmiGets += get('virtualmachineinstances');
    for (const resource of ['virtualmachines', 'virtualmachineinstances']) {
      counts.getSeconds += parseResourceRequestSeconds(
        text,
        resource,
        'kubevirt.io',
        'GET',
      ).seconds;
    }
  }
  return counts;
}

/** Waits until the simulator has started every shown VM that should run, and stopped the rest. */
async function waitForShownStates(
  shown: BenchVm[],
  clusters: ClusterInfo[],
  simulator: SimulatorProcess,
  simulatorLog: string,
  timeoutMs: number,
): Promise<void> {
  const wanted = new Map(
    shown.map(vm => [
      `${vm.cluster}/${vm.namespace}/${vm.name}`,
      vm.runStrategy === 'Halted' ? 'Stopped' : 'Running',
    ]),
  );
  const namespaces = [...new Set(shown.map(vm => vm.namespace))];
  await waitUntil(
    `the simulator runs the ${shown.length} VMs on the measured pages`,
    timeoutMs,
    async () => {
      simulator.assertRunning(simulatorLog);
      let ready = 0;
      for (const cluster of clusters) {
        for (const namespace of namespaces) {
          const list = await kubeRequest<{
            items: Array<{
              metadata: { name: string };
              status?: { printableStatus?: string };
            }>;
          }>(kubeConfigFor(cluster), 'GET', vmCollectionPath(namespace));
          for (const vm of list.items) {
            const want = wanted.get(
              `${cluster.name}/${namespace}/${vm.metadata.name}`,
            );
            if (want && vm.status?.printableStatus === want) ready += 1;
          }
        }
      }
      return ready === wanted.size ? true : undefined;
    },
    1000,
  );
}

/** What each of the page's rows must show, per filter and page. */
function expectations(
  vms: BenchVm[],
  filters: InventoryFilter[],
  pageSize: number,
): Map<string, PageExpectation> {
  const status = new Map(
    vms.map(vm => [
      oursView.entityName(vm),
      vm.runStrategy === 'Halted' ? 'Stopped' : 'Running',
    ]),
  );
  const result = new Map<string, PageExpectation>();
  for (const filter of filters) {
    const names = matching(vms, filter.cluster, filter.os)
      .map(vm => oursView.entityName(vm))
      .sort();
    for (const page of [1, 2]) {
      result.set(`${filter.cluster}|${page}`, {
        names: names.slice((page - 1) * pageSize, page * pageSize),
        status,
        total: names.length,
      });
    }
  }
  return result;
}

function timingFigures(timings: PageLoadTimings[]) {
  const pick = (list: PageLoadTimings[], key: keyof PageLoadTimings) =>
    summarize(
      list.map(t => t[key]).filter((v): v is number => typeof v === 'number'),
    );
  const first = timings.filter(t => t.page === 1);
  const second = timings.filter(t => t.page === 2);
  return {
    pageLoad: pick(timings, 'totalMs'),
    catalogQuery: pick(timings, 'catalogMs'),
    statesBatch: pick(timings, 'statesMs'),
    firstPage: {
      pageLoad: pick(first, 'totalMs'),
      catalogQuery: pick(first, 'catalogMs'),
      countQuery: pick(first, 'countMs'),
      statesBatch: pick(first, 'statesMs'),
      /** First pages whose count arrived after the rows' states: the count set their time. */
      countArrivedLast: first.filter(
        t => (t.countMs ?? 0) > t.catalogMs + t.statesMs,
      ).length,
    },
    secondPage: {
      pageLoad: pick(second, 'totalMs'),
      catalogQuery: pick(second, 'catalogMs'),
      statesBatch: pick(second, 'statesMs'),
    },
    runningRowsPerPage:
      timings.length > 0
        ? Math.round(
            (timings.reduce((sum, t) => sum + t.rowsWithAddresses, 0) /
              timings.length) *
              10,
          ) / 10
        : 0,
  };
}

interface SizeContext {
  clusters: ClusterInfo[];
  postgres: BenchPostgres | undefined;
  runId: string;
  dir: string;
  log: (line: string) => void;
  cleanup: RunCleanup;
  options: ParsedFlags<typeof flags>;
}

/** Starts a fresh catalog backend on all `vms`, measures page loads, stops it. */
async function measureSize(
  ctx: SizeContext,
  vms: BenchVm[],
  problems: string[],
): Promise<Record<string, unknown>> {
  const { options, log, clusters } = ctx;
  const N = vms.length;
  const phase = `n${N}`;
  const prefix = `bench_${ctx.runId}_${phase}_`;
  const database: JsonObject = ctx.postgres
    ? { client: 'pg', connection: ctx.postgres.connectionString, prefix }
    : { client: 'better-sqlite3', connection: ':memory:' };
  log(`${N} VMs: starting a backend (catalog, provider, kubevirt backend)`);
  const worker = await BackendWorker.start(
    {
      mode: 'page',
      database,
      clusters,
      processingIntervalSeconds: options['processing-interval'] || undefined,
    },
    join(ctx.dir, 'logs', `${phase}.log`),
  );
  ctx.cleanup.add(`${phase} backend`, () => worker.kill());
  try {
    let lastReport = Date.now();
    await waitUntil(
      `all ${N} VM entities final`,
      Math.max(10 * 60_000, N * 60),
      async () => {
        const count = await worker.countFinal();
        if (Date.now() - lastReport > 30_000) {
          lastReport = Date.now();
          log(`${count} of ${N} final`);
        }
        return count >= N ? true : undefined;
      },
      N <= 2000 ? 250 : 1000,
    );
    const ingestSeconds = seconds(Date.now() - worker.startCalledAt);
    log(`${N} VMs: all final after ${ingestSeconds} s`);

    const client = new InventoryClient(
      worker.baseUrl,
      mockCredentials.user.header(),
    );
    const filters = clusters.map(c => ({ cluster: c.name, os: MEASURED_OS }));
    const expected = expectations(vms, filters, options['page-size']);
    const timeout = () =>
      AbortSignal.timeout(options['request-timeout'] * 1000);
    const cursors = new Map<string, string>();
    for (const filter of filters) {
      cursors.set(
        filter.cluster,
        await secondPageCursor(client, filter, options['page-size'], timeout()),
      );
    }
    /** Load `i`: filters in turn, a first page then the same filter's second. */
    const load = (i: number, signal: AbortSignal) => {
      const filter = filters[Math.floor(i / 2) % filters.length];
      const page = i % 2 === 0 ? 1 : 2;
      return loadPage(
        client,
        {
          filter,
          pageSize: options['page-size'],
          cursor: page === 2 ? cursors.get(filter.cluster) : undefined,
        },
        expected.get(`${filter.cluster}|${page}`)!,
        signal,
      );
    };
    const run = async (count: number) => {
      const timings: PageLoadTimings[] = [];
      const errors: string[] = [];
      let errorCount = 0;
      const measured = async (i: number, signal: AbortSignal) => {
        timings.push(await load(i, signal));
      };
      const startedAt = Date.now();
      if (options.rate > 0) {
        const result = await openLoop({
          rate: options.rate,
          seconds: count / options.rate,
          timeoutMs: options['request-timeout'] * 1000,
          request: measured,
        });
        errorCount = result.errorCount;
        errors.push(...result.errors);
      } else {
        for (let i = 0; i < count; i++) {
          try {
            await measured(i, timeout());
          } catch (error) {
            errorCount += 1;
            if (errors.length < 5) {
              errors.push(
                error instanceof Error ? error.message : String(error),
              );
            }
          }
        }
      }
      return { timings, errors, errorCount, ms: Date.now() - startedAt };
    };

    if (options.warmup > 0) {
      log(`${N} VMs: ${options.warmup} warm-up page loads`);
      await run(options.warmup);
    }
    log(
      `${N} VMs: measuring ${options.loads} page loads${
        options.rate > 0 ? ` at ${options.rate}/s` : ', one after another'
      }`,
    );
    const cpuBefore = worker.stats()?.cpuSeconds ?? 0;
    const pgBefore = ctx.postgres?.cpuSeconds();
    const before = await requestCounts(clusters);
    const measuredRun = await run(options.loads);
    const after = await requestCounts(clusters);
    const pgAfter = ctx.postgres?.cpuSeconds();
    const cpuSeconds = (worker.stats()?.cpuSeconds ?? 0) - cpuBefore;
    const ok = measuredRun.timings.length;
    const perLoad = (n: number) => Math.round((n / options.loads) * 10) / 10;
    const timing = timingFigures(measuredRun.timings);
    const figures = {
      vms: N,
      matchingPerFilter: expected.get(`${filters[0].cluster}|1`)!.total,
      ingestSeconds,
      loads: options.loads,
      ok,
      errors: measuredRun.errorCount,
      firstErrors: measuredRun.errors,
      seconds: seconds(measuredRun.ms),
      ...timing,
      apiserverRequestsPerLoad: {
        virtualMachineGets: perLoad(after.vmGets - before.vmGets),
        virtualMachineInstanceGets: perLoad(after.vmiGets - before.vmiGets),
        // Everything the apiservers answered meanwhile (the control plane's own
        // leases and the bench's metrics reads included): an upper bound.
        allNonWatch: perLoad(after.all - before.all),
      },
      // Server-side time of one of those GETs, from the apiservers' own histograms.
      apiserverGetMeanMs:
        Math.round(
          ((after.getSeconds - before.getSeconds) * 1000 * 10) /
            Math.max(
              1,
              after.vmGets - before.vmGets + after.vmiGets - before.vmiGets,
            ),
        ) / 10,
      backendCpuSecondsPerLoad:
        Math.round((cpuSeconds / options.loads) * 1000) / 1000,
      ...(pgBefore !== undefined &&
        pgAfter !== undefined && {
          postgresCpuSecondsPerLoad:
            Math.round(((pgAfter - pgBefore) / options.loads) * 1000) / 1000,
        }),
      backendPeakRssMiB: 0,
    };
    log(
      `${N} VMs: page load p50 ${timing.pageLoad?.p50Ms} ms, p95 ${timing.pageLoad?.p95Ms} ms (catalog p50 ${timing.catalogQuery?.p50Ms}, states p50 ${timing.statesBatch?.p50Ms}); ${measuredRun.errorCount} errors`,
    );
    if (measuredRun.errorCount > 0) {
      problems.push(
        `${N} VMs: ${measuredRun.errorCount} of ${options.loads} page loads failed (${measuredRun.errors[0]})`,
      );
    }
    if (!timing.pageLoad || timing.pageLoad.p50Ms <= 0) {
      problems.push(`${N} VMs: no page load measured`);
    }
    if (figures.apiserverRequestsPerLoad.virtualMachineGets <= 0) {
      problems.push(
        `${N} VMs: the apiservers counted no VirtualMachine GETs: the states batch read nothing`,
      );
    }
    const stats = await worker.stop();
    figures.backendPeakRssMiB = mib(stats?.peakRssBytes ?? 0);
    return figures;
  } finally {
    await worker.kill();
    if (ctx.postgres) await ctx.postgres.dropDatabases(prefix);
  }
}

/** Runs `npm run bench -- inventory ...`; resolves with the process exit code. */
export async function runInventoryBenchmark(argv: string[]): Promise<number> {
  const options = parseFlags(argv, flags, inventoryUsage);
  const sizes = parseVmCounts(options.vms);
  const largest = sizes[sizes.length - 1];
  const pageSize = options['page-size'];
  // Two pages of every filter must be full: a cluster holds 1/clusters of the VMs,
  // half of them of the measured OS.
  const smallest = options.clusters * 2 * 2 * pageSize;
  if (sizes[0] < smallest) {
    throw new BenchUsageError(
      `--vms must be at least ${smallest} with ${options.clusters} clusters and pages of ${pageSize}, so that every filter has two full pages; got ${sizes[0]}`,
      inventoryUsage,
    );
  }
  const startedAt = Date.now();
  const date = new Date(startedAt).toISOString();
  const log = progressLogger('inventory', startedAt);
  const cleanup = new RunCleanup(log);
  cleanup.limit(
    (options['time-limit'] || 30 + Math.ceil(largest / 1000)) * 60_000,
  );
  const name =
    options.name ||
    `inventory-${options.db}-${sizes.join('-')}vms-${options.clusters}c`;
  const dir = scratchDir(name, options['state-dir']);
  const machine = machineInfo();
  const problems: string[] = [];
  try {
    const plane = await startBenchControlPlane({
      dir,
      clusters: options.clusters,
      simulator: false,
      cleanup,
      log,
    });
    const clusters = plane.clusters;
    const versions = await benchVersions(clusters[0]);
    const postgres =
      options.db === 'postgres' ? await startBenchPostgres(cleanup) : undefined;
    if (postgres) versions.postgresql = postgres.version;
    const layout: VmLayout = {
      clusters,
      namespaces: benchNamespaces(options.namespaces),
    };
    await createNamespaces(layout);
    const all = Array.from({ length: largest }, (_, i) =>
      inventoryVm(i, layout),
    );

    // 1. The VMs the measured pages show, run by the simulator.
    const shown = shownVms(all, 2 * pageSize);
    const simulatorLog = join(dir, 'logs', 'kubevirt-simulator.log');
    const simulator = SimulatorProcess.start(plane.dir, simulatorLog);
    cleanup.add('simulator', () => simulator.stop());
    let t = Date.now();
    await createVms(shown, clusters, {
      concurrency: options.concurrency,
      progress: () => {},
    });
    await waitForShownStates(shown, clusters, simulator, simulatorLog, 600_000);
    const simulatedSeconds = seconds(Date.now() - t);
    await simulator.stop();
    log(
      `the simulator ran the ${shown.length} VMs of the measured pages in ${simulatedSeconds} s, and has stopped`,
    );

    // 2. Each size: the rest of its VMs (no status: never on a measured page), then a
    //    fresh backend.
    const created = new Set(shown.map(vm => vm.name));
    const runId = randomBytes(3).toString('hex');
    const results: Array<Record<string, unknown>> = [];
    const createSeconds: number[] = [];
    for (const N of sizes) {
      const vms = all.slice(0, N);
      const toCreate = vms.filter(vm => !created.has(vm.name));
      t = Date.now();
      await createVms(toCreate, clusters, {
        concurrency: options.concurrency,
        progress: count => log(`created ${count} of ${toCreate.length} VMs`),
      });
      toCreate.forEach(vm => created.add(vm.name));
      createSeconds.push(seconds(Date.now() - t));
      log(
        `${N} VMs exist (${toCreate.length} created in ${seconds(
          Date.now() - t,
        )} s)`,
      );
      results.push({
        ...(await measureSize(
          { clusters, postgres, runId, dir, log, cleanup, options },
          vms,
          problems,
        )),
        createSeconds: createSeconds[createSeconds.length - 1],
      });
    }

    const result: BenchResult = {
      benchmark: 'inventory',
      name,
      date,
      command: `npm run bench -- inventory ${argv.join(' ')}`.trim(),
      ok: problems.length === 0,
      problems,
      parameters: {
        vms: sizes.join(','),
        clusters: options.clusters,
        namespacesPerCluster: options.namespaces,
        db: options.db,
        loads: options.loads,
        warmupLoads: options.warmup,
        pageSize,
        ratePerSecond: options.rate,
        processingIntervalSeconds: options['processing-interval'],
        filter: `cluster=<each cluster in turn>,os=${MEASURED_OS}`,
      },
      versions,
      machine: { ...machine, loadAverageAtEnd: currentLoad() },
      durationSeconds: seconds(Date.now() - startedAt),
      figures: {
        shownVms: shown.length,
        shownVmsSimulatedSeconds: simulatedSeconds,
        sizes: results,
      },
    };
    writeResult(result, options['results-dir']);
    return result.ok ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}
