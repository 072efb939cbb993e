import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitHubApiServer, GitOpsApplier } from '@vmportal/git-testenv';
import {
  applyObjects,
  kubeConfigFor,
  seedDemo,
  startControlPlane,
} from '@vmportal/kube-testenv';
import { ProcessGroup } from './ProcessGroup';

/** The GitOps repository the request template opens pull requests in. */
export const DEMO_GITOPS_REPO = { owner: 'vmportal-demo', repo: 'vm-gitops' };

/** What the portal needs to know about the demo environment. */
export interface DemoEnvironment {
  /** Config files (absolute paths) that point the portal at it. */
  configFiles: string[];
  /** Secrets the config files name as `${VAR}`, for the backend's environment only. */
  backendEnv: Record<string, string>;
  /** The demo git server, for end-to-end tests (the token only ever goes to an environment). */
  git: {
    /** REST API base, e.g. `http://localhost:PORT/api/v3`. */
    apiBaseUrl: string;
    token: string;
    /** The GitOps repository as a bare repository on disk, for `git --git-dir`. */
    repoPath: string;
  };
  /** The control plane's directory (`clusters.json` with each cluster's URL and tokens). */
  kubeDir: string;
}

/**
 * A default StorageClass named as the one the demo VMs' disks already name, so that a
 * requested VM's disks without a class land there and the quota plan can size them.
 */
const DEMO_STORAGE_CLASS = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: {
    name: 'standard',
    annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
  },
  provisioner: 'kubernetes.io/host-path',
  volumeBindingMode: 'Immediate',
};

/**
 * Starts the local clusters (seeded once with the demo teams' namespaces, quotas and
 * VMs) and the demo git server whose merges are applied to the clusters, as Argo CD
 * would. Everything stops with `group`.
 */
export async function startDemoEnvironment(options: {
  stateDir: string;
  group: ProcessGroup;
  log: (line: string) => void;
  clusterNames?: string[];
}): Promise<DemoEnvironment> {
  const { stateDir, group, log } = options;
  const plane = await startControlPlane({
    dir: join(stateDir, 'kube'),
    clusters: options.clusterNames ?? ['demo-east', 'demo-west'],
    log,
  });
  group.onStop(() => plane.stop());
  await seedDemo(plane.clusters, log);
  await Promise.all(
    plane.clusters.map(cluster =>
      applyObjects(
        kubeConfigFor(cluster),
        [DEMO_STORAGE_CLASS],
        'vmportal-demo-seed',
      ),
    ),
  );

  const gitToken = randomBytes(20).toString('hex');
  const git = await GitHubApiServer.start({
    dataDir: join(stateDir, 'git'),
    token: gitToken,
    repos: [DEMO_GITOPS_REPO],
    onMerge: GitOpsApplier.create({ clusters: plane.clusters }).mergeHandler(),
  });
  group.onStop(() => git.stop());
  log(
    `demo git server at ${git.apiBaseUrl} (repo ${DEMO_GITOPS_REPO.owner}/${DEMO_GITOPS_REPO.repo}); review its pull requests at ${git.url}/${DEMO_GITOPS_REPO.owner}/${DEMO_GITOPS_REPO.repo}/pulls`,
  );

  // Tokens stay out of files: the config names environment variables. Each cluster
  // has two credentials (deploy/rbac/vmportal-rbac.yaml, docs/security.md): the reader
  // is the Kubernetes plugin's (and so its proxy's), the actor only the KubeVirt plugins'.
  const backendEnv: Record<string, string> = {
    VMPORTAL_DEMO_GITHUB_TOKEN: gitToken,
  };
  const clusters = plane.clusters.map((cluster, i) => {
    backendEnv[`VMPORTAL_DEMO_CLUSTER_${i}_READER_TOKEN`] = cluster.readerToken;
    return {
      name: cluster.name,
      url: cluster.url,
      authProvider: 'serviceAccount',
      serviceAccountToken: `\${VMPORTAL_DEMO_CLUSTER_${i}_READER_TOKEN}`,
      caData: cluster.caData,
      // No metrics-server runs here: without this the Kubernetes tab reports the
      // missing metrics.k8s.io API as a problem retrieving objects.
      skipMetricsLookup: true,
    };
  });
  const actors = Object.fromEntries(
    plane.clusters.map((cluster, i) => {
      backendEnv[`VMPORTAL_DEMO_CLUSTER_${i}_ACTOR_TOKEN`] = cluster.actorToken;
      return [
        cluster.name,
        {
          actor: {
            authProvider: 'serviceAccount',
            serviceAccountToken: `\${VMPORTAL_DEMO_CLUSTER_${i}_ACTOR_TOKEN}`,
          },
        },
      ];
    }),
  );
  const configFile = join(stateDir, 'app-config.demo.yaml');
  writeFileSync(
    configFile,
    JSON.stringify(
      {
        kubernetes: {
          serviceLocatorMethod: { type: 'multiTenant' },
          clusterLocatorMethods: [{ type: 'config', clusters }],
        },
        integrations: {
          github: [
            {
              host: git.host,
              apiBaseUrl: git.apiBaseUrl,
              token: '${VMPORTAL_DEMO_GITHUB_TOKEN}',
            },
          ],
        },
        // Each cluster's actor; the request template's pull requests go to the demo
        // GitOps repository.
        kubevirt: {
          clusters: actors,
          gitops: {
            repoUrl: `${git.host}?owner=${DEMO_GITOPS_REPO.owner}&repo=${DEMO_GITOPS_REPO.repo}`,
          },
        },
      },
      null,
      2,
    ),
  );
  return {
    configFiles: [configFile],
    backendEnv,
    git: {
      apiBaseUrl: git.apiBaseUrl,
      token: gitToken,
      repoPath: git.repoPath(DEMO_GITOPS_REPO.owner, DEMO_GITOPS_REPO.repo),
    },
    kubeDir: plane.dir,
  };
}
