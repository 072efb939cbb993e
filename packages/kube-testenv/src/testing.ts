/**
 * Helpers for tests that run against the control plane: the clusters the jest global
 * setup started, throw-away namespaces, a private control plane, and the oracles that
 * render launcher pods with KubeVirt's own code and DataVolume claims with CDI's.
 *
 * @packageDocumentation
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import {
  ClusterInfo,
  ControlPlane,
  readClusters,
  startControlPlane,
} from './ControlPlane';
import { applyObjects, kubeConfigFor, kubeRequest } from './kubeClient';

export { LauncherPodOracle } from './simulator/LauncherPodOracle';
export type {
  OracleAnswer,
  OracleRefusal,
  OracleRequest,
} from './simulator/LauncherPodOracle';
export { DataVolumeOracle } from './simulator/DataVolumeOracle';
export type {
  DataVolumeOracleAnswer,
  DataVolumeOracleClaim,
  DataVolumeOracleRequest,
} from './simulator/DataVolumeOracle';
export { startTestPostgres } from './postgres/startTestPostgres';
export type { TestPostgres } from './postgres/startTestPostgres';

/**
 * The clusters of the control plane the jest global setup provides
 * (`"jest": { "globalSetup": "@vmportal/kube-testenv/jest/globalSetup" }`).
 *
 * @public
 */
export function testClusters(): ClusterInfo[] {
  const dir = process.env.KUBE_TESTENV_DIR;
  if (!dir) {
    throw new Error(
      "KUBE_TESTENV_DIR is not set: add kube-testenv's jest globalSetup to the package's jest config, or run through npm test",
    );
  }
  return readClusters(dir);
}

/**
 * Admin access to one test cluster.
 *
 * @public
 */
export function adminKubeConfig(cluster: ClusterInfo): KubeConfig {
  return kubeConfigFor(cluster);
}

/**
 * Creates a namespace with a unique name (tests share the control plane) and returns
 * its name; `labels` go on the namespace.
 *
 * @public
 */
export async function createTestNamespace(
  cluster: ClusterInfo,
  prefix: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await applyObjects(adminKubeConfig(cluster), [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels },
    } as KubernetesObject,
  ]);
  return name;
}

/**
 * Deletes a namespace made by {@link createTestNamespace}; does not wait.
 *
 * @public
 */
export async function deleteTestNamespace(
  cluster: ClusterInfo,
  name: string,
): Promise<void> {
  await kubeRequest(
    adminKubeConfig(cluster),
    'DELETE',
    `/api/v1/namespaces/${name}`,
  ).catch(() => undefined);
}

/**
 * A control plane of the test's own, for tests that stop or restart an apiserver:
 * the shared one serves other test files at the same time. `stop()` also removes its
 * directory.
 *
 * @public
 */
export async function startPrivateControlPlane(
  clusters = 1,
  options: { simulator?: boolean } = {},
): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'kube-testenv-private-'));
  const plane = await startControlPlane({
    dir,
    clusters,
    simulator: options.simulator ?? false,
  });
  return {
    ...plane,
    stop: async () => {
      await plane.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
