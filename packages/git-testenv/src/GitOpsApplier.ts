/*
 * What Argo CD or Flux would do after a merge: apply every manifest under
 * `clusters/<cluster>/` of the merged commit to that cluster with server-side apply,
 * finding each kind's REST path through the apiserver's discovery, then prune the
 * objects the commit's first parent held and the merged commit no longer does.
 */
import {
  describeError,
  errorStatus,
  kubeConfigFor,
  kubeRequest,
  ResourcePaths,
} from '@vmportal/kube-testenv';
import { GitRepository } from './git/GitRepository';
import { MergeEvent } from './github/ApiContext';
import {
  ClusterManifest,
  readClusterManifests,
} from './gitops/readClusterManifests';
import { staleManifests } from './gitops/staleManifests';
import { KubernetesManifest } from './gitops/syncOrder';

/**
 * A cluster manifests are applied to, in the shape of the Kubernetes plugin's config
 * clusters (`url`, `serviceAccountToken` as `token`, `caData`).
 *
 * @public
 */
export interface GitOpsCluster {
  /** The directory name under `clusters/`. */
  name: string;
  /** The apiserver, for example https://127.0.0.1:6443 */
  url: string;
  /** A bearer token allowed to apply the manifests. */
  token: string;
  /** Base64 of the PEM CA bundle that signed the apiserver's certificate (default: the system's). */
  caData?: string;
}

/**
 * What happened to one object, or to one file that could not be read. A pruned object
 * is `deleted` (with the message `already gone` when the cluster no longer had it) and
 * names the file that held it before the merge.
 *
 * @public
 */
export interface GitOpsApplyResult {
  cluster: string;
  file: string;
  outcome: 'applied' | 'deleted' | 'failed' | 'skipped';
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  /** Why it failed or was skipped; for a failure, the apiserver's own message where it gave one. */
  message?: string;
}

/** The field manager that owns what the applier sets, as a GitOps controller's would. */
const DEFAULT_FIELD_MANAGER = 'git-testenv-gitops';

function describe(result: GitOpsApplyResult) {
  const object = result.kind
    ? ` ${result.kind} ${result.namespace ? `${result.namespace}/` : ''}${
        result.name
      }`
    : '';
  return `${result.cluster} ${result.file}${object}: ${result.message}`;
}

function resultBase({ cluster, file, manifest }: ClusterManifest) {
  return {
    cluster,
    file,
    apiVersion: manifest.apiVersion,
    kind: manifest.kind,
    namespace: manifest.metadata.namespace,
    name: manifest.metadata.name,
  };
}

/**
 * An object's REST path without the API version, so that the same object written with
 * two versions, or with and without `namespace: default`, compares equal.
 */
function objectPath(restPath: string): string {
  const segments = restPath.split('/');
  // ['', 'api', version, ...] or ['', 'apis', group, version, ...]
  segments.splice(segments[1] === 'api' ? 2 : 3, 1);
  return segments.join('/');
}

/**
 * Applies the manifests of merged commits to clusters, the way a GitOps controller
 * syncs a repository.
 *
 * @public
 */
export class GitOpsApplier {
  private readonly clusters: Map<string, ResourcePaths>;
  private readonly fieldManager: string;

  private constructor(clusters: GitOpsCluster[], fieldManager: string) {
    this.clusters = new Map(
      clusters.map(c => [
        c.name,
        new ResourcePaths(
          kubeConfigFor({ ...c, caData: c.caData ?? '' }, 'gitops'),
        ),
      ]),
    );
    this.fieldManager = fieldManager;
  }

  static create(options: {
    clusters: GitOpsCluster[];
    /** Defaults to `git-testenv-gitops`. */
    fieldManager?: string;
  }): GitOpsApplier {
    return new GitOpsApplier(
      options.clusters,
      options.fieldManager ?? DEFAULT_FIELD_MANAGER,
    );
  }

