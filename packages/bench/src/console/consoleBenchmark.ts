import { join } from 'node:path';
import { mockCredentials } from '@backstage/backend-test-utils';
import { waitUntil } from '@vmportal/kube-testenv';
import { describeFlags, parseFlags } from '../lib/args';
import { RunCleanup } from '../lib/cleanup';
import { startBenchControlPlane } from '../lib/controlPlane';
import { benchVersions, currentLoad, machineInfo } from '../lib/environment';
import { mib } from '../lib/proc';
import {
  BenchResult,
  outputFlags,
  progressLogger,
  scratchDir,
  writeResult,
} from '../lib/results';
import { LatencySummary, ratio, seconds, summarize } from '../lib/stats';
import { oursView } from '../catalog/changes';
import {
  benchNamespaces,
  createNamespaces,
  createVms,
  initialVm,
} from '../catalog/virtualMachines';
import { ConsoleBackend } from './ConsoleBackend';
import {
  ConsoleRoute,
  ConsoleTarget,
  openConsole,
  relayConsolePath,
} from './openConsole';
import { CpuMeter, CpuTally, findProcess } from './processCpu';
import { keystrokeRoundTrips } from './serialKeystrokes';
import {
  FramebufferStream,
  RfbScreen,
  rfbHandshake,
  streamFramebuffer,
} from './vncFramebufferStream';

const flags = {
  samples: {
    type: 'int',
    default: 500,
    min: 10,
    max: 100_000,
    help: 'serial keystroke round trips measured on each route',
  },
  rounds: {
    type: 'int',
    default: 10,
    min: 1,
    max: 1000,
    help: 'serial sessions per route the samples are split over, the routes taking turns',
  },
  'warmup-keys': {
    type: 'int',
    default: 10,
    min: 0,
    max: 1000,
    help: 'keystrokes at the start of each serial session not counted',
  },
  seconds: {
    type: 'int',
    default: 10,
    min: 1,
    max: 3600,
    help: 'seconds of VNC framebuffer updates measured on each route',
  },
  'vnc-rounds': {
    type: 'int',
    default: 2,
    min: 1,
    max: 100,
    help: 'VNC sessions per route the seconds are split over, the routes taking turns',
  },
  'vnc-warmup': {
    type: 'int',
    default: 2,
    min: 0,
    max: 60,
    help: 'seconds of framebuffer updates on each route before measuring (not counted)',
  },
  window: {
    type: 'int',
    default: 2,
    min: 1,
    max: 64,
    help: 'FramebufferUpdateRequests outstanding at a time',
  },
  vms: {
    type: 'int',
    default: 3,
    min: 1,
    max: 200,
    help: 'running VMs (the first one is measured)',
  },
  timeout: {
    type: 'int',
    default: 30,
    min: 1,
    max: 600,
    help: 'seconds before one echo, handshake step or session open counts as failed',
  },
  ...outputFlags,
  name: {
    type: 'string',
    default: '',
    help: 'result name (default console-<samples>keys-<seconds>s)',
  },
} as const;

/** Usage of `npm run bench -- console`. */
export const consoleUsage = `npm run bench -- console [flags]

  Starts running VMs (KubeVirt simulator) and a backend with the catalog, the KubeVirt
  provider and the kubevirt backend plugin (with the cluster's actor credential), then
  measures one VM's consoles two ways, the routes taking turns on the same VM: through
  the portal's relay (ws://<backend>/api/kubevirt/v1/entities/.../console/serial|vnc,
  the user's token as a subprotocol) and, as the floor, straight to KubeVirt's
  console/vnc subresource through the apiserver with the same actor token.

  Latency: serial keystroke round trips (one key, until its echo is back) at the
  guest's login prompt; p50/p95/p99 of both and the latency the relay adds.
  Throughput: after an RFB 3.8 handshake, full-screen FramebufferUpdateRequests
  (Raw, 720x400x4 bytes each) for --seconds; MB/s of both and their ratio. The
  simulator renders every update, so when the two are equal the simulator, not the
  relay, is the ceiling. CPU seconds per second of the backend, the simulator, the
  apiserver and this process during each phase.

${describeFlags(flags)}`;

