import { Agent, request as httpsRequest } from 'node:https';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  ClusterInfo,
  kubeConfigFor,
  kubeRequest,
  waitUntil,
} from '@vmportal/kube-testenv';
import { join } from 'node:path';
import { countAllRequests } from '../lib/apiserverMetrics';
import { describeFlags, parseFlags } from '../lib/args';
import { RunCleanup } from '../lib/cleanup';
import { startBenchControlPlane } from '../lib/controlPlane';
import { benchVersions, currentLoad, machineInfo } from '../lib/environment';
import { OpenLoopResult, openLoop } from '../lib/openLoop';
import { mib } from '../lib/proc';
import {
  BenchResult,
  outputFlags,
  progressLogger,
  scratchDir,
  writeResult,
} from '../lib/results';
import { ratio, seconds, summarize } from '../lib/stats';
import { BackendWorker } from '../catalog/BackendWorker';
import { oursView } from '../catalog/changes';
import {
  BenchVm,
  benchNamespaces,
  createNamespaces,
  createVms,
  initialVm,
  vmCollectionPath,
} from '../catalog/virtualMachines';

const flags = {
  rate: {
    type: 'number',
    default: 50,
    min: 0.5,
    max: 1000,
    help: 'requests per second, for each of the two streams',
  },
  seconds: {
    type: 'int',
    default: 60,
    min: 1,
    max: 3600,
    help: 'how long each stream runs',
  },
  warmup: {
    type: 'int',
    default: 5,
    min: 0,
    max: 600,
    help: 'seconds of the same load before measuring (not counted)',
  },
  vms: {
    type: 'int',
    default: 20,
    min: 1,
    max: 2000,
    help: 'running VMs the requests cycle through',
  },
  clusters: {
    type: 'int',
    default: 1,
    min: 1,
    max: 10,
    help: 'local clusters to spread them over',
  },
  'request-timeout': {
    type: 'int',
    default: 30,
    min: 1,
    max: 600,
    help: 'seconds before one request counts as failed',
  },
  ...outputFlags,
  name: {
    type: 'string',
    default: '',
    help: 'result name (default page-<rate>rps-<seconds>s)',
  },
} as const;

/** Usage of `npm run bench -- page`. */
export const pageUsage = `npm run bench -- page [flags]

  Starts running VMs (KubeVirt simulator) and a backend with the catalog, the KubeVirt
  provider and the kubevirt backend plugin; then, at the same time and the same rate,
  requests the VM page API (GET /api/kubevirt/v1/entities/default/component/<vm>/vm:
  catalog lookup, permission checks, the VM, its VMI, launcher pod, volumes and
  events) and, as the floor, issues the same apiserver reads a page view needs (the
  VM, its VMI, its events, its pods, the launcher pod's events) straight to the
  apiserver, all at once, with the portal's reader token. Reports p50/p95/p99 of
  both and their ratios.

${describeFlags(flags)}`;

