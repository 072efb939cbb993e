import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { mockServices } from '@backstage/backend-test-utils';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
} from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { Octokit } from '@octokit/rest';
import { GitHubApiServer, GitOpsApplier } from '@vmportal/git-testenv';
import {
  ClusterInfo,
  createTestNamespace,
  deleteTestNamespace,
  errorStatus,
  kubeRequest,
  adminKubeConfig,
  testClusters,
  waitUntil,
} from '@vmportal/kube-testenv';
import {
  KUBEVIRT_ANNOTATIONS,
  TrackedVirtualMachineRequest,
  VIRTUAL_MACHINE_REQUEST_ID_ANNOTATION,
  virtualMachineEntityLocation,
} from '@vmportal/plugin-kubevirt-common';
import { DefaultKubevirtClustersService } from '@vmportal/plugin-kubevirt-node';
import knexFactory, { Knex } from 'knex';
import { stringify } from 'yaml';
import {
  applyAsAdmin,
  clustersConfig,
  testVirtualMachine,
} from '../__testUtils__/testVirtualMachines';
import { PullRequestReader } from './PullRequestReader';
import { RequestNotifier } from './RequestNotifier';
import { VirtualMachineRequestStore } from './VirtualMachineRequestStore';
import { VirtualMachineRequestTracker } from './VirtualMachineRequestTracker';

jest.setTimeout(240_000);

const TOKEN = 'tracker-test-token-0123456789';
const ALICE = 'user:default/alice';
const TEAM_WEB = 'group:default/team-web';

let east: ClusterInfo;
let namespace: string;
let quotaNamespace: string;
let dataDir: string;
let git: GitHubApiServer;
let proxy: Server;
let octokit: Octokit;
let knex: Knex;
let store: VirtualMachineRequestStore;
let tracker: VirtualMachineRequestTracker;
/** What the catalog holds; the test adds the VM's entity as the provider would. */
const entities: Entity[] = [];
const notified: NotificationSendOptions[] = [];
/** GETs of each pull request that reached the git server, by PR number. */
const pullRequestReads = new Map<number, number>();

/**
 * A pass-through proxy in front of the git server that counts the tracker's reads of
 * each pull request, as they arrive on the wire.
 */
