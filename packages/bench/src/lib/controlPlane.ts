import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ControlPlane,
  startControlPlane,
  stopControlPlane,
} from '@vmportal/kube-testenv';
import type { RunCleanup } from './cleanup';

/**
 * A fresh control plane (no objects from an earlier run) in `<dir>/kube`, stopped
 * and removed by `cleanup` but for each cluster's `logs` folder (a daemon that
 * exited is explained there).
 */
export async function startBenchControlPlane(options: {
  /** The run's scratch folder (see scratchDir). */
  dir: string;
  clusters: number;
  simulator: boolean;
  cleanup: RunCleanup;
  log: (line: string) => void;
}): Promise<ControlPlane> {
  const dir = join(options.dir, 'kube');
  await stopControlPlane(dir);
  rmSync(dir, { recursive: true, force: true });
  options.cleanup.add('control plane', async () => {
    await stopControlPlane(dir);
    // etcd data of a large run takes gigabytes, and the keys and tokens must not
    // outlive the run; the daemons' logs stay.
    removeAllButLogs(dir);
  });
  options.log(
    `starting ${options.clusters} cluster(s) in ${dir}${
      options.simulator ? ' with the KubeVirt simulator' : ''
    }`,
  );
  return startControlPlane({
    dir,
    clusters: options.clusters,
    simulator: options.simulator,
    log: options.log,
  });
}

function removeAllButLogs(dir: string) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (!entry.isDirectory()) {
      rmSync(path, { force: true });
      continue;
    }
    for (const inner of readdirSync(path)) {
      if (inner !== 'logs')
        rmSync(join(path, inner), { recursive: true, force: true });
    }
  }
}
