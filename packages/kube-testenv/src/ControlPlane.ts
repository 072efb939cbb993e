import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ApiextensionsV1Api,
  AuthenticationV1TokenRequest,
  CoreV1Api,
  Health,
  KubeConfig,
  KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ensureBinaries, KubeTestenvBinaries } from './binaries';
import {
  claimPorts,
  Daemon,
  freePort,
  isPortFree,
  isRunning,
  startDaemon,
  stopDaemons,
} from './daemons';
import {
  applyObjects,
  ClusterAccess,
  describeError,
  kubeConfigFor,
} from './kubeClient';
import {
  ACTOR_SERVICE_ACCOUNT,
  portalAccessObjects,
  PORTAL_NAMESPACE,
  READER_SERVICE_ACCOUNT,
} from './portalAccess';

/**
 * CRDs no Go module here generates (multus' NetworkAttachmentDefinition, Application
 * Aware Quota's), each file
 * saying where it is written from.
 */
const EXTRA_CRD_DIR = join(
  // This package only ever runs from source (tsx, jest), never built.
  // eslint-disable-next-line no-restricted-syntax
  __dirname,
  '..',
  'crds',
);

/** One cluster of the control plane, as written to `DIR/clusters.json`. */
export interface ClusterInfo extends ClusterAccess {
  /** A kubeconfig file that acts as cluster-admin. */
  kubeconfigPath: string;
  /**
   * Token of the portal's reader (`vmportal-reader`: get, list, watch only), for the
   * Kubernetes plugin's cluster entry. See `deploy/rbac/vmportal-rbac.yaml`.
   */
  readerToken: string;
  /**
   * Token of the portal's actor (`vmportal-actor`: power subresources, run-strategy
   * patch, server-side dry-run), for `kubevirt.clusters.<name>.actor` only.
   */
  actorToken: string;
  /** etcd's client URL (tests use it to compact). */
  etcdUrl: string;
}

/** Options of {@link startControlPlane}. */
export interface StartControlPlaneOptions {
  /** How many clusters, or their names. Default: 1. */
  clusters?: number | string[];
  /** Where data, certificates, logs and `clusters.json` live; kept between runs. */
  dir: string;
  /** Run the KubeVirt simulator (default true). */
  simulator?: boolean;
  log?: (line: string) => void;
  /** Binaries to use instead of building them. */
  binaries?: KubeTestenvBinaries;
}

/** A running control plane. */
export interface ControlPlane {
  dir: string;
  clusters: ClusterInfo[];
  /** Stops every process it started; data stays in `dir`. */
  stop(): Promise<void>;
}

interface ClusterPorts {
  etcd: number;
  etcdPeer: number;
  apiserver: number;
}

const STATE_FILE = 'daemons.json';
const CLUSTERS_FILE = 'clusters.json';

/**
 * Starts one kube-apiserver + etcd + kube-controller-manager per cluster on loopback,
 * installs KubeVirt's and CDI's CRDs and the common instancetypes, applies the
 * portal's RBAC (`deploy/rbac/vmportal-rbac.yaml`: a reader and an actor, whose
 * tokens it issues), and (by default) starts the KubeVirt simulator. Resolves once
 * every apiserver is ready; the processes keep running until `stop()` or
 * {@link stopControlPlane}.
 */
export async function startControlPlane(
  options: StartControlPlaneOptions,
): Promise<ControlPlane> {
  const dir = resolve(options.dir);
  const log = options.log ?? (() => {});
  const names = clusterNames(options.clusters ?? 1);
  mkdirSync(dir, { recursive: true });
  await stopControlPlane(dir);

  const binaries = options.binaries ?? (await ensureBinaries({ log }));
  const daemons: Daemon[] = [];
  const saveDaemons = () =>
    writeFileSync(join(dir, STATE_FILE), JSON.stringify(daemons, null, 2));
  try {
    const clusters = await Promise.all(
      names.map(name =>
        startCluster(
          name,
          join(dir, name),
          binaries,
          daemons,
          saveDaemons,
          log,
        ),
      ),
    );
    writeFileSync(join(dir, CLUSTERS_FILE), JSON.stringify(clusters, null, 2), {
      mode: 0o600,
    });
    if (options.simulator ?? true) {
      daemons.push(
        startDaemon(
          'kubevirt-simulator',
          process.execPath,
          [
            // This package only ever runs from source (tsx), never built.
            // eslint-disable-next-line no-restricted-syntax
            join(__dirname, '..', 'bin', 'kube-testenv.js'),
            'simulate',
            '--dir',
            dir,
          ],
          join(dir, 'kubevirt-simulator.log'),
          { ...process.env, KUBE_TESTENV_ORACLE: binaries.oracle },
        ),
      );
      saveDaemons();
    }
    return { dir, clusters, stop: () => stopControlPlane(dir) };
  } catch (error) {
    await stopDaemons(daemons);
    throw error;
  }
}

