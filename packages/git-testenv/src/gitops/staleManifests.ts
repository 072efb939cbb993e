/*
 * What pruning removes after a merge: the objects the repository held before it and no
 * longer holds, as Argo CD (prune enabled) and Flux (`prune: true`) find them.
 */
import { ClusterManifest } from './readClusterManifests';
import { applyOrder, KubernetesManifest } from './syncOrder';

/**
 * One object's identity within a cluster: its API group (not its version, so a manifest
 * moved to a newer version is the same object), kind, namespace and name.
 */
function identity(cluster: string, manifest: KubernetesManifest): string {
  const slash = manifest.apiVersion.lastIndexOf('/');
  const group = slash === -1 ? '' : manifest.apiVersion.slice(0, slash);
  return [
    cluster,
    group,
    manifest.kind,
    manifest.metadata.namespace ?? '',
    manifest.metadata.name,
  ].join('\u0000');
}

/**
 * The manifests of `previous` whose object is in no manifest of `current`, once each,
 * in deletion order: the reverse of apply order within each cluster (virtual machines
 * before the claims they mount, namespaces last).
 *
 * @internal
 */
export function staleManifests(
  previous: ClusterManifest[],
  current: ClusterManifest[],
): ClusterManifest[] {
  const kept = new Set(current.map(m => identity(m.cluster, m.manifest)));
  const stale = new Map<string, ClusterManifest>();
  for (const entry of previous) {
    const key = identity(entry.cluster, entry.manifest);
    if (!kept.has(key) && !stale.has(key)) {
      stale.set(key, entry);
    }
  }
  // Array.prototype.sort is stable: within a wave, file order stays.
  return [...stale.values()].sort(
    (a, b) =>
      a.cluster.localeCompare(b.cluster) ||
      applyOrder(b.manifest) - applyOrder(a.manifest),
  );
}
