import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ClusterInfo,
  kubeConfigFor,
  kubeRequest,
} from '@vmportal/kube-testenv';
import type {
  TrackedVirtualMachineRequest,
  VirtualMachineRequestStage,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import { describeFlags, parseFlags } from '../lib/args';
import { RunCleanup } from '../lib/cleanup';
import { benchVersions, currentLoad, machineInfo } from '../lib/environment';
import {
  BenchResult,
  outputFlags,
  progressLogger,
  scratchDir,
  writeResult,
} from '../lib/results';
import { LatencySummary, seconds, summarize } from '../lib/stats';

/**
 * The running demo portal the benchmark walks through: started by the caller
 * (`npm run bench` starts the README's demo: local clusters, demo git server, backend).
 *
 * @public
 */
export interface DemoPortal {
  backendUrl: string;
  /** The demo git server's REST API base and token (the token stays in memory). */
  git: { apiBaseUrl: string; token: string };
  /** The GitOps repository's owner and name. */
  repo: { owner: string; repo: string };
  /** The control plane's folder, with `clusters.json`. */
  kubeDir: string;
  stop(): Promise<void>;
}

/**
 * Starts the demo portal in `stateDir`.
 *
 * @public
 */
export type DemoPortalLauncher = (options: {
  stateDir: string;
  log: (line: string) => void;
}) => Promise<DemoPortal>;

const flags = {
  requests: {
    type: 'int',
    default: 20,
    min: 1,
    max: 500,
    help: 'VM requests to walk through, one after the other',
  },
  cluster: {
    type: 'string',
    default: 'demo-east',
    help: 'cluster the VMs are requested on',
  },
  size: {
    type: 'string',
    default: 'u1.small',
    help: 'instancetype of the requested VMs',
  },
  'stage-timeout': {
    type: 'int',
    default: 120,
    min: 5,
    max: 3600,
    help: 'seconds a request may take to reach the next stage',
  },
  'time-limit': {
    type: 'int',
    default: 60,
    min: 1,
    max: 24 * 60,
    help: 'minutes after which the whole run stops',
  },
  name: {
    type: 'string',
    default: '',
    help: 'result name (default: first-vm-<requests>)',
  },
  ...outputFlags,
} as const;

/** `npm run bench -- first-vm --help`. */
export const firstVmUsage = `Usage: npm run bench -- first-vm [flags]

Starts the demo portal (local clusters, demo git server, backend), then walks N VM
requests, one after the other, along the path a person takes: the request template is
submitted (through the scaffolder's API, as the form submits it) → its pull request
opens → it is merged (as the review page's Merge button does) → the VM is applied by
the demo GitOps applier → it runs → it is in the catalog and its VM page shows Running.
Prints the time of each stage (JSON); the target is merge → VM page Running within 10 s
at p95.

${describeFlags(flags)}`;

/** The stages timed, in the order a request reaches them. */
const TIMED = [
  'pr-open',
  'merged',
  'applied',
  'running',
  'in-catalog',
  'vm-page-running',
] as const;
type TimedStage = (typeof TIMED)[number];

interface Walk {
  submittedAt: number;
  at: Partial<Record<TimedStage, number>>;
}

interface Cluster extends ClusterInfo {
  name: string;
}

function clusterFrom(kubeDir: string, name: string): Cluster {
  const clusters = JSON.parse(
    readFileSync(join(kubeDir, 'clusters.json'), 'utf8'),
  ) as Cluster[];
  const found = clusters.find(c => c.name === name);
  if (!found) {
    throw new Error(
      `no cluster ${name} in the demo (${clusters
        .map(c => c.name)
        .join(', ')})`,
    );
  }
  return found;
}

async function json<T>(
  url: string,
  token: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json',
      ...init.headers,
    },
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : undefined) as T,
  };
}

async function guestToken(backendUrl: string): Promise<string> {
  const response = await fetch(`${backendUrl}/api/auth/guest/refresh`, {
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
  });
  const body = (await response.json()) as {
    backstageIdentity?: { token?: string };
  };
  const token = body.backstageIdentity?.token;
  if (!token) throw new Error(`guest sign-in answered ${response.status}`);
  return token;
}

