import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ControlPlane,
  startControlPlane,
  stopControlPlane,
} from '@vmportal/kube-testenv';
import type { RunCleanup } from './cleanup';

/**
 * A fresh control plane (no objects from an earlier run) in `<dir>/kube`, stopped
 * and removed by `cleanup`.
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
    // etcd data of a large run takes gigabytes; the run's logs stay.
    rmSync(dir, { recursive: true, force: true });
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