  /**
   * Applies every manifest of a commit, in order, then prunes: deletes, in reverse
   * order, each object that a manifest of the commit's first parent held and no
   * manifest of the commit holds. Reports each. Never throws for a manifest or a
   * cluster that fails; only for a repository that cannot be read.
   *
   * As Flux does, a cluster is pruned only when every manifest for it was read and
   * applied: a file broken by the merge must not delete what it used to hold.
   */
  async applyCommit(options: {
    repoPath: string;
    sha: string;
  }): Promise<GitOpsApplyResult[]> {
    const [previousSha] = (
      await GitRepository.open(options.repoPath).readCommit(options.sha)
    ).parents;
    const { manifests, problems } = await readClusterManifests(
      options.repoPath,
      options.sha,
    );
    const results: GitOpsApplyResult[] = problems.map(problem => ({
      ...problem,
      outcome: 'failed',
    }));
    const unsynced = new Set(problems.map(problem => problem.cluster));
    const applied = new Map<string, Set<string>>();
    for (const entry of manifests) {
      const base = resultBase(entry);
      const paths = this.clusters.get(entry.cluster);
      if (!paths) {
        results.push({
          ...base,
          outcome: 'skipped',
          message: `no cluster named ${entry.cluster} is configured`,
        });
        continue;
      }
      try {
        const path = await this.apply(paths, entry.manifest);
        const clusterPaths = applied.get(entry.cluster) ?? new Set();
        applied.set(entry.cluster, clusterPaths.add(objectPath(path)));
        results.push({ ...base, outcome: 'applied' });
      } catch (error) {
        unsynced.add(entry.cluster);
        results.push({
          ...base,
          outcome: 'failed',
          message: error instanceof Error ? error.message : String(error),
        });
      }
    }
    if (previousSha) {
      const previous = await readClusterManifests(
        options.repoPath,
        previousSha,
      );
      for (const entry of staleManifests(previous.manifests, manifests)) {
        const result = await this.prune(
          entry,
          unsynced.has(entry.cluster),
          applied.get(entry.cluster) ?? new Set(),
        );
        if (result) {
          results.push(result);
        }
      }
    }
    return results;
  }

  /**
   * A merge hook for {@link GitHubApiServer}: applies and prunes the merged commit and
   * rejects, naming each failed file and the apiserver's message, if anything failed.
   */
  mergeHandler(): (event: MergeEvent) => Promise<void> {
    return async event => {
      const results = await this.applyCommit(event);
      const failed = results.filter(result => result.outcome === 'failed');
      if (failed.length > 0) {
        throw new Error(
          `GitOps apply of ${event.owner}/${event.repo}@${
            event.sha
          } failed: ${failed.map(describe).join('; ')}`,
        );
      }
    };
  }

  /** Applies a manifest; resolves to the object's REST path. */
  private async apply(
    paths: ResourcePaths,
    manifest: KubernetesManifest,
  ): Promise<string> {
    const path = await paths.item(manifest);
    const query = new URLSearchParams({
      fieldManager: this.fieldManager,
      force: 'true',
    });
    try {
      await kubeRequest(
        paths.kubeConfig,
        'PATCH',
        `${path}?${query}`,
        manifest,
        'application/apply-patch+yaml',
      );
    } catch (error) {
      throw new Error(`apiserver refused it: ${describeError(error)}`);
    }
    return path;
  }

  /**
   * Deletes an object the repository no longer holds, with background propagation as
   * Argo CD and Flux do; undefined when it turns out to be an object just applied.
   */
  private async prune(
    entry: ClusterManifest,
    unsynced: boolean,
    appliedPaths: Set<string>,
  ): Promise<GitOpsApplyResult | undefined> {
    const base = resultBase(entry);
    const paths = this.clusters.get(entry.cluster);
    if (!paths) {
      return {
        ...base,
        outcome: 'skipped',
        message: `no cluster named ${entry.cluster} is configured`,
      };
    }
    if (unsynced) {
      return {
        ...base,
        outcome: 'skipped',
        message: `not pruned: a manifest for ${entry.cluster} failed, and pruning waits for a complete sync`,
      };
    }
    let path: string;
    try {
      path = await paths.item(entry.manifest);
    } catch (error) {
      return {
        ...base,
        outcome: 'failed',
        message: error instanceof Error ? error.message : String(error),
      };
    }
    if (appliedPaths.has(objectPath(path))) {
      return undefined;
    }
    try {
      await kubeRequest(
        paths.kubeConfig,
        'DELETE',
        `${path}?propagationPolicy=Background`,
      );
      return { ...base, outcome: 'deleted' };
    } catch (error) {
      if (errorStatus(error) === 404) {
        return { ...base, outcome: 'deleted', message: 'already gone' };
      }
      return {
        ...base,
        outcome: 'failed',
        message: `apiserver refused to delete it: ${describeError(error)}`,
      };
    }
  }
}
