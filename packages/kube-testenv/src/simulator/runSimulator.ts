import { ensureBinaries } from '../binaries';
import type { ClusterInfo } from '../ControlPlane';
import { KubevirtSimulator } from './KubevirtSimulator';
import type { SimulatorTiming } from './SimulatorContext';

/** Options of {@link runSimulator}. */
export interface RunSimulatorOptions {
  clusters: ClusterInfo[];
  log: (line: string) => void;
  /** The oracle binary; default `$KUBE_TESTENV_ORACLE`, else the one `ensureBinaries` builds. */
  oraclePath?: string;
  /** Overrides of how long simulated steps take. */
  timing?: Partial<SimulatorTiming>;
}

/** A running simulator (all clusters). */
export interface RunningSimulator {
  /** Ends every watch, server and oracle process the simulator started. */
  stop(): Promise<void>;
}

/**
 * Runs one {@link KubevirtSimulator} per cluster, with the cluster's admin
 * access. Resolves once each watches its cluster and has registered the
 * subresource API (and waited for it to become Available).
 */
export async function runSimulator(
  options: RunSimulatorOptions,
): Promise<RunningSimulator> {
  const oraclePath =
    options.oraclePath ??
    process.env.KUBE_TESTENV_ORACLE ??
    (await ensureBinaries({ log: options.log })).oracle;
  const started = await Promise.allSettled(
    options.clusters.map(cluster =>
      KubevirtSimulator.start({
        cluster,
        oraclePath,
        log: options.log,
        timing: options.timing,
      }),
    ),
  );
  const simulators = started
    .filter(
      (s): s is PromiseFulfilledResult<KubevirtSimulator> =>
        s.status === 'fulfilled',
    )
    .map(s => s.value);
  const failed = started.find(
    (s): s is PromiseRejectedResult => s.status === 'rejected',
  );
  if (failed) {
    await Promise.all(simulators.map(s => s.stop()));
    throw failed.reason;
  }
  return {
    stop: async () => {
      await Promise.all(simulators.map(s => s.stop()));
    },
  };
}
