/**
 * A local server speaking the part of GitHub's REST API that Backstage's
 * `publish:github:pull-request` action uses, over real bare git repositories, and a
 * GitOps applier that does what Argo CD or Flux would do when a pull request merges.
 *
 * @packageDocumentation
 */

export { GitHubApiServer } from './GitHubApiServer';
export type {
  GitHubApiServerOptions,
  GitHubApiServerRepository,
} from './GitHubApiServer';
export type { MergeEvent, GitTestenvLogger } from './github/ApiContext';
export { GitOpsApplier } from './GitOpsApplier';
export type { GitOpsCluster, GitOpsApplyResult } from './GitOpsApplier';
export type { KubernetesManifest } from './gitops/syncOrder';
export { readClusterManifests } from './gitops/readClusterManifests';
export type {
  ClusterManifest,
  ClusterManifestProblem,
} from './gitops/readClusterManifests';