/** Stops the processes a previous {@link startControlPlane} left running in `dir`. */
export async function stopControlPlane(dir: string): Promise<void> {
  const daemons = readDaemons(dir);
  if (daemons.length === 0) return;
  await stopDaemons(daemons);
  writeFileSync(join(resolve(dir), STATE_FILE), '[]');
}

function readDaemons(dir: string): Daemon[] {
  const file = join(resolve(dir), STATE_FILE);
  return existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Daemon[])
    : [];
}

function apiserverDaemon(daemons: Daemon[], cluster: string): Daemon {
  const daemon = daemons.find(d => d.name === `${cluster}/kube-apiserver`);
  if (!daemon)
    throw new Error(
      `no kube-apiserver of cluster '${cluster}' was started in this dir`,
    );
  return daemon;
}

/**
 * Stops one cluster's kube-apiserver (etcd and the rest keep running), as an outage
 * or a control-plane upgrade would. {@link startApiserver} brings it back.
 */
export async function stopApiserver(
  dir: string,
  cluster: string,
): Promise<void> {
  await stopDaemons([apiserverDaemon(readDaemons(dir), cluster)]);
}

/**
 * Starts a stopped kube-apiserver again with its previous flags and port, and resolves
 * when it is ready. Its watch cache starts afresh: watches resumed from before get 410.
 */
export async function startApiserver(
  dir: string,
  cluster: string,
): Promise<void> {
  const daemons = readDaemons(dir);
  const old = apiserverDaemon(daemons, cluster);
  if (isRunning(old)) await stopDaemons([old]);
  const started = startDaemon(old.name, old.command, old.args, old.logFile);
  writeFileSync(
    join(resolve(dir), STATE_FILE),
    JSON.stringify(
      daemons.map(d => (d === old ? started : d)),
      null,
      2,
    ),
  );
  const info = readClusters(dir).find(c => c.name === cluster)!;
  const kc = kubeConfigFor(info);
  await waitUntil(
    `${cluster}: kube-apiserver ready again`,
    120_000,
    async () => {
      if (!isRunning(started))
        throw new Error(
          `${started.name} exited; see its log in ${old.logFile}`,
        );
      return (await new Health(kc).readyz({ timeout: 3000 })) || undefined;
    },
  );
}

/** The clusters of a control plane started in `dir` (by `kube-testenv up`). */
export function readClusters(dir: string): ClusterInfo[] {
  const file = join(resolve(dir), CLUSTERS_FILE);
  if (!existsSync(file)) {
    throw new Error(
      `${file} does not exist: start the control plane with kube-testenv up --dir ${dir}`,
    );
  }
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo[];
}

function clusterNames(clusters: number | string[]): string[] {
  const names =
    typeof clusters === 'number'
      ? Array.from({ length: clusters }, (_, i) => `cluster-${i + 1}`)
      : clusters;
  for (const name of names) {
    if (!/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/.test(name)) {
      throw new Error(
        `cluster name '${name}' must be a DNS label (a-z, 0-9, -) of at most 32 characters`,
      );
    }
  }
  if (names.length === 0)
    throw new Error('clusters must name at least one cluster');
  return names;
}

async function clusterPorts(clusterDir: string): Promise<ClusterPorts> {
  const file = join(clusterDir, 'ports.json');
  // Reuse last run's ports when free: etcd remembers its peer URL in its data.
  if (existsSync(file)) {
    const ports = JSON.parse(readFileSync(file, 'utf8')) as ClusterPorts;
    const values = Object.values(ports);
    const free = await Promise.all(values.map(isPortFree));
    if (
      free.every(Boolean) &&
      new Set(values).size === values.length &&
      claimPorts(values, clusterDir)
    )
      return ports;
  }
  const ports = {
    etcd: await freePort(clusterDir),
    etcdPeer: await freePort(clusterDir),
    apiserver: await freePort(clusterDir),
  };
  writeFileSync(file, JSON.stringify(ports));
  return ports;
}

function secretFile(path: string, make: () => string): string {
  if (!existsSync(path)) writeFileSync(path, make(), { mode: 0o600 });
  return readFileSync(path, 'utf8').trim();
}