/** Splits `total` into `parts` whole shares that add up to it. */
function shares(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) =>
      Math.floor((total * (i + 1)) / parts) - Math.floor((total * i) / parts),
  );
}

/** Round `i` of a phase: relay first in even rounds, direct first in odd ones. */
function turnOrder(i: number): ConsoleRoute[] {
  return i % 2 === 0 ? ['relay', 'direct'] : ['direct', 'relay'];
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

function added(
  relay: LatencySummary | undefined,
  direct: LatencySummary | undefined,
) {
  if (!relay || !direct) return undefined;
  return {
    p50: round1(relay.p50Ms - direct.p50Ms),
    p95: round1(relay.p95Ms - direct.p95Ms),
    p99: round1(relay.p99Ms - direct.p99Ms),
    mean: round1(relay.meanMs - direct.meanMs),
  };
}

/** Runs `npm run bench -- console ...`; resolves with the process exit code. */
export async function runConsoleBenchmark(argv: string[]): Promise<number> {
  const options = parseFlags(argv, flags, consoleUsage);
  const startedAt = Date.now();
  const date = new Date(startedAt).toISOString();
  const log = progressLogger('console', startedAt);
  const cleanup = new RunCleanup(log);
  const timeoutMs = options.timeout * 1000;
  cleanup.limit(
    (20 * 60 +
      3 * (options.seconds + options['vnc-warmup']) +
      (options.samples * 2 * options.timeout) / 100) *
      1000,
  );
  const name =
    options.name || `console-${options.samples}keys-${options.seconds}s`;
  const dir = scratchDir(name, options['state-dir']);
  const machine = machineInfo();
  const problems: string[] = [];
  try {
    const plane = await startBenchControlPlane({
      dir,
      clusters: 1,
      simulator: true,
      cleanup,
      log,
    });
    const [cluster] = plane.clusters;
    const versions = await benchVersions(cluster);
    const layout = { clusters: [cluster], namespaces: benchNamespaces(1) };
    await createNamespaces(layout);
    const vms = Array.from({ length: options.vms }, (_, i) =>
      initialVm(i, layout),
    );
    await createVms(vms, [cluster], { concurrency: 4, progress: () => {} });
    log(`created ${vms.length} VMs`);

    const backend = await ConsoleBackend.start(
      [cluster],
      join(dir, 'logs', 'console-backend.log'),
    );
    cleanup.add('console backend', () => backend.stop());
    const vm = vms[0];
    const target: ConsoleTarget = {
      backendUrl: backend.baseUrl,
      entityName: oursView.entityName(vm),
      userToken: mockCredentials.user.token(),
      cluster,
      namespace: vm.namespace,
      name: vm.name,
    };
    // The console check route answers 200 once the VM is in the catalog and its VMI
    // runs; as the first request to /api/kubevirt it also shows the relay its server.
    await waitUntil(
      `the console of ${vm.name} available through the backend`,
      300_000,
      async () => {
        const response = await fetch(
          `${backend.baseUrl}${relayConsolePath(target.entityName, 'serial')}`,
          { headers: { Authorization: mockCredentials.user.header() } },
        );
        await response.arrayBuffer();
        return response.status === 200 ? true : undefined;
      },
      500,
    );
    log(`backend ready; measuring the consoles of ${vm.namespace}/${vm.name}`);

    const simulatorPid = findProcess(['simulate', plane.dir]);
    const apiserverPid = findProcess(['kube-apiserver', plane.dir]);
    if (!simulatorPid) problems.push('the simulator process was not found');
    if (!apiserverPid) problems.push('the apiserver process was not found');
    const meter = new CpuMeter({
      backend: backend.pid,
      simulator: simulatorPid,
      apiserver: apiserverPid,
    });
    const tally = (): Record<ConsoleRoute, CpuTally> => ({
      relay: new CpuTally(meter),
      direct: new CpuTally(meter),
    });

    // Latency: serial keystrokes, the routes taking turns on the VM's one serial
    // session (KubeVirt keeps one per VM: opening a second ends the first).
    const keystrokes = { relay: [] as number[], direct: [] as number[] };
    const opens = { relay: [] as number[], direct: [] as number[] };
    const serialCpu = tally();
    const perRound = shares(options.samples, options.rounds);
    for (let i = 0; i < options.rounds; i++) {
      for (const route of turnOrder(i)) {
        const session = await openConsole(route, 'serial', target, timeoutMs);
        opens[route].push(session.openMs);
        try {
          // CPU is counted while keys go back and forth, not while the session opens.
          keystrokes[route].push(
            ...(await serialCpu[route].measure(() =>
              keystrokeRoundTrips(session, {
                count: perRound[i],
                warmup: options['warmup-keys'],
                timeoutMs,
              }),
            )),
          );
        } finally {
          await session.close();
        }
      }
      log(
        `serial round ${i + 1}/${options.rounds}: ${
          keystrokes.relay.length
        } keystrokes each way`,
      );
    }

    // Throughput: VNC framebuffer updates, same turns.
    const streams: Record<ConsoleRoute, FramebufferStream[]> = {
      relay: [],
      direct: [],
    };
    let screen: RfbScreen | undefined;
    const vncSession = async (
      route: ConsoleRoute,
      secondsToRun: number,
      cpu?: CpuTally,
    ): Promise<FramebufferStream> => {
      const session = await openConsole(route, 'vnc', target, timeoutMs);
      try {
        const shown = await rfbHandshake(session, timeoutMs);
        screen = shown;
        const stream = () =>
          streamFramebuffer(session, shown, {
            seconds: secondsToRun,
            window: options.window,
          });
        return await (cpu ? cpu.measure(stream) : stream());
      } finally {
        await session.close();
      }
    };
    if (options['vnc-warmup'] > 0) {
      log(`VNC warm-up: ${options['vnc-warmup']} s each way`);
      for (const route of turnOrder(0)) {
        await vncSession(route, options['vnc-warmup']);
      }
    }
    const vncCpu = tally();
    const vncShares = shares(options.seconds, options['vnc-rounds']);
    for (let i = 0; i < options['vnc-rounds']; i++) {
      for (const route of turnOrder(i)) {
        if (vncShares[i] === 0) continue;
        streams[route].push(
          await vncSession(route, vncShares[i], vncCpu[route]),
        );
      }
      log(`VNC round ${i + 1}/${options['vnc-rounds']} done`);
    }
    const backendStats = backend.stats();
    await backend.stop();

    const serialFigures = (route: ConsoleRoute) => ({
      latency: summarize(keystrokes[route]),
      sessionOpen: summarize(opens[route]),
      cpuSecondsPerSecond: serialCpu[route].perSecond(),
      /** Backend CPU per timed keystroke, the untimed DEL that erases it included. */
      backendCpuMsPerKeystroke: round2(
        (serialCpu[route].cpuSeconds('backend') * 1000) /
          Math.max(1, keystrokes[route].length),
      ),
    });
    const vncFigures = (route: ConsoleRoute) => {
      const bytes = streams[route].reduce((a, s) => a + s.bytes, 0);
      const frames = streams[route].reduce((a, s) => a + s.frames, 0);
      const durationS =
        streams[route].reduce((a, s) => a + s.durationMs, 0) / 1000;
      return {
        bytes,
        frames,
        seconds: round2(durationS),
        /** Megabytes (10^6 bytes) per second. */
        megabytesPerSecond: round1(bytes / 1e6 / Math.max(durationS, 1e-9)),
        framesPerSecond: round1(frames / Math.max(durationS, 1e-9)),
        cpuSecondsPerSecond: vncCpu[route].perSecond(),
      };
    };
    const serial = {
      relay: serialFigures('relay'),
      direct: serialFigures('direct'),
    };
    const vnc = { relay: vncFigures('relay'), direct: vncFigures('direct') };
    const throughputRatio =
      vnc.direct.megabytesPerSecond > 0
        ? ratio(vnc.relay.megabytesPerSecond, vnc.direct.megabytesPerSecond)
        : undefined;
    const simulatorBusy = vnc.direct.cpuSecondsPerSecond.simulator ?? 0;
    // What relaying costs the backend: its CPU while relaying, less what it spends
    // idle meanwhile (its rate during the direct sessions), per megabyte relayed.
    const idleRate =
      vncCpu.direct.cpuSeconds('backend') /
      Math.max(vncCpu.direct.seconds, 1e-9);
    const relayCpuMsPerMegabyte =
      vnc.relay.bytes > 0
        ? round2(
            ((vncCpu.relay.cpuSeconds('backend') -
              idleRate * vncCpu.relay.seconds) *
              1000) /
              (vnc.relay.bytes / 1e6),
          )
        : undefined;
    const figures = {
      vm: {
        entityRef: `component:default/${target.entityName}`,
        cluster: cluster.name,
        namespace: vm.namespace,
        name: vm.name,
      },
      serialKeystroke: {
        ...serial,
        /** Relay minus direct, ms, at each percentile. */
        addedLatencyMs: added(serial.relay.latency, serial.direct.latency),
        ratio:
          serial.relay.latency && serial.direct.latency
            ? {
                p50: ratio(
                  serial.relay.latency.p50Ms,
                  serial.direct.latency.p50Ms,
                ),
                p95: ratio(
                  serial.relay.latency.p95Ms,
                  serial.direct.latency.p95Ms,
                ),
                p99: ratio(
                  serial.relay.latency.p99Ms,
                  serial.direct.latency.p99Ms,
                ),
              }
            : undefined,
        addedSessionOpenMs: added(
          serial.relay.sessionOpen,
          serial.direct.sessionOpen,
        ),
      },
      vncFramebuffer: {
        screen,
        frameBytes: screen
          ? 16 + screen.width * screen.height * (screen.bitsPerPixel / 8)
          : undefined,
        window: options.window,
        ...vnc,
        /** Relay MB/s over direct MB/s. */
        relayToDirect: throughputRatio,
        /**
         * The simulator renders every update pixel by pixel: at about one core busy on
         * the direct route, the direct figure is the simulator's ceiling, not the path's.
         */
        simulatorCpuSecondsPerSecondDirect: simulatorBusy,
        /** Backend CPU ms per MB relayed, net of its idle rate. */
        relayBackendCpuMsPerMegabyte: relayCpuMsPerMegabyte,
        /**
         * MB/s one fully busy backend core could relay at that cost: an estimate of the
         * relay's own ceiling, which the simulator keeps the measurement from reaching.
         */
        relayCeilingEstimateMegabytesPerSecond:
          relayCpuMsPerMegabyte && relayCpuMsPerMegabyte > 0
            ? Math.round(1000 / relayCpuMsPerMegabyte)
            : undefined,
        limitedBy:
          throughputRatio !== undefined && throughputRatio >= 0.9
            ? 'simulator (relay within 10% of direct)'
            : 'relay (relay more than 10% below direct)',
      },
      backendPeakRssMiB: mib(backendStats?.peakRssBytes ?? 0),
    };

    for (const route of ['relay', 'direct'] as const) {
      const latency = serial[route].latency;
      if (!latency || latency.count !== options.samples) {
        problems.push(
          `${route}: ${latency?.count ?? 0} of ${
            options.samples
          } keystroke round trips measured`,
        );
      }
      if (latency && latency.p50Ms <= 0) {
        problems.push(`${route}: keystroke p50 is not positive`);
      }
      if (vnc[route].frames === 0) {
        problems.push(`${route}: no whole framebuffer update received`);
      }
    }
    if ((vnc.relay.cpuSecondsPerSecond.backend ?? 0) <= 0) {
      problems.push('the backend used no CPU while relaying VNC: not measured');
    }
    const result: BenchResult = {
      benchmark: 'console',
      name,
      date,
      command: `npm run bench -- console ${argv.join(' ')}`.trim(),
      ok: problems.length === 0,
      problems,
      parameters: {
        samples: options.samples,
        rounds: options.rounds,
        warmupKeys: options['warmup-keys'],
        seconds: options.seconds,
        vncRounds: options['vnc-rounds'],
        vncWarmupSeconds: options['vnc-warmup'],
        window: options.window,
        vms: options.vms,
        clusters: 1,
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