/** Polls `probe` every 100 ms until it returns a value; the time it first did. */
async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<{ value: T; at: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, at: Date.now() };
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s`);
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

const STAGE_ORDER: Record<VirtualMachineRequestStage, number> = {
  'pr-open': 0,
  merged: 1,
  declined: 1,
  applied: 2,
  running: 3,
  'in-catalog': 4,
  'in-effect': 4,
};

/**
 * Runs `npm run bench -- first-vm`: the launcher starts the demo portal.
 *
 * @public
 */
export async function runFirstVmBenchmark(
  argv: string[],
  launch: DemoPortalLauncher | undefined,
): Promise<number> {
  const options = parseFlags(argv, flags, firstVmUsage);
  const startedAt = Date.now();
  const log = progressLogger('first-vm', startedAt);
  const name = options.name || `first-vm-${options.requests}`;
  const problems: string[] = [];
  const walks: Walk[] = [];
  const cleanup = new RunCleanup(log);
  cleanup.limit(options['time-limit'] * 60_000);
  const stageTimeout = options['stage-timeout'] * 1000;

  try {
    if (!launch) {
      throw new Error(
        'first-vm needs the demo portal: run it as `npm run bench -- first-vm`',
      );
    }
    // A fresh demo each run: the GitOps repository and clusters start from the seed.
    const stateDir = scratchDir(name, options['state-dir']);
    rmSync(stateDir, { recursive: true, force: true });
    const portal = await launch({ stateDir, log });
    cleanup.add('demo portal', () => portal.stop());
    const token = await guestToken(portal.backendUrl);
    const backend = <T>(path: string, init?: RequestInit) =>
      json<T>(`${portal.backendUrl}${path}`, token, init);
    const gitApi = <T>(path: string, init?: RequestInit) =>
      json<T>(`${portal.git.apiBaseUrl}${path}`, portal.git.token, init);

    // A namespace of the guest's team (team-web) with no quota, so twenty VMs fit.
    const cluster = clusterFrom(portal.kubeDir, options.cluster);
    const namespace = `bench-first-vm-${randomBytes(3).toString('hex')}`;
    await kubeRequest(kubeConfigFor(cluster), 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: { 'vmportal.io/owner': 'team-web' },
      },
    });
    cleanup.add(`namespace ${namespace}`, async () => {
      await kubeRequest(
        kubeConfigFor(cluster),
        'DELETE',
        `/api/v1/namespaces/${namespace}`,
      );
    });
    await until('the request template in the catalog', 120_000, async () => {
      const r = await backend(
        '/api/catalog/entities/by-name/template/default/request-virtual-machine',
      );
      return r.status === 200 ? true : undefined;
    });

    for (let i = 0; i < options.requests; i++) {
      const vmName = `first-vm-${i + 1}`;
      const submittedAt = Date.now();
      const walk: Walk = { submittedAt, at: {} };
      walks.push(walk);
      const task = await backend<{ id: string }>('/api/scaffolder/v2/tasks', {
        method: 'POST',
        body: JSON.stringify({
          templateRef: 'template:default/request-virtual-machine',
          values: {
            cluster: options.cluster,
            namespace,
            name: vmName,
            owner: 'group:default/team-web',
            instancetype: options.size,
            os: {
              image: {
                containerDisk: { image: 'quay.io/containerdisks/fedora:41' },
              },
              preference: 'fedora',
              title: 'Fedora 41',
            },
            dataDiskSize: 0,
            sshPublicKey: '',
          },
        }),
      });
      if (task.status !== 201) {
        throw new Error(`submitting request ${vmName}: ${task.status}`);
      }
      const requestId = task.body.id;
      const ended = await until(`task ${requestId}`, stageTimeout, async () => {
        const t = await backend<{ status: string }>(
          `/api/scaffolder/v2/tasks/${requestId}`,
        );
        return ['completed', 'failed', 'cancelled'].includes(t.body.status)
          ? t.body.status
          : undefined;
      });
      if (ended.value !== 'completed') {
        throw new Error(`request ${vmName}: the task ${ended.value}`);
      }
      const tracked = (id: string) =>
        backend<TrackedVirtualMachineRequest>(
          `/api/kubevirt/v1/requests/${encodeURIComponent(id)}`,
        );
      const opened = await until('the request page', stageTimeout, async () => {
        const r = await tracked(requestId);
        return r.status === 200 ? r.body : undefined;
      });
      walk.at['pr-open'] = opened.at;
      log(`${vmName}: PR open (${opened.value.pullRequest.url})`);
      const pr = /\/pull\/(\d+)$/.exec(opened.value.pullRequest.url);
      if (!pr)
        throw new Error(`no PR number in ${opened.value.pullRequest.url}`);
      const merge = await gitApi(
        `/repos/${portal.repo.owner}/${portal.repo.repo}/pulls/${pr[1]}/merge`,
        { method: 'PUT', body: JSON.stringify({ merge_method: 'merge' }) },
      );
      if (merge.status !== 200) {
        throw new Error(`merging PR #${pr[1]}: ${merge.status}`);
      }
      walk.at.merged = Date.now();

      // The request page's stages, and the VM page once the entity is known.
      await until(
        `${vmName} on its VM page, Running`,
        stageTimeout,
        async () => {
          const r = await tracked(requestId);
          if (r.status !== 200) return undefined;
          const now = Date.now();
          const reached = STAGE_ORDER[r.body.stage];
          if (r.body.stage === 'declined') {
            throw new Error(`${vmName} was declined`);
          }
          if (reached >= STAGE_ORDER.applied) walk.at.applied ??= now;
          if (reached >= STAGE_ORDER.running) walk.at.running ??= now;
          if (reached >= STAGE_ORDER['in-catalog'] && r.body.entityRef) {
            walk.at['in-catalog'] ??= now;
            const [kind, rest] = r.body.entityRef.split(':');
            const [entityNamespace, entityName] = rest.split('/');
            const page = await backend<VirtualMachineView>(
              `/api/kubevirt/v1/entities/${entityNamespace}/${kind}/${entityName}/vm`,
            );
            if (
              page.status === 200 &&
              page.body.printableStatus === 'Running'
            ) {
              walk.at['vm-page-running'] = Date.now();
              return true;
            }
          }
          return undefined;
        },
      );
      log(
        `${vmName}: merge → VM page Running in ${(
          (walk.at['vm-page-running']! - walk.at.merged) /
          1000
        ).toFixed(2)} s`,
      );
    }
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  } finally {
    await cleanup.run();
  }

  const complete = walks.filter(w => w.at['vm-page-running'] !== undefined);
  const since = (from: (w: Walk) => number | undefined, to: TimedStage) =>
    summarize(
      complete
        .map(w => {
          const a = from(w);
          const b = w.at[to];
          return a === undefined || b === undefined ? undefined : b - a;
        })
        .filter((v): v is number => v !== undefined),
    );
  const fromSubmit: Record<string, LatencySummary | undefined> = {};
  const fromMerge: Record<string, LatencySummary | undefined> = {};
  for (const stage of TIMED) {
    fromSubmit[stage] = since(w => w.submittedAt, stage);
    if (stage !== 'pr-open' && stage !== 'merged') {
      fromMerge[stage] = since(w => w.at.merged, stage);
    }
  }
  const mergeToPage = fromMerge['vm-page-running'];
  if (complete.length < options.requests) {
    problems.push(
      `${complete.length} of ${options.requests} requests reached a Running VM page`,
    );
  }
  const result: BenchResult = {
    benchmark: 'first-vm',
    name,
    date: new Date(startedAt).toISOString(),
    command: `npm run bench -- first-vm ${argv.join(' ')}`.trim(),
    ok: problems.length === 0,
    problems,
    parameters: {
      requests: options.requests,
      cluster: options.cluster,
      size: options.size,
    },
    versions: await benchVersions(),
    machine: { ...machineInfo(), loadAverageAtEnd: currentLoad() },
    durationSeconds: seconds(Date.now() - startedAt),
    figures: {
      completed: complete.length,
      /** Milliseconds from the form's submission to each stage. */
      fromSubmitMs: fromSubmit,
      /** Milliseconds from the merge to each later stage. */
      fromMergeMs: fromMerge,
      target: {
        what: 'merge → VM page shows Running, p95',
        limitMs: 10_000,
        p95Ms: mergeToPage?.p95Ms,
        met: mergeToPage !== undefined && mergeToPage.p95Ms <= 10_000,
      },
    },
  };
  writeResult(result, options['results-dir']);
  return result.ok ? 0 : 1;
}