/** A keep-alive GET of a path on the apiserver with the portal's reader token. */
function directGetter(cluster: ClusterInfo) {
  const agent = new Agent({
    keepAlive: true,
    ca: Buffer.from(cluster.caData, 'base64'),
  });
  return (path: string, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const req = httpsRequest(
        new URL(path, cluster.url),
        {
          agent,
          signal,
          headers: {
            Authorization: `Bearer ${cluster.readerToken}`,
            Accept: 'application/json',
          },
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', chunk => chunks.push(chunk));
          res.on('end', () => {
            if (res.statusCode === 200) {
              JSON.parse(Buffer.concat(chunks).toString('utf8'));
              resolve();
            } else reject(new Error(`apiserver answered ${res.statusCode}`));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
}

async function waitForRunning(
  vms: BenchVm[],
  clusters: ClusterInfo[],
  namespaces: string[],
  timeoutMs: number,
): Promise<void> {
  await waitUntil(
    'every VM Running (simulator)',
    timeoutMs,
    async () => {
      let running = 0;
      for (const cluster of clusters) {
        for (const namespace of namespaces) {
          const list = await kubeRequest<{
            items: Array<{ status?: { printableStatus?: string } }>;
          }>(kubeConfigFor(cluster), 'GET', vmCollectionPath(namespace));
          running += list.items.filter(
            vm => vm.status?.printableStatus === 'Running',
          ).length;
        }
      }
      return running >= vms.length ? true : undefined;
    },
    1000,
  );
}

function streamFigures(result: OpenLoopResult) {
  return {
    sent: result.sent,
    ok: result.ok,
    errors: result.errorCount,
    firstErrors: result.errors,
    achievedRatePerSecond:
      Math.round((result.sent / (result.durationMs / 1000)) * 10) / 10,
    latency: summarize(result.latencies),
  };
}

/** Runs `npm run bench -- page ...`; resolves with the process exit code. */
export async function runPageBenchmark(argv: string[]): Promise<number> {
  const options = parseFlags(argv, flags, pageUsage);
  const startedAt = Date.now();
  const date = new Date(startedAt).toISOString();
  const log = progressLogger('page', startedAt);
  const cleanup = new RunCleanup(log);
  cleanup.limit((20 * 60 + 3 * (options.seconds + options.warmup)) * 1000);
  const name = options.name || `page-${options.rate}rps-${options.seconds}s`;
  const dir = scratchDir(name, options['state-dir']);
  const machine = machineInfo();
  const problems: string[] = [];
  try {
    const plane = await startBenchControlPlane({
      dir,
      clusters: options.clusters,
      simulator: true,
      cleanup,
      log,
    });
    const clusters = plane.clusters;
    const versions = await benchVersions(clusters[0]);
    const layout = { clusters, namespaces: benchNamespaces(2) };
    await createNamespaces(layout);
    const vms = Array.from({ length: options.vms }, (_, i) =>
      initialVm(i, layout),
    );
    await createVms(vms, clusters, { concurrency: 8, progress: () => {} });
    log(`created ${vms.length} VMs; waiting for the simulator to run them`);
    await waitForRunning(vms, clusters, layout.namespaces, 300_000);

    const worker = await BackendWorker.start(
      {
        mode: 'page',
        database: { client: 'better-sqlite3', connection: ':memory:' },
        clusters,
      },
      join(dir, 'logs', 'page.log'),
    );
    cleanup.add('page backend', () => worker.kill());
    await waitUntil(
      'every VM in the catalog',
      300_000,
      async () =>
        (await worker.countFinal()) >= vms.length ? true : undefined,
      250,
    );
    log(`backend ready, ${vms.length} VM entities in the catalog`);

    const direct = new Map(clusters.map(c => [c.name, directGetter(c)]));
    // The floor: what one page view reads, issued at once (the launcher pod's name
    // looked up beforehand, as a client that already knew it would).
    const floorReads = await Promise.all(
      vms.map(async vm => {
        const cluster = clusters.find(c => c.name === vm.cluster)!;
        const ns = `/api/v1/namespaces/${vm.namespace}`;
        const pods = await kubeRequest<{
          items: Array<{ metadata: { name: string } }>;
        }>(
          kubeConfigFor(cluster),
          'GET',
          `${ns}/pods?labelSelector=${encodeURIComponent(
            `vm.kubevirt.io/name=${vm.name}`,
          )}`,
        );
        const pod = pods.items[0]?.metadata.name ?? `virt-launcher-${vm.name}`;
        const events = (selector: string) =>
          `${ns}/events?fieldSelector=${encodeURIComponent(selector)}`;
        return [
          `${vmCollectionPath(vm.namespace)}/${vm.name}`,
          `/apis/kubevirt.io/v1/namespaces/${vm.namespace}/virtualmachineinstances/${vm.name}`,
          events(`involvedObject.name=${vm.name}`),
          `${ns}/pods?labelSelector=${encodeURIComponent(
            `vm.kubevirt.io/name=${vm.name}`,
          )}`,
          events(`involvedObject.name=${pod},involvedObject.kind=Pod`),
        ];
      }),
    );
    const auth = { Authorization: mockCredentials.user.header() };
    const pageRequest = async (i: number, signal: AbortSignal) => {
      const vm = vms[i % vms.length];
      const response = await fetch(
        `${
          worker.baseUrl
        }/api/kubevirt/v1/entities/default/component/${encodeURIComponent(
          oursView.entityName(vm),
        )}/vm`,
        { headers: auth, signal },
      );
      const body = (await response.json()) as { name?: string };
      if (response.status !== 200 || body.name !== vm.name) {
        throw new Error(
          `page API answered ${response.status}: ${JSON.stringify(body).slice(
            0,
            200,
          )}`,
        );
      }
    };
    const directRequest = async (i: number, signal: AbortSignal) => {
      const vm = vms[i % vms.length];
      const get = direct.get(vm.cluster)!;
      await Promise.all(
        floorReads[i % vms.length].map(path => get(path, signal)),
      );
    };
    const both = (secondsToRun: number) =>
      Promise.all([
        openLoop({
          rate: options.rate,
          seconds: secondsToRun,
          timeoutMs: options['request-timeout'] * 1000,
          request: pageRequest,
        }),
        openLoop({
          rate: options.rate,
          seconds: secondsToRun,
          timeoutMs: options['request-timeout'] * 1000,
          request: directRequest,
        }),
      ]);
    if (options.warmup > 0) {
      log(`warming up for ${options.warmup} s`);
      await both(options.warmup);
    }
    log(
      `measuring: ${options.rate} views/s through the page API and ${options.rate}/s of the same reads straight to the apiserver, for ${options.seconds} s`,
    );
    const cpuBefore = worker.stats()?.cpuSeconds ?? 0;
    const countAll = async () =>
      (await Promise.all(clusters.map(countAllRequests))).reduce(
        (a, b) => a + b,
        0,
      );
    const requestsBefore = await countAll();
    const [page, apiserver] = await both(options.seconds);
    // Everything the apiservers answered meanwhile, less the floor's reads, per page
    // view (the simulator's few requests included: an upper bound).
    const floorReadsPerView = floorReads[0].length;
    const requestsPerView =
      Math.round(
        (((await countAll()) -
          requestsBefore -
          apiserver.sent * floorReadsPerView) /
          page.sent) *
          10,
      ) / 10;
    const stats = await worker.stop();

    const pageFigures = streamFigures(page);
    const directFigures = streamFigures(apiserver);
    const figures = {
      pageApi: {
        ...pageFigures,
        backendCpuSecondsPerSecond:
          Math.round(
            (((stats?.cpuSeconds ?? 0) - cpuBefore) / options.seconds) * 100,
          ) / 100,
        backendPeakRssMiB: mib(stats?.peakRssBytes ?? 0),
        apiserverRequestsPerView: requestsPerView,
      },
      /** The floor: a page view's apiserver reads, issued directly and at once. */
      directApiserverReads: {
        ...directFigures,
        readsPerView: floorReadsPerView,
      },
      ratio:
        pageFigures.latency && directFigures.latency
          ? {
              p50: ratio(
                pageFigures.latency.p50Ms,
                directFigures.latency.p50Ms,
              ),
              p95: ratio(
                pageFigures.latency.p95Ms,
                directFigures.latency.p95Ms,
              ),
              p99: ratio(
                pageFigures.latency.p99Ms,
                directFigures.latency.p99Ms,
              ),
            }
          : undefined,
    };
    for (const [label, stream] of [
      ['page API', pageFigures],
      ['direct reads', directFigures],
    ] as const) {
      if (stream.ok !== stream.sent) {
        problems.push(
          `${label}: ${stream.sent - stream.ok} of ${
            stream.sent
          } requests failed (${stream.firstErrors[0]})`,
        );
      }
      if (!stream.latency || stream.latency.p50Ms <= 0) {
        problems.push(`${label}: no latency measured`);
      }
    }
    const result: BenchResult = {
      benchmark: 'page',
      name,
      date,
      command: `npm run bench -- page ${argv.join(' ')}`.trim(),
      ok: problems.length === 0,
      problems,
      parameters: {
        ratePerSecond: options.rate,
        seconds: options.seconds,
        warmupSeconds: options.warmup,
        vms: options.vms,
        clusters: options.clusters,
        db: 'sqlite',
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
