/**
 * @jest-environment node
 */
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ResponseError } from '@backstage/errors';
import { mockApis } from '@backstage/test-utils';
import { migrationPlan, QUOTA_PROBLEM } from '../__fixtures__/migrationPlan';
import { trackedRequest } from '../__fixtures__/trackedRequest';
import { resizePlan } from '../__fixtures__/virtualMachineChangePlan';
import { virtualMachineSnapshots } from '../__fixtures__/virtualMachineSnapshots';
import { vmView } from '../__fixtures__/virtualMachineView';
import type { QuotaPlan } from './KubevirtApi';
import { KubevirtBackendClient } from './KubevirtBackendClient';

interface Recorded {
  method: string;
  url: string;
  body?: unknown;
  contentType?: string;
}

/** Answers like the Backstage backend: JSON bodies, and errors in its error shape. */
function backstageError(
  name: string,
  message: string,
  statusCode: number,
  req: IncomingMessage,
) {
  return {
    error: { name, message },
    request: { method: req.method, url: req.url },
    response: { statusCode },
  };
}

/** What the backend's plan route sends: planQuota's result, quantities as text. */
const plan: QuotaPlan = {
  fits: true,
  rows: [
    {
      quota: 'team-quota',
      resource: 'requests.memory',
      hard: '24Gi',
      used: '12Gi',
      thisVm: '2270Mi',
      duringImportOnly: '0',
      after: '14558Mi',
      fits: true,
    },
  ],
  shortfalls: [],
  problems: [],
  disks: [],
};

