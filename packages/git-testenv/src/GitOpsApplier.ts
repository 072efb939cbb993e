/*
 * What Argo CD or Flux would do after a merge: apply every manifest under
 * `clusters/<cluster>/` of the merged commit to that cluster with server-side apply,
 * finding each kind's REST path through the apiserver's discovery.
 */
import {
  describeError,
  kubeConfigFor,
  kubeRequest,
  ResourcePaths,
} from '@vmportal/kube-testenv';
import { MergeEvent } from './github/ApiContext';
import { readClusterManifests } from './gitops/readClusterManifests';
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
 * What happened to one object, or to one file that could not be read.
 *
 * @public
 */
export interface GitOpsApplyResult {
  cluster: string;
  file: string;
  outcome: 'applied' | 'failed' | 'skipped';
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
   * Applies every manifest of a commit, in order, and reports each. Never throws for
   * a manifest or a cluster that fails; only for a repository that cannot be read.
   */
  async applyCommit(options: {
    repoPath: string;
    sha: string;
  }): Promise<GitOpsApplyResult[]> {
    const { manifests, problems } = await readClusterManifests(
      options.repoPath,
      options.sha,
    );
    const results: GitOpsApplyResult[] = problems.map(problem => ({
      ...problem,
      outcome: 'failed',
    }));
    for (const { cluster: clusterName, file, manifest } of manifests) {
      const base = {
        cluster: clusterName,
        file,
        apiVersion: manifest.apiVersion,
        kind: manifest.kind,
        namespace: manifest.metadata.namespace,
        name: manifest.metadata.name,
      };
      const paths = this.clusters.get(clusterName);
      if (!paths) {
        results.push({
          ...base,
          outcome: 'skipped',
          message: `no cluster named ${clusterName} is configured`,
        });
        continue;
      }
      try {
        await this.apply(paths, manifest);
        results.push({ ...base, outcome: 'applied' });
      } catch (error) {
        results.push({
          ...base,
          outcome: 'failed',
          message: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return results;
  }

  /**
   * A merge hook for {@link GitHubApiServer}: applies the merged commit and rejects,
   * naming each failed file and the apiserver's message, if anything failed.
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

  private async apply(paths: ResourcePaths, manifest: KubernetesManifest) {
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
  }
}