async function startCountingProxy(target: GitHubApiServer): Promise<Server> {
  const targetUrl = new URL(target.url);
  const server = createServer((req, res) => {
    const match = /^\/api\/v3\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/.exec(
      req.url ?? '',
    );
    if (req.method === 'GET' && match) {
      const number = Number(match[1]);
      pullRequestReads.set(number, (pullRequestReads.get(number) ?? 0) + 1);
    }
    const upstream = httpRequest(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      reply => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    upstream.on('error', error => res.destroy(error));
    req.pipe(upstream);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return server;
}

beforeAll(async () => {
  [east] = testClusters();
  [namespace, quotaNamespace] = await Promise.all([
    createTestNamespace(east, 'kvr-track'),
    createTestNamespace(east, 'kvr-quota'),
  ]);
  // Room for the VM object, not for its launcher pod.
  await applyAsAdmin(east, [
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'tight', namespace: quotaNamespace },
      spec: { hard: { 'requests.memory': '256Mi' } },
    } as KubernetesObject,
  ]);
  await waitUntil('the ResourceQuota to have a status', 60_000, async () => {
    const quota = await kubeRequest<{ status?: { hard?: object } }>(
      adminKubeConfig(east),
      'GET',
      `/api/v1/namespaces/${quotaNamespace}/resourcequotas/tight`,
    );
    return quota.status?.hard ? true : undefined;
  });

  dataDir = await mkdtemp(join(tmpdir(), 'kvb-tracker-'));
  git = await GitHubApiServer.start({
    token: TOKEN,
    dataDir,
    repos: [{ owner: 'acme', repo: 'gitops' }],
    onMerge: GitOpsApplier.create({
      clusters: [
        {
          name: east.name,
          url: east.url,
          token: east.token,
          caData: east.caData,
        },
      ],
    }).mergeHandler(),
  });
  proxy = await startCountingProxy(git);
  const proxyPort = (proxy.address() as AddressInfo).port;
  octokit = new Octokit({ baseUrl: git.apiBaseUrl, auth: TOKEN });

  const config = new ConfigReader({
    ...clustersConfig([east]),
    integrations: {
      github: [
        {
          host: git.host,
          apiBaseUrl: `http://127.0.0.1:${proxyPort}/api/v3`,
          token: TOKEN,
        },
      ],
    },
  });
  const logger = mockServices.logger.mock();
  knex = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  store = await VirtualMachineRequestStore.create({
    database: { getClient: async () => knex },
  });
  tracker = new VirtualMachineRequestTracker({
    store,
    pullRequests: PullRequestReader.fromConfig(config),
    clusters: DefaultKubevirtClustersService.fromConfig(config, { logger }),
    catalog: catalogServiceMock.mock({
      getEntities: (request, options) =>
        catalogServiceMock({ entities }).getEntities(request, options),
    }),
    auth: mockServices.auth(),
    notifier: new RequestNotifier({
      notifications: {
        send: async options => {
          notified.push(options);
        },
      },
      signals: { publish: async () => {} },
      logger,
    }),
    logger,
    slowDownAfterMs: 7 * 24 * 3600_000,
    slowFrequencyMs: 60_000,
    openPullRequestMaxIntervalMs: 120_000,
    refreshAfterMs: 2_000,
  });
});

afterAll(async () => {
  await new Promise(resolve => proxy?.close(resolve));
  await git?.stop();
  await knex?.destroy();
  await rm(dataDir, { recursive: true, force: true });
  await Promise.all([
    deleteTestNamespace(east, namespace),
    deleteTestNamespace(east, quotaNamespace),
  ]);
});

/** Opens a pull request that adds the VM's manifest, as the request template does. */
async function openPullRequest(
  id: string,
  ns: string,
  name: string,
): Promise<{ number: number; url: string }> {
  const vm = testVirtualMachine(ns, name, {
    memory: '1Gi',
    annotations: { [VIRTUAL_MACHINE_REQUEST_ID_ANNOTATION]: id },
  });
  const repo = { owner: 'acme', repo: 'gitops' };
  const { data: main } = await octokit.git.getRef({
    ...repo,
    ref: 'heads/main',
  });
  const { data: tree } = await octokit.git.createTree({
    ...repo,
    base_tree: main.object.sha,
    tree: [
      {
        path: `clusters/${east.name}/${ns}/${name}.yaml`,
        mode: '100644',
        type: 'blob',
        content: stringify(vm),
      },
    ],
  });
  const { data: commit } = await octokit.git.createCommit({
    ...repo,
    message: `Request VM ${ns}/${name}`,
    tree: tree.sha,
    parents: [main.object.sha],
  });
  await octokit.git.createRef({
    ...repo,
    ref: `refs/heads/vm/${id}`,
    sha: commit.sha,
  });
  const { data: pr } = await octokit.pulls.create({
    ...repo,
    title: `Request VM ${ns}/${name}`,
    head: `vm/${id}`,
    base: 'main',
  });
  return { number: pr.number, url: pr.html_url };
}

async function record(
  id: string,
  ns: string,
  name: string,
  pr: { number: number; url: string },
  at: Date = new Date(),
): Promise<void> {
  await store.add(
    {
      id,
      owner: TEAM_WEB,
      cluster: east.name,
      namespace: ns,
      name,
      size: '1 vCPU, 1 GiB',
      planSummary: '',
      pullRequestUrl: pr.url,
      pullRequestNumber: pr.number,
      reviewers: [TEAM_WEB],
    },
    ALICE,
    at,
  );
}

/** Runs the tracker (as its schedule would) until the request satisfies `check`. */
async function trackUntil(
  id: string,
  what: string,
  check: (request: TrackedVirtualMachineRequest) => boolean,
): Promise<TrackedVirtualMachineRequest> {
  return waitUntil(
    `request ${id} ${what}`,
    120_000,
    async () => {
      await tracker.runOnce();
      const request = await store.get(id);
      return request && check(request) ? request : undefined;
    },
    250,
  );
}

async function vmExists(ns: string, name: string): Promise<boolean> {
  try {
    await kubeRequest(
      adminKubeConfig(east),
      'GET',
      `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines/${name}`,
    );
    return true;
  } catch (error) {
    if (errorStatus(error) === 404) return false;
    throw error;
  }
}

describe('VirtualMachineRequestTracker', () => {
  it('follows a request from its open pull request through merge, apply and run into the catalog, then stops reading it', async () => {
    const id = 'task-merge';
    const pr = await openPullRequest(id, namespace, 'web-1');
    await record(id, namespace, 'web-1', pr);

    await tracker.runOnce();
    expect(await store.get(id)).toMatchObject({ stage: 'pr-open' });
    expect(pullRequestReads.get(pr.number)).toBe(1);

    // The approver merges; the GitOps applier applies the manifest before answering.
    const mergedAt = Date.now();
    await octokit.pulls.merge({
      owner: 'acme',
      repo: 'gitops',
      pull_number: pr.number,
    });
    const running = await trackUntil(id, 'to run', r => r.stage === 'running');
    process.stdout.write(
      `merge → running seen by the tracker in ${Date.now() - mergedAt} ms\n`,
    );
    const stages = running.history.map(h => h.stage);
    expect(stages).toEqual(['pr-open', 'merged', 'applied', 'running']);
    expect(running.vm).toEqual({
      uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      printableStatus: 'Running',
    });

    // The KubeVirt provider emits the VM's Component.
    const location = virtualMachineEntityLocation({
      cluster: east.name,
      namespace,
      name: 'web-1',
    });
    entities.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: `web-1.${namespace}.${east.name}`,
        namespace: 'default',
        annotations: {
          [ANNOTATION_LOCATION]: location,
          [ANNOTATION_ORIGIN_LOCATION]: location,
          [KUBEVIRT_ANNOTATIONS.cluster]: east.name,
          [KUBEVIRT_ANNOTATIONS.namespace]: namespace,
          [KUBEVIRT_ANNOTATIONS.name]: 'web-1',
          [KUBEVIRT_ANNOTATIONS.uid]: running.vm!.uid,
        },
      },
      spec: {
        type: 'virtual-machine',
        lifecycle: 'production',
        owner: TEAM_WEB,
      },
    });
    const done = await trackUntil(
      id,
      'to be in the catalog',
      r => r.stage === 'in-catalog',
    );
    expect(done.entityRef).toBe(
      `component:default/web-1.${namespace}.${east.name}`,
    );
    expect(done.lastError).toBeUndefined();

    // The requester heard of each stage, under one notification scope.
    const mine = notified.filter(n => n.payload.scope === id);
    expect(mine.map(n => n.payload.title)).toEqual(
      expect.arrayContaining(['VM request ' + `${namespace}/web-1: ready`]),
    );
    expect(new Set(mine.map(n => n.payload.link))).toEqual(
      new Set([`/vm-requests/${id}`]),
    );
    // The VM named as a person reads it, not as an entity ref.
    expect(
      mine.find(n => /: ready$/.test(n.payload.title))?.payload,
    ).toMatchObject({
      description: `The VM runs on cluster ${east.name} and is in the catalog as web-1.${namespace}.${east.name}; the request links to its page.`,
    });

    // Finished: no more reads of its pull request, however often the tracker runs.
    const reads = pullRequestReads.get(pr.number);
    for (let i = 0; i < 3; i++) await tracker.runOnce();
    expect(pullRequestReads.get(pr.number)).toBe(reads);
    expect((await store.due(new Date(), 100)).map(r => r.id)).not.toContain(id);
  });

  it('ends a request whose pull request was closed unmerged as declined, applies nothing and reads it no more', async () => {
    const id = 'task-declined';
    const pr = await openPullRequest(id, namespace, 'web-2');
    await record(id, namespace, 'web-2', pr);
    await octokit.pulls.update({
      owner: 'acme',
      repo: 'gitops',
      pull_number: pr.number,
      state: 'closed',
    });

    const declined = await trackUntil(
      id,
      'to be declined',
      r => r.stage === 'declined',
    );
    expect(declined.history.map(h => h.stage)).toEqual(['pr-open', 'declined']);
    expect(pullRequestReads.get(pr.number)).toBe(1);
    expect(
      notified.find(
        n => n.payload.scope === id && /declined/.test(n.payload.title),
      ),
    ).toBeDefined();

    for (let i = 0; i < 3; i++) await tracker.runOnce();
    expect(pullRequestReads.get(pr.number)).toBe(1);
    expect(await vmExists(namespace, 'web-2')).toBe(false);
  });

  it('says why an applied VM does not run: its launcher pod refused by quota', async () => {
    const id = 'task-quota';
    const pr = await openPullRequest(id, quotaNamespace, 'big-1');
    await record(id, quotaNamespace, 'big-1', pr);
    await octokit.pulls.merge({
      owner: 'acme',
      repo: 'gitops',
      pull_number: pr.number,
    });

    // First KubeVirt says only that the VMI is not ready; then why.
    const stuck = await trackUntil(
      id,
      'to say that its launcher pod exceeds the quota',
      r => /exceeded quota/.test(r.vm?.failingCondition?.message ?? ''),
    );
    expect(stuck.stage).toBe('applied');
    expect(stuck.vm?.printableStatus).not.toBe('Running');
    expect(stuck.vm?.failingCondition).toMatchObject({
      type: 'Synchronized',
      reason: 'FailedCreate',
    });
    process.stdout.write(
      `quota refusal shown as ${JSON.stringify(stuck.vm)}\n`,
    );
  });

  it('keeps the stage and records why when a source cannot be read, without stopping the others', async () => {
    const id = 'task-gone';
    await record(id, namespace, 'web-3', {
      number: 999,
      url: `${git.url}/acme/gitops/pull/999`,
    });
    const before = (await store.get(id))!;
    const otherBefore = (await store.get('task-quota'))!.checkedAt;
    await tracker.runOnce();
    const after = (await store.get(id))!;
    // The unfinished quota request was read in the same run all the same.
    expect((await store.get('task-quota'))!.checkedAt).not.toBe(otherBefore);
    expect(after.stage).toBe('pr-open');
    expect(after.history).toEqual(before.history);
    expect(after.lastError).toMatch(/acme\/gitops#999 .* failed with HTTP 404/);
    expect(after.lastError).not.toContain(TOKEN);
    expect(after.checkedAt).toBeDefined();
  });

  it('reads an open pull request that waits for review less and less often, and at once when someone looks', async () => {
    const id = 'task-waiting';
    const pr = await openPullRequest(id, namespace, 'web-4');
    const minute = 60_000;
    const t0 = Date.now();
    // Opened 20 minutes ago: read every tenth of that, so not for two minutes.
    await record(id, namespace, 'web-4', pr, new Date(t0 - 20 * minute));
    await tracker.runOnce(new Date(t0));
    expect(pullRequestReads.get(pr.number)).toBe(1);
    await tracker.runOnce(new Date(t0 + minute));
    expect(pullRequestReads.get(pr.number)).toBe(1);

    // The requester opens the request's page: read now, not in a minute.
    const viewed = await tracker.refresh(
      (await store.get(id))!,
      new Date(t0 + minute),
    );
    expect(pullRequestReads.get(pr.number)).toBe(2);
    expect(viewed.checkedAt).toBe(new Date(t0 + minute).toISOString());
    // A second look within two seconds is served by that read.
    await tracker.refresh((await store.get(id))!, new Date(t0 + minute + 1000));
    expect(pullRequestReads.get(pr.number)).toBe(2);

    // Unwatched, the next read comes once the wait is over.
    await tracker.runOnce(new Date(t0 + 4 * minute));
    expect(pullRequestReads.get(pr.number)).toBe(3);
    expect((await store.get(id))!.stage).toBe('pr-open');
  });
});