let server: Server;
let baseUrl: string;
let requests: Recorded[];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: req.method!,
        url: req.url!,
        body: text ? JSON.parse(text) : undefined,
        contentType: req.headers['content-type'],
      });
      const json = (status: number, body: unknown) => {
        res.writeHead(status, {
          'Content-Type': 'application/json; charset=utf-8',
        });
        res.end(JSON.stringify(body));
      };
      const url = req.url!;
      const web1 = '/api/kubevirt/v1/entities/default/component/web-frontend-1';
      const payments =
        '/api/kubevirt/v1/entities/default/component/payments-db';
      if (url === `${web1}/snapshots` && req.method === 'GET') {
        json(200, virtualMachineSnapshots('Running'));
      } else if (url === `${web1}/snapshots` && req.method === 'POST') {
        json(202, { snapshot: 'web-frontend-1-snap-2' });
      } else if (
        url === `${web1}/snapshots/web-frontend-1-snap-1/restore` &&
        req.method === 'POST'
      ) {
        json(
          409,
          backstageError(
            'ConflictError',
            'component:default/web-frontend-1 was not restored from web-frontend-1-snap-1: The VM is Running: KubeVirt restores a snapshot only onto a stopped VM. Stop it first, then restore.',
            409,
            req,
          ),
        );
      } else if (
        url === `${web1}/snapshots/web-frontend-1-snap-1` &&
        req.method === 'DELETE'
      ) {
        res.writeHead(204);
        res.end();
      } else if (url === `${payments}/snapshots` && req.method === 'POST') {
        json(
          403,
          backstageError(
            'NotAllowedError',
            'Only members of group:default/team-payments can take snapshots of component:default/payments-db',
            403,
            req,
          ),
        );
      } else if (url === `${web1}/migration` && req.method === 'GET') {
        json(200, migrationPlan());
      } else if (url === `${web1}/migration` && req.method === 'POST') {
        json(202, {
          migration: 'kubevirt-migrate-vm-x2k9q',
          plan: migrationPlan(),
        });
      } else if (url === `${payments}/migration` && req.method === 'POST') {
        json(
          409,
          backstageError(
            'ConflictError',
            `component:default/payments-db was not migrated: ${QUOTA_PROBLEM}`,
            409,
            req,
          ),
        );
      } else if (
        url === '/api/kubevirt/v1/entities/default/component/web-frontend-1/vm'
      ) {
        json(200, vmView('Running'));
      } else if (
        url === '/api/kubevirt/v1/entities/default/component/payments-db/power'
      ) {
        json(
          403,
          backstageError(
            'NotAllowedError',
            'Only members of group:default/team-payments can start or stop this VM',
            403,
            req,
          ),
        );
      } else if (
        url ===
        '/api/kubevirt/v1/entities/default/component/web-frontend-1/power'
      ) {
        json(202, {
          action: 'stop',
          via: 'subresource',
          previousStatus: 'Running',
        });
      } else if (
        url ===
        '/api/kubevirt/v1/entities/default/component/web-frontend-1/changes/plan'
      ) {
        json(200, resizePlan());
      } else if (
        url ===
        '/api/kubevirt/v1/entities/default/component/payments-db/changes/plan'
      ) {
        json(
          403,
          backstageError(
            'NotAllowedError',
            'Only members of group:default/team-payments can change this VM',
            403,
            req,
          ),
        );
      } else if (
        url === '/api/kubevirt/v1/entities/default/component/gone/vm'
      ) {
        json(
          404,
          backstageError(
            'NotFoundError',
            'VirtualMachine team-web/gone not found on east',
            404,
            req,
          ),
        );
      } else if (url === '/api/kubevirt/v1/clusters/east/sizes') {
        json(200, [
          {
            name: 'u1.small',
            kind: 'VirtualMachineClusterInstancetype',
            series: 'u1',
            size: 'small',
            vcpus: 1,
            memory: '2Gi',
          },
        ]);
      } else if (
        url === '/api/kubevirt/v1/clusters/east/namespaces/team-web/plan'
      ) {
        json(200, plan);
      } else if (
        url === '/api/kubevirt/v1/teams/default/group/team-web/quota'
      ) {
        json(
          500,
          backstageError(
            'Error',
            'the apiserver of east did not answer',
            500,
            req,
          ),
        );
      } else if (url.startsWith('/api/kubevirt/v1/requests?')) {
        json(200, { items: [trackedRequest('pr-open')] });
      } else if (url === '/api/kubevirt/v1/requests') {
        json(200, {
          items: [
            trackedRequest('running'),
            trackedRequest('declined', { id: 'task-0002' }),
          ],
        });
      } else if (url === '/api/kubevirt/v1/requests/task%2F0001') {
        json(200, trackedRequest('applied', { id: 'task/0001' }));
      } else if (url === '/api/kubevirt/v1/requests/someone-elses') {
        json(
          404,
          backstageError(
            'NotFoundError',
            'No VM request someone-elses',
            404,
            req,
          ),
        );
      } else {
        // What the backend's root router does for a plugin that is not installed.
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${
    (server.address() as AddressInfo).port
  }/api/kubevirt`;
});

afterAll(async () => {
  await new Promise(resolve => server.close(resolve));
});

beforeEach(() => {
  requests = [];
});

function client(pluginBaseUrl = () => baseUrl) {
  return new KubevirtBackendClient({
    discoveryApi: {
      getBaseUrl: async (pluginId: string) => {
        expect(pluginId).toBe('kubevirt');
        return pluginBaseUrl();
      },
    },
    fetchApi: { fetch: (input, init) => fetch(input, init) },
    identityApi: mockApis.identity(),
  });
}

async function rejection(promise: Promise<unknown>): Promise<ResponseError> {
  try {
    await promise;
  } catch (error) {
    if (ResponseError.is(error)) {
      return error;
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('KubevirtBackendClient', () => {
  it('reads a VM by its entity ref', async () => {
    const view = await client().getVirtualMachine(
      'Component:default/web-frontend-1',
    );
    expect(view.printableStatus).toBe('Running');
    expect(requests).toEqual([
      {
        method: 'GET',
        url: '/api/kubevirt/v1/entities/default/component/web-frontend-1/vm',
        body: undefined,
        contentType: undefined,
      },
    ]);
  });

  it('posts power actions as JSON', async () => {
    const result = await client().powerAction(
      { kind: 'Component', namespace: 'default', name: 'web-frontend-1' },
      { action: 'stop', force: true },
    );
    expect(result).toEqual({
      action: 'stop',
      via: 'subresource',
      previousStatus: 'Running',
    });
    expect(requests[0]).toMatchObject({
      method: 'POST',
      url: '/api/kubevirt/v1/entities/default/component/web-frontend-1/power',
      body: { action: 'stop', force: true },
      contentType: 'application/json',
    });
  });

  it("lists a VM's snapshots, takes one, and deletes one", async () => {
    const listed = await client().listSnapshots(
      'Component:default/web-frontend-1',
    );
    expect(listed).toEqual(virtualMachineSnapshots('Running'));
    expect(
      await client().takeSnapshot('component:default/web-frontend-1'),
    ).toEqual({ snapshot: 'web-frontend-1-snap-2' });
    await expect(
      client().deleteSnapshot(
        'component:default/web-frontend-1',
        'web-frontend-1-snap-1',
      ),
    ).resolves.toBeUndefined();
    expect(requests.map(r => [r.method, r.url, r.body])).toEqual([
      [
        'GET',
        '/api/kubevirt/v1/entities/default/component/web-frontend-1/snapshots',
        undefined,
      ],
      [
        'POST',
        '/api/kubevirt/v1/entities/default/component/web-frontend-1/snapshots',
        undefined,
      ],
      [
        'DELETE',
        '/api/kubevirt/v1/entities/default/component/web-frontend-1/snapshots/web-frontend-1-snap-1',
        undefined,
      ],
    ]);
  });

  it("says why the backend refuses a restore, in the backend's words", async () => {
    const error = await rejection(
      client().restoreSnapshot(
        'component:default/web-frontend-1',
        'web-frontend-1-snap-1',
      ),
    );
    expect(error.statusCode).toBe(409);
    expect(error.message).toBe(
      'Could not restore this virtual machine from web-frontend-1-snap-1: component:default/web-frontend-1 was not restored from web-frontend-1-snap-1: The VM is Running: KubeVirt restores a snapshot only onto a stopped VM. Stop it first, then restore.',
    );
    expect(requests[0]).toMatchObject({
      method: 'POST',
      url: '/api/kubevirt/v1/entities/default/component/web-frontend-1/snapshots/web-frontend-1-snap-1/restore',
    });
  });

  it('names the owners when the backend refuses a snapshot', async () => {
    const error = await rejection(
      client().takeSnapshot('component:default/payments-db'),
    );
    expect(error.statusCode).toBe(403);
    expect(error.message).toBe(
      'You cannot take a snapshot of this virtual machine: Only members of group:default/team-payments can take snapshots of component:default/payments-db',
    );
  });

  it('reads the migration plan and starts a migration', async () => {
    expect(
      await client().getMigrationPlan('component:default/web-frontend-1'),
    ).toEqual(migrationPlan());
    expect(
      await client().startMigration('component:default/web-frontend-1'),
    ).toEqual({
      migration: 'kubevirt-migrate-vm-x2k9q',
      plan: migrationPlan(),
    });
    expect(requests.map(r => [r.method, r.url])).toEqual([
      [
        'GET',
        '/api/kubevirt/v1/entities/default/component/web-frontend-1/migration',
      ],
      [
        'POST',
        '/api/kubevirt/v1/entities/default/component/web-frontend-1/migration',
      ],
    ]);
  });

  it('passes on the quota that keeps a migration from starting', async () => {
    const error = await rejection(
      client().startMigration('component:default/payments-db'),
    );
    expect(error.statusCode).toBe(409);
    expect(error.message).toBe(
      `Could not migrate this virtual machine: component:default/payments-db was not migrated: ${QUOTA_PROBLEM}`,
    );
  });

  it('lists sizes and plans requests on the cluster routes', async () => {
    expect(await client().listSizes('east')).toHaveLength(1);
    expect(
      await client().planRequest('east', 'team-web', {
        instancetype: 'u1.small',
      }),
    ).toEqual(plan);
    expect(requests[1]).toMatchObject({
      method: 'POST',
      url: '/api/kubevirt/v1/clusters/east/namespaces/team-web/plan',
      body: { instancetype: 'u1.small' },
    });
  });

  it("posts a change to the entity's plan route and reads the plan", async () => {
    const changePlan = await client().planVirtualMachineChange(
      'Component:default/web-frontend-1',
      { kind: 'resize', instancetype: 'u1.medium' },
    );
    expect(changePlan).toEqual(resizePlan());
    expect(requests).toEqual([
      {
        method: 'POST',
        url: '/api/kubevirt/v1/entities/default/component/web-frontend-1/changes/plan',
        body: { kind: 'resize', instancetype: 'u1.medium' },
        contentType: 'application/json',
      },
    ]);
  });

  it('says why the backend refuses to plan a change', async () => {
    const error = await rejection(
      client().planVirtualMachineChange('component:default/payments-db', {
        kind: 'add-disk',
        name: 'data',
        size: '50Gi',
      }),
    );
    expect(error.statusCode).toBe(403);
    expect(error.message).toBe(
      'You cannot plan this change to the virtual machine: Only members of group:default/team-payments can change this VM',
    );
  });

  it('says the user is not an owner when the backend refuses a power action', async () => {
    const error = await rejection(
      client().powerAction('component:default/payments-db', { action: 'stop' }),
    );
    expect(error.statusCode).toBe(403);
    expect(error.message).toBe(
      'You cannot stop this virtual machine: Only members of group:default/team-payments can start or stop this VM',
    );
  });

  it('asks whether the backend is installed when nothing answers the route', async () => {
    const error = await rejection(client().listClusters());
    expect(error.statusCode).toBe(404);
    expect(error.message).toBe(
      `Could not list the clusters: nothing answered at ${baseUrl}. Is the kubevirt backend installed?`,
    );
  });

  it("passes the backend's own not-found on", async () => {
    const error = await rejection(
      client().getVirtualMachine('component:default/gone'),
    );
    expect(error.message).toBe(
      'Could not load this virtual machine: VirtualMachine team-web/gone not found on east',
    );
  });

  it('lists VM requests in the order the backend gave, filtered by query', async () => {
    const all = await client().listRequests();
    expect(all.map(r => [r.id, r.stage])).toEqual([
      ['task-0001', 'running'],
      ['task-0002', 'declined'],
    ]);
    await client().listRequests({ owner: 'group:default/team-web' });
    await client().listRequests({ requestedBy: 'user:default/ada' });
    expect(requests.map(r => r.url)).toEqual([
      '/api/kubevirt/v1/requests',
      '/api/kubevirt/v1/requests?owner=group%3Adefault%2Fteam-web',
      '/api/kubevirt/v1/requests?requestedBy=user%3Adefault%2Fada',
    ]);
  });

  it('reads one request, and none when the backend does not show it', async () => {
    const request = await client().getRequest('task/0001');
    expect(request?.stage).toBe('applied');
    await expect(client().getRequest('someone-elses')).resolves.toBeUndefined();
  });

  it('still asks whether the backend is installed when a request route is missing', async () => {
    const error = await rejection(
      client(() => `${baseUrl}/not-here`).getRequest('task-0001'),
    );
    expect(error.statusCode).toBe(404);
    expect(error.message).toBe(
      `Could not load this VM request: nothing answered at ${baseUrl}/not-here. Is the kubevirt backend installed?`,
    );
  });

  it("passes other failures on with the backend's message", async () => {
    const error = await rejection(
      client().getTeamQuota('group:default/team-web'),
    );
    expect(error.statusCode).toBe(500);
    expect(error.message).toBe(
      "Could not load the team's virtual machines: the apiserver of east did not answer",
    );
  });
});
