import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { Entity } from '@backstage/catalog-model';
import { JsonObject } from '@backstage/types';
import type { ClusterInfo } from '@vmportal/kube-testenv';
import {
  RequestDelta,
  requestDelta,
  RequestSnapshot,
  snapshotVmRequests,
} from '../lib/apiserverMetrics';
import { describeFlags, parseFlags } from '../lib/args';
import { RunCleanup } from '../lib/cleanup';
import { startBenchControlPlane } from '../lib/controlPlane';
import {
  benchVersions,
  currentLoad,
  machineInfo,
  packageVersion,
} from '../lib/environment';
import {
  cpuSecondsOfProcessesMentioning,
  machineBusySeconds,
  mib,
  ProcessStats,
} from '../lib/proc';
import {
  BenchResult,
  outputFlags,
  progressLogger,
  scratchDir,
  writeResult,
} from '../lib/results';
import { ratio, seconds, seededRandom, summarize } from '../lib/stats';
import { BackendWorker } from './BackendWorker';
import { measureBurst } from './burst';
import { replayBurstOnFloor } from './burstFloor';
import {
  ExpectedComponent,
  expectedCatalog,
  expectedFromEntities,
  waitForMatch,
} from './catalogMatch';
import {
  CatalogView,
  ChangeOutcome,
  oursView,
  peerView,
  runChanges,
} from './changes';
import { BenchPostgres, startBenchPostgres } from './postgres';
import { makeMixedBurst, MixedBurst, planMixedBurst } from './mixedBurst';
import {
  floorBurstFigures,
  lastChanges,
  oursBurstFigures,
} from './mixedBurstFigures';
import { captureProviderEntities } from './providerEntities';
import {
  BenchVm,
  benchNamespaces,
  createNamespaces,
  createVms,
  initialVm,
  VmLayout,
} from './virtualMachines';
import type { WorkerMode } from './workerProtocol';

const flags = {
  vms: {
    type: 'int',
    default: 1000,
    min: 1,
    max: 500_000,
    help: 'VirtualMachines to create',
  },
  clusters: {
    type: 'int',
    default: 1,
    min: 1,
    max: 10,
    help: 'local clusters to spread them over',
  },
  db: {
    type: 'choice',
    default: 'sqlite',
    choices: ['sqlite', 'postgres'],
    help: "the catalog's database (SQLite in memory, or PostgreSQL 18)",
  },
  namespaces: {
    type: 'int',
    default: 10,
    min: 1,
    max: 200,
    help: 'namespaces per cluster',
  },
  changes: {
    type: 'int',
    default: 200,
    min: 0,
    max: 10_000,
    help: 'random changes (create, relabel owner, stop, delete) after ingestion',
  },
  'change-rate': {
    type: 'number',
    default: 2,
    min: 0.1,
    max: 100,
    help: 'changes started per second',
  },
  'change-timeout': {
    type: 'int',
    default: 120,
    min: 5,
    max: 3600,
    help: 'seconds to wait for one change to show',
  },
  floor: {
    type: 'choice',
    default: 'both',
    choices: ['both', 'before', 'none'],
    help: "measure the catalog's floor before and after ours, before only, or not",
  },
  peer: {
    type: 'boolean',
    default: false,
    help: "also run TeraSky's Kubernetes ingestor on the same VMs",
  },
  burst: {
    type: 'boolean',
    default: false,
    help: 'after the changes, change every VM at once and time an owner change made right behind them',
  },
  'burst-changes': {
    type: 'int',
    default: 0,
    min: 0,
    max: 10_000,
    help: 'a mixed burst after the changes: this many random changes (delete, owner relabel, stop, delete and create again under another owner) started evenly over --burst-seconds, then the time until the catalog matches the clusters exactly, ours and the floor (0: none)',
  },
  'burst-seconds': {
    type: 'int',
    default: 10,
    min: 1,
    max: 600,
    help: 'seconds the mixed burst is spread over',
  },
  groups: {
    type: 'boolean',
    default: false,
    help: 'give every backend a Group entity per owner the VMs start with (team-0 to team-19; the mixed burst moves VMs between them), so owner changes re-stitch real groups as in the demo',
  },
  'peer-frequency': {
    type: 'int',
    default: 60,
    min: 10,
    max: 3600,
    help: "seconds between the peer's full syncs (its default is 600)",
  },
  'peer-changes': {
    type: 'int',
    default: 20,
    min: 0,
    max: 1000,
    help: 'changes (create, delete) made while the peer runs',
  },
  concurrency: {
    type: 'int',
    default: 16,
    min: 1,
    max: 128,
    help: 'VM creations in flight per cluster',
  },
  seed: {
    type: 'int',
    default: 1,
    min: 0,
    max: 2 ** 31,
    help: 'seed of the random changes',
  },
  'processing-interval': {
    type: 'int',
    default: 0,
    min: 0,
    max: 24 * 3600,
    help: "seconds set as every backend's catalog.processingInterval (0: the catalog's default, 100 to 150 s)",
  },
  'stitching-polling-ms': {
    type: 'int',
    default: 0,
    min: 0,
    max: 60_000,
    help: "milliseconds set as every backend's catalog.stitchingStrategy.pollingInterval: how long an idle stitcher waits before it looks again (0: the catalog's default, 1 s)",
  },
  'time-limit': {
    type: 'int',
    default: 0,
    min: 0,
    max: 24 * 60,
    help: 'minutes after which the run stops itself (0: 30 + 6 per 1,000 VMs)',
  },
  ...outputFlags,
  name: {
    type: 'string',
    default: '',
    help: 'result name (default catalog-<db>-<vms>vms-<clusters>c)',
  },
} as const;

