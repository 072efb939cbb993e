/*
 * The manifests a GitOps controller would sync from one commit: every YAML document in
 * every file under `clusters/<cluster>/`, read from git objects, not from a checkout.
 */
import { posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { GitRepository } from '../git/GitRepository';
import { applyOrder, KubernetesManifest } from './syncOrder';

/** One document of one file, for one cluster. @public */
export interface ClusterManifest {
  cluster: string;
  /** Path of the file in the repository. */
  file: string;
  manifest: KubernetesManifest;
}

/** A file or document that could not be read as a Kubernetes object. @public */
export interface ClusterManifestProblem {
  cluster: string;
  file: string;
  message: string;
}

const CLUSTER_FILE = /^clusters\/([^/]+)\/(.+\.ya?ml)$/;
// Kustomize's own files tell Argo CD or Flux how to build; they are not objects to apply.
const KUSTOMIZE_FILES = new Set([
  'kustomization.yaml',
  'kustomization.yml',
  'Kustomization',
]);

function isManifest(value: unknown): value is KubernetesManifest {
  if (!value || typeof value !== 'object') return false;
  const object = value as Record<string, unknown>;
  const metadata = object.metadata as Record<string, unknown> | undefined;
  return (
    typeof object.apiVersion === 'string' &&
    typeof object.kind === 'string' &&
    !!metadata &&
    typeof metadata.name === 'string' &&
    (metadata.namespace === undefined || typeof metadata.namespace === 'string')
  );
}

/**
 * Reads the manifests of a commit in a bare repository, in apply order (namespaces
 * first, virtual machines last, then by file). Broken files are reported, not thrown.
 *
 * @public
 */
export async function readClusterManifests(
  repoPath: string,
  sha: string,
): Promise<{
  manifests: ClusterManifest[];
  problems: ClusterManifestProblem[];
}> {
  const git = GitRepository.open(repoPath);
  const tree = await git.readFlatTree(sha);
  const manifests: (ClusterManifest & { position: number })[] = [];
  const problems: ClusterManifestProblem[] = [];
  for (const [file, entry] of tree) {
    const match = CLUSTER_FILE.exec(file);
    if (
      !match ||
      entry.mode === '160000' ||
      KUSTOMIZE_FILES.has(posix.basename(file))
    ) {
      continue;
    }
    const cluster = match[1];
    const text = (await git.readBlob(entry.sha)).toString('utf8');
    parseAllDocuments(text).forEach((document, index) => {
      if (document.errors.length > 0) {
        problems.push({
          cluster,
          file,
          message: `document ${index + 1}: ${document.errors[0].message}`,
        });
        return;
      }
      const value: unknown = document.toJS();
      if (value === null || value === undefined) {
        return;
      }
      if (!isManifest(value)) {
        problems.push({
          cluster,
          file,
          message: `document ${
            index + 1
          } is not a Kubernetes object with apiVersion, kind and metadata.name`,
        });
        return;
      }
      manifests.push({ cluster, file, manifest: value, position: index });
    });
  }
  manifests.sort(
    (a, b) =>
      a.cluster.localeCompare(b.cluster) ||
      applyOrder(a.manifest) - applyOrder(b.manifest) ||
      a.file.localeCompare(b.file) ||
      a.position - b.position,
  );
  return {
    manifests: manifests.map(({ position, ...rest }) => rest),
    problems,
  };
}
