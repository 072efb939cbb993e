import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  ClusterInfo,
  ensureBinaries,
  kubeConfigFor,
  kubeRequest,
} from '@vmportal/kube-testenv';

/** The repository's root folder. */
export function repoRoot(): string {
  return resolve(resolvePackagePath('@vmportal/bench'), '..', '..');
}

/** The installed version of a package, or `unknown`. */
export function packageVersion(name: string): string {
  try {
    const file = resolvePackagePath(name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

/** Versions a result depends on. */
export interface BenchVersions {
  node: string;
  backstage: string;
  catalogBackend: string;
  backendPluginApi: string;
  kubernetes?: string;
  kubevirt?: string;
  etcd?: string;
  postgresql?: string;
}

/** Node, Backstage and (when a cluster is given) Kubernetes and KubeVirt versions. */
export async function benchVersions(
  cluster?: ClusterInfo,
): Promise<BenchVersions> {
  const backstage = (
    JSON.parse(readFileSync(join(repoRoot(), 'backstage.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const versions: BenchVersions = {
    node: process.version,
    backstage,
    catalogBackend: packageVersion('@backstage/plugin-catalog-backend'),
    backendPluginApi: packageVersion('@backstage/backend-plugin-api'),
  };
  if (cluster) {
    const info = await kubeRequest<{ gitVersion: string }>(
      kubeConfigFor(cluster),
      'GET',
      '/version',
    );
    versions.kubernetes = info.gitVersion;
    // The binaries are built and cached by now: this only reads their manifest.
    const binaries = await ensureBinaries();
    versions.kubevirt = binaries.versions.kubevirt;
    versions.etcd = binaries.versions.etcd;
  }
  return versions;
}

/** The machine a result was measured on. */
export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  /** 1-minute load average when the run started and ended: others share the machine. */
  loadAverageAtStart: number;
  loadAverageAtEnd?: number;
}

/** Cores, memory and load of this machine now. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    loadAverageAtStart: Math.round(loadavg()[0] * 100) / 100,
  };
}

/** The 1-minute load average now. */
export function currentLoad(): number {
  return Math.round(loadavg()[0] * 100) / 100;
}