/** Usage of `npm run bench -- catalog`. */
export const catalogUsage = `npm run bench -- catalog [flags]

  Creates VirtualMachines on local clusters, starts a catalog with the KubeVirt
  provider and measures the time until every VM is a final (stitched, queryable)
  entity, against the catalog's own floor (a static provider applying the identical
  entities) in the same run; then random changes and the delay until each shows; the
  LIST and WATCH requests the apiservers counted; the backend's peak RSS.
  With --burst-changes, a mixed burst of changes and the time from its end until the
  catalog matches the clusters exactly, for ours and for the floor (the same changes
  as delta mutations of a static provider).

${describeFlags(flags)}`;

interface PhaseFigures {
  ingestSeconds: number;
  backendStartSeconds: number;
  peakRssMiB: number;
  cpuSecondsAtIngest: number;
  cpuSecondsTotal: number;
  postgresCpuSeconds?: number;
  [key: string]: unknown;
}

interface RunContext {
  log: (line: string) => void;
  cleanup: RunCleanup;
  clusters: ClusterInfo[];
  postgres: BenchPostgres | undefined;
  runId: string;
  dir: string;
  problems: string[];
  /** `catalog.processingInterval` of every backend; undefined: the catalog's default. */
  processingIntervalSeconds: number | undefined;
  /** `catalog.stitchingStrategy.pollingInterval` (ms) of every backend; undefined: the default. */
  stitchingPollingMs: number | undefined;
  /** Group entities every ours and static backend provides. */
  groups: string[] | undefined;
}

function database(ctx: RunContext, phase: string): JsonObject {
  if (!ctx.postgres)
    return { client: 'better-sqlite3', connection: ':memory:' };
  return {
    client: 'pg',
    connection: ctx.postgres.connectionString,
    prefix: databasePrefix(ctx, phase),
  };
}

function databasePrefix(ctx: RunContext, phase: string): string {
  return `bench_${ctx.runId}_${phase}_`;
}

async function startWorker(
  ctx: RunContext,
  phase: string,
  mode: WorkerMode,
  extra: { entitiesFile?: string; peerFrequencySeconds?: number } = {},
): Promise<BackendWorker> {
  ctx.log(`${phase}: starting a catalog backend (${mode})`);
  const worker = await BackendWorker.start(
    {
      mode,
      database: database(ctx, phase),
      clusters: ctx.clusters,
      processingIntervalSeconds: ctx.processingIntervalSeconds,
      stitchingPollingMs: ctx.stitchingPollingMs,
      ...(mode !== 'peer' && ctx.groups && { groups: ctx.groups }),
      ...extra,
    },
    join(ctx.dir, 'logs', `${phase}.log`),
  );
  ctx.cleanup.add(`${phase} backend`, () => worker.kill());
  return worker;
}

/** Stops the backend (and drops its databases); returns its last /proc figures. */
async function stopWorker(
  ctx: RunContext,
  phase: string,
  worker: BackendWorker,
): Promise<ProcessStats | undefined> {
  const stats = await worker.stop();
  if (ctx.postgres)
    await ctx.postgres.dropDatabases(databasePrefix(ctx, phase));
  return stats;
}

/**
 * Polls the worker's count of final Components until it is `expected`; calls
 * `onPoll` each time (to notice the provider's initial sync). Resolves with the time
 * the count was reached.
 */