async function startCluster(
  name: string,
  clusterDir: string,
  binaries: KubeTestenvBinaries,
  daemons: Daemon[],
  saveDaemons: () => void,
  log: (line: string) => void,
): Promise<ClusterInfo> {
  const t = Date.now();
  const pki = join(clusterDir, 'pki');
  const logs = join(clusterDir, 'logs');
  mkdirSync(pki, { recursive: true });
  mkdirSync(logs, { recursive: true });
  execFileSync(binaries.certgen, [
    '--dir',
    pki,
    '--san',
    'virt-api.kubevirt.svc,virt-api.kubevirt.svc.cluster.local',
  ]);
  const ports = await clusterPorts(clusterDir);
  const adminToken = secretFile(join(clusterDir, 'admin-token'), () =>
    randomBytes(32).toString('hex'),
  );
  writeFileSync(
    join(clusterDir, 'tokens.csv'),
    `${adminToken},vmportal-admin,vmportal-admin,"system:masters"\n`,
    { mode: 0o600 },
  );
  const etcdUrl = `http://127.0.0.1:${ports.etcd}`;
  const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
  const url = `https://127.0.0.1:${ports.apiserver}`;
  const caPem = readFileSync(join(pki, 'ca.crt'));
  const caData = caPem.toString('base64');
  const access: ClusterAccess = { name, url, token: adminToken, caData };

  daemons.push(
    startDaemon(
      `${name}/etcd`,
      binaries.etcd,
      [
        '--name',
        'default',
        '--data-dir',
        join(clusterDir, 'etcd'),
        '--listen-client-urls',
        etcdUrl,
        '--advertise-client-urls',
        etcdUrl,
        '--listen-peer-urls',
        peerUrl,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        `default=${peerUrl}`,
        '--unsafe-no-fsync',
        '--quota-backend-bytes',
        String(8 * 1024 ** 3),
        '--log-level',
        'warn',
      ],
      join(logs, 'etcd.log'),
    ),
  );
  saveDaemons();

  daemons.push(
    startDaemon(
      `${name}/kube-apiserver`,
      binaries.kubeApiserver,
      [
        '--etcd-servers',
        etcdUrl,
        '--bind-address',
        '127.0.0.1',
        '--advertise-address',
        '127.0.0.1',
        '--secure-port',
        String(ports.apiserver),
        '--tls-cert-file',
        join(pki, 'serving.crt'),
        '--tls-private-key-file',
        join(pki, 'serving.key'),
        '--client-ca-file',
        join(pki, 'ca.crt'),
        '--token-auth-file',
        join(clusterDir, 'tokens.csv'),
        '--authorization-mode',
        'RBAC',
        '--service-account-issuer',
        'https://kubernetes.default.svc',
        '--service-account-key-file',
        join(pki, 'sa.pub'),
        '--service-account-signing-key-file',
        join(pki, 'sa.key'),
        '--api-audiences',
        'https://kubernetes.default.svc',
        '--service-cluster-ip-range',
        '10.96.0.0/16',
        '--requestheader-client-ca-file',
        join(pki, 'front-proxy-ca.crt'),
        '--requestheader-allowed-names',
        'front-proxy-client',
        '--requestheader-username-headers',
        'X-Remote-User',
        '--requestheader-group-headers',
        'X-Remote-Group',
        '--requestheader-extra-headers-prefix',
        'X-Remote-Extra-',
        '--proxy-client-cert-file',
        join(pki, 'front-proxy-client.crt'),
        '--proxy-client-key-file',
        join(pki, 'front-proxy-client.key'),
        '--enable-aggregator-routing=false',
        // The kubernetes Service's endpoints cannot point at loopback; nothing here needs them.
        '--endpoint-reconciler-type',
        'none',
        '--allow-privileged=true',
        '--profiling=false',
        '--v=1',
      ],
      join(logs, 'kube-apiserver.log'),
    ),
  );
  saveDaemons();

  const kc = kubeConfigFor(access);
  await waitUntil(
    `${name}: kube-apiserver ready at ${url}`,
    180_000,
    async () => {
      assertRunning(daemons, name);
      return (await new Health(kc).readyz({ timeout: 3000 })) || undefined;
    },
  );

  // CRDs first: the controller manager's quota and garbage-collector controllers
  // discover resources at start, else only on a 30 s cycle (so quotas on
  // count/virtualmachines.kubevirt.io would stay "status unknown" that long).
  await installCrds(kc, [
    ...readYamlDir(binaries.crdDir),
    ...readYamlDir(EXTRA_CRD_DIR),
  ]);
  const kubeconfigPath = join(clusterDir, 'admin.kubeconfig');
  writeFileSync(kubeconfigPath, kc.exportConfig(), { mode: 0o600 });
  daemons.push(
    startDaemon(
      `${name}/kube-controller-manager`,
      binaries.kubeControllerManager,
      [
        '--kubeconfig',
        kubeconfigPath,
        '--authentication-kubeconfig',
        kubeconfigPath,
        '--authorization-kubeconfig',
        kubeconfigPath,
        '--controllers',
        'namespace-controller,garbage-collector-controller,resourcequota-controller,serviceaccount-controller,serviceaccount-token-controller,clusterrole-aggregation-controller,root-ca-certificate-publisher-controller,persistentvolumeclaim-protection-controller',
        '--service-account-private-key-file',
        join(pki, 'sa.key'),
        '--root-ca-file',
        join(pki, 'ca.crt'),
        '--use-service-account-credentials=false',
        '--leader-elect=false',
        '--bind-address',
        '127.0.0.1',
        '--secure-port',
        '0',
        '--concurrent-resource-quota-syncs',
        '5',
        '--resource-quota-sync-period',
        '5s',
        '--v=1',
      ],
      join(logs, 'kube-controller-manager.log'),
    ),
  );
  saveDaemons();

  await applyObjects(kc, readYamlDir(binaries.instancetypesDir));
  await applyObjects(kc, portalAccessObjects());
  const readerToken = await serviceAccountToken(kc, READER_SERVICE_ACCOUNT);
  const actorToken = await serviceAccountToken(kc, ACTOR_SERVICE_ACCOUNT);
  await waitUntil(
    `${name}: default service account in namespace default`,
    60_000,
    async () => {
      await kc.makeApiClient(CoreV1Api).readNamespacedServiceAccount({
        name: 'default',
        namespace: 'default',
      });
      return true;
    },
  );
  log(
    `cluster ${name} ready at ${url} in ${((Date.now() - t) / 1000).toFixed(
      1,
    )}s`,
  );
  return { ...access, kubeconfigPath, readerToken, actorToken, etcdUrl };
}

function assertRunning(daemons: Daemon[], cluster: string) {
  for (const daemon of daemons) {
    if (daemon.name.startsWith(`${cluster}/`) && !isRunning(daemon)) {
      throw new Error(
        `${daemon.name} exited; see its log in the cluster's logs folder`,
      );
    }
  }
}

/** Every YAML document in the `.yaml` files of `dir`, in file-name order. */
export function readYamlDir(dir: string): KubernetesObject[] {
  return readdirSync(dir)
    .filter(file => file.endsWith('.yaml') || file.endsWith('.yml'))
    .sort()
    .flatMap(file =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8'))
        .map(doc => doc.toJS() as KubernetesObject | null)
        .filter((object): object is KubernetesObject => Boolean(object?.kind)),
    );
}

async function installCrds(kc: KubeConfig, crds: KubernetesObject[]) {
  await applyObjects(kc, crds);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) {
    const crdName = crd.metadata!.name!;
    await waitUntil(`CRD ${crdName} established`, 60_000, async () => {
      const current = await api.readCustomResourceDefinition({ name: crdName });
      return (
        current.status?.conditions?.some(
          c => c.type === 'Established' && c.status === 'True',
        ) || undefined
      );
    });
  }
}

async function serviceAccountToken(
  kc: KubeConfig,
  serviceAccount: string,
): Promise<string> {
  const request: AuthenticationV1TokenRequest = {
    spec: {
      audiences: ['https://kubernetes.default.svc'],
      expirationSeconds: 365 * 24 * 3600,
    },
  };
  try {
    const response = await kc
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccountToken({
        name: serviceAccount,
        namespace: PORTAL_NAMESPACE,
        body: request,
      });
    const token = response.status?.token;
    if (!token) throw new Error('the TokenRequest returned no token');
    return token;
  } catch (error) {
    throw new Error(
      `requesting a token for service account ${PORTAL_NAMESPACE}/${serviceAccount}: ${describeError(
        error,
      )}`,
    );
  }
}

/** Polls `check` until it returns a value, at most `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
      if (
        error instanceof Error &&
        error.message.includes('exited; see its log')
      )
        throw error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${
          lastError ? `: ${describeError(lastError)}` : ''
        }`,
      );
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
}