async function waitForFinal(
  worker: BackendWorker,
  expected: number,
  timeoutMs: number,
  log: (line: string) => void,
  what: string,
  onPoll: () => Promise<void> = async () => {},
): Promise<number> {
  const intervalMs = expected <= 2000 ? 250 : 1000;
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  for (;;) {
    const count = await worker.countFinal();
    const now = Date.now();
    if (count >= expected) return now;
    await onPoll();
    if (now - lastReport > 15_000) {
      lastReport = now;
      log(
        `${what}: ${count} of ${expected} final after ${seconds(
          now - worker.startCalledAt,
        )} s`,
      );
    }
    if (now > deadline) {
      throw new Error(
        `${what}: only ${count} of ${expected} entities final after ${seconds(
          now - worker.startCalledAt,
        )} s`,
      );
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
}

/** The floor: a fresh catalog applying one full mutation of the identical entities. */
async function measureFloor(
  ctx: RunContext,
  phase: string,
  entitiesFile: string,
  expected: number,
  timeoutMs: number,
): Promise<PhaseFigures> {
  const pgBefore = ctx.postgres?.cpuSeconds();
  const worker = await startWorker(ctx, phase, 'static', { entitiesFile });
  const reachedAt = await waitForFinal(
    worker,
    expected,
    timeoutMs,
    ctx.log,
    phase,
  );
  const atIngest = worker.stats();
  const pgAfter = ctx.postgres?.cpuSeconds();
  const stats = await stopWorker(ctx, phase, worker);
  const figures: PhaseFigures = {
    ingestSeconds: seconds(reachedAt - worker.startCalledAt),
    backendStartSeconds: seconds(worker.startedAt - worker.startCalledAt),
    fullMutationSeconds: worker.staticApplied
      ? seconds(worker.staticApplied.durationMs)
      : undefined,
    entitiesPerSecond: Math.round(
      expected / ((reachedAt - worker.startCalledAt) / 1000),
    ),
    peakRssMiB: mib(stats?.peakRssBytes ?? 0),
    cpuSecondsAtIngest: atIngest?.cpuSeconds ?? 0,
    cpuSecondsTotal: stats?.cpuSeconds ?? 0,
  };
  if (pgBefore !== undefined && pgAfter !== undefined) {
    figures.postgresCpuSeconds = Math.round(pgAfter - pgBefore);
  }
  ctx.log(
    `${phase}: ${expected} entities final in ${figures.ingestSeconds} s (${figures.entitiesPerSecond}/s), peak RSS ${figures.peakRssMiB} MiB`,
  );
  return figures;
}

/**
 * For each change, when the provider saw it and when the catalog accepted it; for the
 * changes that never showed, how many the provider saw and the catalog accepted (they
 * were then waiting in the catalog's processing queue, not in the provider).
 */
function changeBreakdown(outcomes: ChangeOutcome[], worker: BackendWorker) {
  const watch: number[] = [];
  const toAccepted: number[] = [];
  const toVisible: number[] = [];
  const notShown = { count: 0, seenByProvider: 0, mutationAccepted: 0 };
  for (const outcome of outcomes) {
    const seenAt = outcome.seenAt;
    if (seenAt === undefined) notShown.count++;
    const change = worker.changes.find(
      c =>
        c.observedAt >= outcome.submittedAt &&
        c.refs.some(r => r.toLowerCase() === outcome.entityRef),
    );
    if (!change) continue;
    const mutation = worker.mutations.find(
      m =>
        m.appliedAt >= change.observedAt &&
        (m.mutationType === 'full' ||
          m.refs.some(r => r.toLowerCase() === outcome.entityRef)),
    );
    if (seenAt === undefined) {
      notShown.seenByProvider++;
      if (mutation) notShown.mutationAccepted++;
      continue;
    }
    watch.push(change.observedAt - outcome.submittedAt);
    if (!mutation) continue;
    toAccepted.push(mutation.appliedAt - change.observedAt);
    toVisible.push(Math.max(0, seenAt - mutation.appliedAt));
  }
  return {
    changeToWatchEvent: summarize(watch),
    watchEventToMutationAccepted: summarize(toAccepted),
    mutationAcceptedToVisible: summarize(toVisible),
    ...(notShown.count > 0 ? { notShown } : {}),
  };
}

function changeFigures(outcomes: ChangeOutcome[], ratePerSecond: number) {
  const shown = outcomes.filter(o => o.latencyMs !== undefined);
  const byKind: Record<string, unknown> = {};
  for (const kind of ['create', 'relabel', 'stop', 'delete']) {
    const latencies = shown.filter(o => o.kind === kind).map(o => o.latencyMs!);
    const summary = summarize(latencies);
    if (summary) byKind[kind] = summary;
  }
  const failed = outcomes.filter(o => o.error);
  return {
    made: outcomes.length,
    shown: shown.length,
    notShown: failed.length,
    ratePerSecond,
    latency: summarize(shown.map(o => o.latencyMs!)),
    byKind,
    apiserverRequestP50Ms: summarize(outcomes.map(o => o.requestMs))?.p50Ms,
    failures: failed.slice(0, 5).map(o => `${o.kind} ${o.vm}: ${o.error}`),
  };
}

function requests(delta: RequestDelta, ms?: number) {
  return {
    list: delta.list,
    watchEnded: delta.watchEnded,
    openWatchesAtEnd: delta.openWatchesAtEnd,
    openWatchesAdded: delta.openWatchesAdded,
    byVerb: delta.byVerb,
    perCluster: delta.perCluster,
    ...(ms !== undefined && { seconds: seconds(ms) }),
  };
}

/** Runs `npm run bench -- catalog ...`; resolves with the process exit code. */
export async function runCatalogBenchmark(argv: string[]): Promise<number> {
  const options = parseFlags(argv, flags, catalogUsage);
  const startedAt = Date.now();
  const date = new Date(startedAt).toISOString();
  const log = progressLogger('catalog', startedAt);
  const cleanup = new RunCleanup(log);
  const N = options.vms;
  const timeLimitMin = options['time-limit'] || 30 + Math.ceil((6 * N) / 1000);
  cleanup.limit(timeLimitMin * 60_000);
  const ingestTimeoutMs = Math.max(10 * 60_000, N * 100);
  const name =
    options.name ||
    `catalog-${options.db}-${N}vms-${options.clusters}c${
      options['burst-changes'] > 0 ? `-burst${options['burst-changes']}` : ''
    }${options.peer ? '-peer' : ''}`;
  const dir = scratchDir(name, options['state-dir']);
  mkdirSync(dir, { recursive: true });
  const problems: string[] = [];
  const figures: Record<string, unknown> = {};
  const machine = machineInfo();

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
    // The owners the VMs start with (initialVm), which the mixed burst moves them between.
    const owners = Array.from({ length: 20 }, (_, i) => `team-${i}`);
    const ctx: RunContext = {
      log,
      cleanup,
      clusters,
      postgres,
      runId: randomBytes(3).toString('hex'),
      dir,
      problems,
      processingIntervalSeconds: options['processing-interval'] || undefined,
      stitchingPollingMs: options['stitching-polling-ms'] || undefined,
      groups: options.groups ? owners : undefined,
    };

    // 1. The VMs, created fast and in parallel (no simulator: entities carry no status).
    const layout: VmLayout = {
      clusters,
      namespaces: benchNamespaces(options.namespaces),
    };
    await createNamespaces(layout);
    const vms: BenchVm[] = Array.from({ length: N }, (_, i) =>
      initialVm(i, layout),
    );
    let t = Date.now();
    await createVms(vms, clusters, {
      concurrency: options.concurrency,
      progress: created => log(`created ${created} of ${N} VMs`),
    });
    const createMs = Date.now() - t;
    figures.createVms = {
      seconds: seconds(createMs),
      perSecond: Math.round(N / (createMs / 1000)),
      concurrencyPerCluster: options.concurrency,
    };
    log(`created ${N} VMs in ${seconds(createMs)} s`);

    // 2. The provider's own entities for them, for the floor's static provider.
    t = Date.now();
    const entities = await captureProviderEntities(clusters, ingestTimeoutMs);
    if (entities.length !== N) {
      throw new Error(`the provider translated ${entities.length} of ${N} VMs`);
    }
    const names = new Set(entities.map(e => e.metadata.name));
    const unexpected = vms.find(vm => !names.has(oursView.entityName(vm)));
    if (unexpected) {
      throw new Error(
        `no entity named ${oursView.entityName(
          unexpected,
        )}: the benchmark's naming rule no longer matches the provider's`,
      );
    }
    const entitiesFile = join(dir, 'entities.json');
    writeFileSync(entitiesFile, JSON.stringify(entities));
    cleanup.add('entities file', async () =>
      rmSync(entitiesFile, { force: true }),
    );
    log(
      `captured the provider's ${entities.length} entities in ${seconds(
        Date.now() - t,
      )} s`,
    );

    // 3. The floor before ours.
    let snapshot: RequestSnapshot = await snapshotVmRequests(clusters);
    let snapshotAt = Date.now();
    const floors: number[] = [];
    if (options.floor !== 'none') {
      const floor = await measureFloor(
        ctx,
        'floor1',
        entitiesFile,
        N,
        ingestTimeoutMs,
      );
      figures.floorBefore = floor;
      floors.push(floor.ingestSeconds);
      const after = await snapshotVmRequests(clusters);
      figures.backgroundRequestsDuringFloor = requests(
        requestDelta(snapshot, after),
        Date.now() - snapshotAt,
      );
      snapshot = after;
      snapshotAt = Date.now();
    }

    // 4. Ours: time to ingest, then random changes.
    const pgBefore = postgres?.cpuSeconds();
    const beforeOurs = snapshot;
    const worker = await startWorker(ctx, 'ours', 'ours');
    let afterInitialSync: RequestSnapshot | undefined;
    let afterInitialSyncAt = 0;
    const noticeSync = async () => {
      if (!afterInitialSync && worker.syncs.length > 0) {
        afterInitialSync = await snapshotVmRequests(clusters);
        afterInitialSyncAt = Date.now();
      }
    };
    const reachedAt = await waitForFinal(
      worker,
      N,
      ingestTimeoutMs,
      log,
      'ours',
      noticeSync,
    );
    const ingestMs = reachedAt - worker.startCalledAt;
    await noticeSync();
    const atIngest = worker.stats();
    const sync = worker.syncs[0];
    const full = worker.mutations.find(m => m.mutationType === 'full');
    const ours: PhaseFigures = {
      ingestSeconds: seconds(ingestMs),
      backendStartSeconds: seconds(worker.startedAt - worker.startCalledAt),
      providerInitialSyncSeconds: sync
        ? seconds(sync.event.durationMs)
        : undefined,
      fullMutationAcceptedAtSeconds: full
        ? seconds(full.appliedAt - worker.startCalledAt)
        : undefined,
      fullMutationSeconds: full ? seconds(full.durationMs) : undefined,
      entitiesPerSecond: Math.round(N / (ingestMs / 1000)),
      peakRssMiB: 0,
      cpuSecondsAtIngest: atIngest?.cpuSeconds ?? 0,
      cpuSecondsTotal: 0,
    };
    log(
      `ours: ${N} entities final in ${ours.ingestSeconds} s (provider's initial sync ${ours.providerInitialSyncSeconds} s)`,
    );

    let outcomes: ChangeOutcome[] = [];
    if (options.changes > 0) {
      log(
        `ours: ${options.changes} random changes at ${options['change-rate']}/s`,
      );
      outcomes = await runChanges({
        count: options.changes,
        ratePerSecond: options['change-rate'],
        random: seededRandom(options.seed),
        vms,
        clusters,
        namespaces: layout.namespaces,
        catalogUrl: worker.baseUrl,
        view: oursView,
        timeoutMs: options['change-timeout'] * 1000,
        pollMs: 100,
        log,
      });
      figures.changes = {
        ...changeFigures(outcomes, options['change-rate']),
        breakdown: changeBreakdown(outcomes, worker),
      };
    }
    if (options.burst) {
      log(`ours: changing all ${vms.filter(v => v.exists).length} VMs at once`);
      figures.burst = await measureBurst({
        vms,
        clusters,
        catalogUrl: worker.baseUrl,
        concurrency: options.concurrency,
        timeoutMs: ingestTimeoutMs,
      });
    }
    let mixed: OursMixedBurst | undefined;
    if (options['burst-changes'] > 0) {
      mixed = await measureMixedBurstOnOurs(ctx, worker, {
        count: options['burst-changes'],
        seconds: options['burst-seconds'],
        seed: options.seed,
        vms,
        owners,
        timeoutMs: ingestTimeoutMs,
      });
      figures.burstChanges = mixed.figures;
    }
    const endOfOurs = await snapshotVmRequests(clusters);
    const endOfOursAt = Date.now();
    const pgAfter = postgres?.cpuSeconds();
    const stats = await stopWorker(ctx, 'ours', worker);
    ours.peakRssMiB = mib(stats?.peakRssBytes ?? 0);
    ours.cpuSecondsTotal = stats?.cpuSeconds ?? 0;
    if (pgBefore !== undefined && pgAfter !== undefined) {
      ours.postgresCpuSeconds = Math.round(pgAfter - pgBefore);
    }
    figures.ours = ours;

    // What the apiservers counted: the initial paginated lists, then (steady state,
    // through ingestion's tail and every change) nothing but watches.
    const relists = worker.logs.filter(
      l =>
        l.message.startsWith('Listed cluster') &&
        l.meta.reason !== 'initial' &&
        l.meta.reason !== 'scheduled',
    );
    const initial = afterInitialSync ?? endOfOurs;
    const vmsPerCluster = clusters.map(
      c =>
        vms.filter(vm => vm.cluster === c.name && vm.name.startsWith('vm-'))
          .length,
    );
    figures.apiserverRequests = {
      resource: 'virtualmachines.kubevirt.io',
      initial: {
        ...requests(requestDelta(beforeOurs, initial)),
        expectedListPages: vmsPerCluster.reduce(
          (sum, n) => sum + Math.max(1, Math.ceil(n / 500)),
          0,
        ),
      },
      steadyState: requests(
        requestDelta(initial, endOfOurs),
        endOfOursAt - afterInitialSyncAt,
      ),
      relists: {
        total: relists.length,
        listPages: relists.reduce(
          (sum, l) =>
            sum + Math.max(1, Math.ceil(Number(l.meta.virtualMachines) / 500)),
          0,
        ),
        after410: relists.filter(l => l.meta.reason === 'watch-expired').length,
        afterBrokenWatch: relists.filter(l => l.meta.reason === 'watch-broken')
          .length,
      },
      warnings: worker.logs
        .filter(l => l.level === 'warn' || l.level === 'error')
        .slice(0, 10)
        .map(
          l =>
            `${l.level}: ${l.message}${
              l.meta.error ? ` (${String(l.meta.error)})` : ''
            }`,
        ),
    };
    snapshot = endOfOurs;

    // 5. The floor after ours.
    if (options.floor === 'both') {
      const floor = await measureFloor(
        ctx,
        'floor2',
        entitiesFile,
        N,
        ingestTimeoutMs,
      );
      figures.floorAfter = floor;
      floors.push(floor.ingestSeconds);
      snapshot = await snapshotVmRequests(clusters);
    }
    if (floors.length > 0) {
      const mean = floors.reduce((a, b) => a + b, 0) / floors.length;
      figures.ratio = {
        oursToFloorMean: ratio(ours.ingestSeconds, mean),
        oursToFloorBefore: ratio(ours.ingestSeconds, floors[0]),
        ...(floors[1] !== undefined && {
          oursToFloorAfter: ratio(ours.ingestSeconds, floors[1]),
        }),
        floorMeanSeconds: Math.round(mean * 10) / 10,
      };
    }

    // 6. The mixed burst through the floor.
    if (mixed?.after && options.floor !== 'none') {
      const floor = await measureMixedBurstOnFloor(ctx, mixed, ingestTimeoutMs);
      const mixedFigures = figures.burstChanges as Record<string, unknown>;
      mixedFigures.floor = floor;
      const oursSeconds = (
        mixedFigures.ours as { matchedAfterSeconds?: number }
      ).matchedAfterSeconds;
      if (oursSeconds !== undefined && floor.matchedAfterSeconds) {
        mixedFigures.oursToFloor = ratio(
          oursSeconds,
          floor.matchedAfterSeconds,
        );
      }
    }

    // 7. The peer on the same clusters.
    if (options.peer) {
      figures.peer = await measurePeer(ctx, {
        vms,
        layout,
        snapshot,
        floorSeconds: floors[0],
        frequencySeconds: options['peer-frequency'],
        changes: options['peer-changes'],
        ratePerSecond: options['change-rate'],
        seed: options.seed,
        ingestTimeoutMs,
      });
    }

    checkFigures(figures, {
      N,
      changes: options.changes,
      burstChanges: options['burst-changes'],
      floor: options.floor,
      problems,
    });
    const result: BenchResult = {
      benchmark: 'catalog',
      name,
      date,
      command: `npm run bench -- catalog ${argv.join(' ')}`.trim(),
      ok: problems.length === 0,
      problems,
      parameters: {
        vms: N,
        clusters: options.clusters,
        db: options.db,
        namespacesPerCluster: options.namespaces,
        changes: options.changes,
        changeRatePerSecond: options['change-rate'],
        floor: options.floor,
        peer: options.peer,
        burst: options.burst,
        burstChanges: options['burst-changes'],
        burstSeconds: options['burst-seconds'],
        groups: options.groups,
        processingIntervalSeconds: options['processing-interval'],
        stitchingPollingMs: options['stitching-polling-ms'],
        seed: options.seed,
      },
      versions,
      machine: { ...machine, loadAverageAtEnd: currentLoad() },
      durationSeconds: seconds(Date.now() - startedAt),
      figures,
    };
    writeResult(result, options['results-dir']);
    return result.ok ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * Starts counting CPU seconds: the backend's, this run's control plane's (apiservers,
 * etcds, controller managers, on the same cores here) and the whole machine's (other
 * work included); the returned function reads what each used since.
 */
function cpuWindow(ctx: RunContext, worker: BackendWorker) {
  const controlPlane = join(ctx.dir, 'kube') + sep;
  const backend = () => worker.stats()?.cpuSeconds ?? 0;
  const start = {
    backend: backend(),
    controlPlane: cpuSecondsOfProcessesMentioning(controlPlane),
    machine: machineBusySeconds(),
    load: currentLoad(),
  };
  return () => ({
    loadAverageAtStart: start.load,
    backendCpuSeconds: round1(backend() - start.backend),
    controlPlaneCpuSeconds: round1(
      cpuSecondsOfProcessesMentioning(controlPlane) - start.controlPlane,
    ),
    machineBusyCpuSeconds: round1(machineBusySeconds() - start.machine),
  });
}

/** The mixed burst as ours saw it, and what the floor needs to run it again. */
interface OursMixedBurst {
  figures: Record<string, unknown>;
  burst: MixedBurst;
  /** The Components as the provider emitted them before and after the burst. */
  before: Entity[];
  after?: Entity[];
  expected: Map<string, ExpectedComponent>;
  /** From ours's backend start to the burst's start. */
  backendAgeMs: number;
}

/**
 * The mixed burst on ours: the catalog must match the clusters first; then the burst,
 * and the time from its end until the catalog matches them again.
 */
async function measureMixedBurstOnOurs(
  ctx: RunContext,
  worker: BackendWorker,
  input: {
    count: number;
    seconds: number;
    seed: number;
    vms: BenchVm[];
    owners: string[];
    timeoutMs: number;
  },
): Promise<OursMixedBurst> {
  const settled = await waitForMatch(worker, expectedCatalog(input.vms), {
    watch: [],
    from: Date.now(),
    timeoutMs: 120_000,
  });
  if (settled.matchedAt === undefined) {
    throw new Error(
      `before the mixed burst the catalog does not match the clusters: ${JSON.stringify(
        settled.stillWrong,
      )}`,
    );
  }
  // Exactly what the provider emitted: the floor starts from these.
  const before = await worker.unprocessedComponents();
  const { groups } = await worker.catalogState();
  if (groups !== (ctx.groups?.length ?? 0)) {
    ctx.problems.push(
      `${groups} Group entities final before the mixed burst, expected ${
        ctx.groups?.length ?? 0
      }`,
    );
  }
  ctx.log(
    `ours: mixed burst of ${input.count} changes over ${input.seconds} s on ${before.length} VMs`,
  );
  const changes = planMixedBurst({
    count: input.count,
    seconds: input.seconds,
    random: seededRandom(input.seed + 2),
    vms: input.vms,
    owners: input.owners,
  });
  const expected = expectedCatalog(input.vms);
  // Polled from the burst's start, to see when each change showed.
  const cpu = cpuWindow(ctx, worker);
  let made = false;
  const matching = waitForMatch(worker, expected, {
    watch: changes.map(c => c.entityName),
    from: Date.now(),
    timeoutMs: input.timeoutMs + input.seconds * 1000,
    ready: () => made,
  });
  const burst = await makeMixedBurst(changes, ctx.clusters);
  made = true;
  const match = await matching;
  const ours = { ...oursBurstFigures(burst, match, worker), ...cpu() };
  ctx.log(
    `ours: the catalog matched the clusters ${ours.matchedAfterSeconds} s after the burst (written in ${ours.writeSeconds} s)`,
  );
  const byKind: Record<string, number> = {};
  for (const change of burst.changes) {
    byKind[change.kind] = (byKind[change.kind] ?? 0) + 1;
  }
  const failed = burst.changes
    .filter(c => c.error)
    .map(c => `${c.kind} ${c.entityName}: ${c.error}`);
  return {
    figures: {
      made: burst.changes.length,
      seconds: input.seconds,
      groupsFinal: groups,
      vmsBefore: before.length,
      vmsAfter: expected.size,
      vmsChanged: lastChanges(burst.changes).length,
      byKind,
      failed: failed.slice(0, 5),
      targetSeconds: 10,
      backendAgeAtBurstSeconds: seconds(burst.startedAt - worker.startCalledAt),
      ours,
    },
    burst,
    before,
    after:
      match.matchedAt === undefined
        ? undefined
        : await worker.unprocessedComponents(),
    expected,
    backendAgeMs: burst.startedAt - worker.startCalledAt,
  };
}

/**
 * The same burst through the floor: a fresh catalog with a static provider holding
 * the entities ours held before the burst, then one delta per change at the same
 * offsets, and the time from the burst's end until the catalog matches the clusters.
 */
async function measureMixedBurstOnFloor(
  ctx: RunContext,
  mixed: OursMixedBurst,
  timeoutMs: number,
) {
  const entitiesFile = join(ctx.dir, 'entities-before-burst.json');
  writeFileSync(entitiesFile, JSON.stringify(mixed.before));
  ctx.cleanup.add('burst entities file', async () =>
    rmSync(entitiesFile, { force: true }),
  );
  const phase = 'floor-burst';
  const worker = await startWorker(ctx, phase, 'static', { entitiesFile });
  try {
    await waitForFinal(worker, mixed.before.length, timeoutMs, ctx.log, phase);
    const settled = await waitForMatch(
      worker,
      expectedFromEntities(mixed.before),
      { watch: [], from: Date.now(), timeoutMs: 120_000 },
    );
    if (settled.matchedAt === undefined) {
      throw new Error(
        `${phase}: the static catalog never showed the entities before the burst`,
      );
    }
    // As long after its start as ours's burst came after ours's: the catalog's
    // periodic re-processing of every entity (catalog.processingInterval) is then
    // due at the same point for both.
    const wait = worker.startCalledAt + mixed.backendAgeMs - Date.now();
    if (wait > 0) {
      ctx.log(`${phase}: waiting ${seconds(wait)} s to burst at ours's age`);
      await new Promise(r => setTimeout(r, wait));
    }
    const cpu = cpuWindow(ctx, worker);
    let replayed = false;
    const matching = waitForMatch(worker, mixed.expected, {
      watch: mixed.burst.changes.map(c => c.entityName),
      from: Date.now(),
      timeoutMs: timeoutMs + (mixed.burst.endedAt - mixed.burst.startedAt),
      ready: () => replayed,
    });
    const replay = await replayBurstOnFloor(worker, mixed.burst, {
      before: mixed.before,
      after: mixed.after ?? [],
    });
    replayed = true;
    const match = await matching;
    const floor = { ...floorBurstFigures(replay, match), ...cpu() };
    ctx.log(
      `${phase}: the catalog matched ${floor.matchedAfterSeconds} s after the burst`,
    );
    return floor;
  } finally {
    await stopWorker(ctx, phase, worker);
  }
}

/** TeraSky's ingestor on the same clusters: ingestion, a few changes, its LISTs. */
async function measurePeer(
  ctx: RunContext,
  input: {
    vms: BenchVm[];
    layout: VmLayout;
    snapshot: RequestSnapshot;
    floorSeconds: number | undefined;
    frequencySeconds: number;
    changes: number;
    ratePerSecond: number;
    seed: number;
    ingestTimeoutMs: number;
  },
): Promise<Record<string, unknown>> {
  const expected = input.vms.filter(vm => vm.exists).length;
  const base = {
    package: '@terasky/backstage-plugin-kubernetes-ingestor',
    version: packageVersion('@terasky/backstage-plugin-kubernetes-ingestor'),
    vms: expected,
    frequencySeconds: input.frequencySeconds,
    configuration:
      'customWorkloadTypes [kubevirt.io/v1 virtualmachines], default workload types, Crossplane and KRO off, read through @backstage/plugin-kubernetes-backend proxy',
  };
  let worker: BackendWorker | undefined;
  try {
    worker = await startWorker(ctx, 'peer', 'peer', {
      peerFrequencySeconds: input.frequencySeconds,
    });
    const reachedAt = await waitForFinal(
      worker,
      expected,
      Math.max(input.ingestTimeoutMs, input.frequencySeconds * 2000),
      ctx.log,
      'peer',
    );
    const ingestMs = reachedAt - worker.startCalledAt;
    ctx.log(`peer: ${expected} entities final in ${seconds(ingestMs)} s`);
    const afterIngest = await snapshotVmRequests(ctx.clusters);
    const afterIngestAt = Date.now();
    let changes: unknown;
    if (input.changes > 0) {
      const outcomes = await runChanges({
        count: input.changes,
        ratePerSecond: input.ratePerSecond,
        random: seededRandom(input.seed + 1),
        vms: input.vms,
        clusters: ctx.clusters,
        namespaces: input.layout.namespaces,
        catalogUrl: worker.baseUrl,
        view: peerView as CatalogView,
        timeoutMs: input.frequencySeconds * 1000 + 120_000,
        pollMs: 250,
        log: ctx.log,
      });
      changes = changeFigures(outcomes, input.ratePerSecond);
    }
    const end = await snapshotVmRequests(ctx.clusters);
    const steadyMs = Date.now() - afterIngestAt;
    const stats = await stopWorker(ctx, 'peer', worker);
    const steady = requestDelta(afterIngest, end);
    return {
      ...base,
      status: 'measured',
      ingestSeconds: seconds(ingestMs),
      ratioToFloorBefore:
        input.floorSeconds !== undefined
          ? ratio(ingestMs / 1000, input.floorSeconds)
          : undefined,
      peakRssMiB: mib(stats?.peakRssBytes ?? 0),
      cpuSecondsTotal: stats?.cpuSeconds ?? 0,
      changes,
      apiserverRequests: {
        initial: requests(requestDelta(input.snapshot, afterIngest)),
        steadyState: requests(steady, steadyMs),
        listsPerMinute:
          Math.round((steady.list / (steadyMs / 60_000)) * 10) / 10,
      },
      warnings: worker.logs
        .filter(l => l.level === 'warn' || l.level === 'error')
        .slice(0, 5)
        .map(l => `${l.level}: ${l.message}`),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.log(`peer: failed: ${message}`);
    ctx.problems.push(`peer: ${message.split('\n')[0]}`);
    await worker?.kill();
    return { ...base, status: 'failed', error: message };
  }
}

/** Figures must be there and sane: numbers > 0, ratios finite, counts right. */
function checkFigures(
  figures: Record<string, unknown>,
  expect: {
    N: number;
    changes: number;
    burstChanges: number;
    floor: string;
    problems: string[];
  },
) {
  const { problems } = expect;
  const positive = (path: string, value: unknown) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      problems.push(
        `${path} is ${JSON.stringify(value)}, expected a number > 0`,
      );
    }
  };
  const ours = figures.ours as PhaseFigures | undefined;
  positive('ours.ingestSeconds', ours?.ingestSeconds);
  positive('ours.peakRssMiB', ours?.peakRssMiB);
  positive('ours.providerInitialSyncSeconds', ours?.providerInitialSyncSeconds);
  if (expect.floor !== 'none') {
    positive(
      'floorBefore.ingestSeconds',
      (figures.floorBefore as PhaseFigures | undefined)?.ingestSeconds,
    );
    positive(
      'ratio.oursToFloorMean',
      (figures.ratio as { oursToFloorMean?: number } | undefined)
        ?.oursToFloorMean,
    );
  }
  if (expect.floor === 'both') {
    positive(
      'floorAfter.ingestSeconds',
      (figures.floorAfter as PhaseFigures | undefined)?.ingestSeconds,
    );
  }
  if (expect.changes > 0) {
    const changes = figures.changes as
      | {
          made: number;
          shown: number;
          latency?: { p50Ms: number; p95Ms: number; p99Ms: number };
        }
      | undefined;
    if (changes?.made !== expect.changes) {
      problems.push(
        `made ${changes?.made} changes, expected ${expect.changes}`,
      );
    }
    if (changes?.shown !== expect.changes) {
      problems.push(
        `${
          expect.changes - (changes?.shown ?? 0)
        } changes never showed in the catalog`,
      );
    }
    positive('changes.latency.p50Ms', changes?.latency?.p50Ms);
    positive('changes.latency.p99Ms', changes?.latency?.p99Ms);
  }
  if (expect.burstChanges > 0) {
    const burst = figures.burstChanges as
      | {
          made: number;
          failed: string[];
          ours?: { matchedAfterSeconds?: number; stillWrong?: unknown };
          floor?: { matchedAfterSeconds?: number; stillWrong?: unknown };
        }
      | undefined;
    if (burst?.made !== expect.burstChanges) {
      problems.push(
        `made ${burst?.made} burst changes, expected ${expect.burstChanges}`,
      );
    }
    if (burst?.failed.length) {
      problems.push(`${burst.failed.length} burst changes failed`);
    }
    for (const side of ['ours', 'floor'] as const) {
      if (side === 'floor' && expect.floor === 'none') continue;
      const figure = burst?.[side];
      if (figure?.matchedAfterSeconds === undefined) {
        problems.push(
          `after the mixed burst the catalog (${side}) never matched the clusters: ${JSON.stringify(
            figure?.stillWrong,
          )}`,
        );
      }
    }
  }
  const api = figures.apiserverRequests as
    | {
        initial: { list: number; expectedListPages: number };
        steadyState: { list: number };
        relists: { listPages: number };
      }
    | undefined;
  if (!api || api.initial.list < api.initial.expectedListPages) {
    problems.push(
      `the apiservers counted ${api?.initial.list} initial LISTs of VMs, expected at least ${api?.initial.expectedListPages}`,
    );
  } else if (api.steadyState.list > api.relists.listPages) {
    problems.push(
      `${api.steadyState.list} LISTs of VMs in steady state, but the provider's relists account for only ${api.relists.listPages}`,
    );
  }
}
