import {
  createServiceFactory,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  notificationService,
  NotificationSendOptions,
} from '@backstage/plugin-notifications-node';
import {
  SignalPayload,
  signalsServiceRef,
} from '@backstage/plugin-signals-node';
import type {
  TrackedVirtualMachineRequest,
  VirtualMachineRequestRecord,
} from '@vmportal/plugin-kubevirt-common';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Server } from 'node:http';
import request from 'supertest';
import { kubevirtPlugin } from '../plugin';

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const CAROL = 'user:default/carol';
const TEAM_WEB = 'group:default/team-web';
const TEAM_DATA = 'group:default/team-data';
const SCRIPT = 'vmportal-scripts';
/** A member of team-web whom the permission policy denies kubevirt.request.read. */
const DENIED = 'user:default/dave';

/** Who belongs to which team, as the catalog's ownership claims would say. */
const teams: Record<string, string[]> = {
  [ALICE]: [TEAM_WEB],
  [BOB]: [TEAM_WEB],
  [CAROL]: [TEAM_DATA],
  [DENIED]: [TEAM_WEB],
};

const sent: NotificationSendOptions[] = [];
const signals: SignalPayload[] = [];

function capture<T>(ref: { id: string }, impl: T): ServiceFactory {
  return createServiceFactory({
    service: ref as never,
    deps: {},
    factory: () => impl,
  }) as ServiceFactory;
}

const as = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});

const asService = (subject: string) => ({
  Authorization: mockCredentials.service.header({
    onBehalfOf: mockCredentials.service(subject),
    targetPluginId: 'kubevirt',
  }),
});

function record(
  overrides: Partial<VirtualMachineRequestRecord> = {},
): VirtualMachineRequestRecord {
  return {
    id: 'task-0001',
    owner: TEAM_WEB,
    cluster: 'east',
    namespace: 'team-web',
    name: 'web-7',
    size: 'u1.medium: 1 vCPU, 4 GiB',
    planSummary: '| | requested | free |\n|---|---|---|\n| cpu | 1 | 7 |',
    pullRequestUrl: 'https://git.example.com/acme/gitops/pull/12',
    reviewers: [TEAM_WEB],
    ...overrides,
  };
}

let server: Server;

beforeAll(async () => {
  const backend = await startTestBackend({
    features: [
      kubevirtPlugin,
      mockServices.rootConfig.factory({
        data: {
          integrations: {
            github: [
              {
                host: 'git.example.com',
                apiBaseUrl: 'https://git.example.com/api/v3',
                token: 'not-used-here',
              },
            ],
          },
          kubevirt: {
            permissions: { servicePrincipalsAllowedToAct: [SCRIPT] },
            // The tracker is the tracker test's; here it stays out of the way.
            requestTracking: {
              schedule: {
                frequency: { hours: 1 },
                timeout: { minutes: 1 },
                initialDelay: { hours: 1 },
              },
            },
          },
        },
      }),
      mockServices.userInfo.mock({
        async getUserInfo(credentials) {
          const user = (credentials.principal as { userEntityRef: string })
            .userEntityRef;
          return {
            userEntityRef: user,
            ownershipEntityRefs: [user, ...(teams[user] ?? [])],
          };
        },
      }).factory,
      catalogServiceMock.factory({ entities: [] }),
      mockServices.permissions.mock({
        async authorize(requests, options) {
          const user = (
            options?.credentials.principal as { userEntityRef?: string }
          ).userEntityRef;
          return requests.map(r => ({
            result:
              user === DENIED &&
              'permission' in r &&
              r.permission.name === 'kubevirt.request.read'
                ? AuthorizeResult.DENY
                : AuthorizeResult.ALLOW,
          }));
        },
      }).factory,
      capture(notificationService, {
        send: async (options: NotificationSendOptions) => {
          sent.push(options);
        },
      }),
      capture(signalsServiceRef, {
        publish: async (signal: SignalPayload) => {
          signals.push(signal);
        },
      }),
    ],
  });
  server = backend.server;
});

async function post(body: unknown, headers = as(ALICE)) {
  return request(server)
    .post('/api/kubevirt/v1/requests')
    .set(headers)
    .send(body as object);
}

describe('the VM request routes', () => {
  it('records a request for the caller, tells the requester and the team, and takes the same record again without a second copy', async () => {
    const created = await post(record());
    expect(created.status).toBe(201);
    const tracked = created.body as TrackedVirtualMachineRequest;
    expect(tracked).toMatchObject({
      id: 'task-0001',
      owner: TEAM_WEB,
      requestedBy: ALICE,
      stage: 'pr-open',
      pullRequest: {
        url: 'https://git.example.com/acme/gitops/pull/12',
        number: 12,
      },
      history: [{ stage: 'pr-open', at: tracked.requestedAt }],
    });
    expect(sent).toEqual([
      {
        recipients: { type: 'entity', entityRef: [ALICE, TEAM_WEB] },
        payload: expect.objectContaining({
          title: 'VM request team-web/web-7: PR #12 waits for review',
          // Plain text a person reads: names, not entity refs.
          description:
            'alice asks for u1.medium: 1 vCPU, 4 GiB on cluster east for team-web. ' +
            'Review and merge PR #12 to approve it (reviewers: team-web).',
          link: '/vm-requests/task-0001',
          topic: 'vm-request',
          scope: 'task-0001',
        }),
      },
    ]);
    expect(signals).toEqual([
      {
        recipients: { type: 'user', entityRef: [ALICE, TEAM_WEB] },
        channel: 'kubevirt:requests',
        message: { id: 'task-0001', stage: 'pr-open' },
      },
    ]);

    const again = await post(record());
    expect(again.status).toBe(200);
    expect(again.body.requestedAt).toBe(tracked.requestedAt);
    expect(sent).toHaveLength(1);

    const changed = await post(record({ size: 'u1.large: 2 vCPU, 8 GiB' }));
    expect(changed.status).toBe(409);
    expect(changed.body.error.message).toMatch(/another size/);
  });

  it('refuses a bad body with 400, naming each wrong field', async () => {
    const { id: _id, ...withoutId } = record();
    const response = await post({
      ...withoutId,
      namespace: 'Team_Web',
      owner: 'user:default/alice',
      pullRequestUrl: 'https://git.example.com/acme/gitops/tree/main',
      extra: true,
    });
    expect(response.status).toBe(400);
    const message: string = response.body.error.message;
    expect(message).toMatch(/^Invalid VM request record: /);
    expect(message).toMatch(/id: /);
    expect(message).toMatch(/namespace: a namespace is a DNS-1123 label/);
    expect(message).toMatch(/owner: 'user:default\/alice' is not a group ref/);
    expect(message).toMatch(/pullRequestUrl: the pull request web URL/);
    expect(message).toMatch(/extra/);
  });

  it('refuses a pull request on a host no GitHub integration serves', async () => {
    const response = await post(
      record({
        id: 'task-elsewhere',
        pullRequestUrl: 'https://github.other.org/acme/gitops/pull/3',
      }),
    );
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(
      /pullRequestUrl: no GitHub integration is configured for github\.other\.org.*integrations\.github/,
    );
  });

  it('refuses to record a request for a team the caller is not in, and any service principal', async () => {
    const notMember = await post(record({ id: 'task-carol' }), as(CAROL));
    expect(notMember.status).toBe(403);
    expect(notMember.body.error.message).toMatch(
      /user:default\/carol is not a member of group:default\/team-web/,
    );
    const script = await post(record({ id: 'task-script' }), asService(SCRIPT));
    expect(script.status).toBe(403);
    const list = await request(server)
      .get('/api/kubevirt/v1/requests')
      .set(asService(SCRIPT));
    expect(list.body.items.map((r: { id: string }) => r.id)).not.toContain(
      'task-carol',
    );
  });

  it("shows a request to its requester and the owning team's members, and to nobody else, not even by id", async () => {
    await post(
      record({ id: 'task-bob', name: 'web-8', owner: TEAM_WEB }),
      as(BOB),
    );
    const ids = async (user: string, query = '') =>
      (
        await request(server)
          .get(`/api/kubevirt/v1/requests${query}`)
          .set(as(user))
      ).body.items.map((r: { id: string }) => r.id);

    // Bob's own first, then his team's.
    expect(await ids(BOB)).toEqual(['task-bob', 'task-0001']);
    expect(await ids(ALICE)).toEqual(['task-0001', 'task-bob']);
    expect(await ids(ALICE, `?requestedBy=${encodeURIComponent(BOB)}`)).toEqual(
      ['task-bob'],
    );
    expect(await ids(ALICE, '?owner=team-web&limit=1')).toEqual(['task-0001']);
    expect(await ids(CAROL)).toEqual([]);
    expect(await ids(CAROL, '?owner=group:default/team-web')).toEqual([]);

    const teammate = await request(server)
      .get('/api/kubevirt/v1/requests/task-0001')
      .set(as(BOB));
    expect(teammate.status).toBe(200);
    expect(teammate.body.requestedBy).toBe(ALICE);

    const stranger = await request(server)
      .get('/api/kubevirt/v1/requests/task-0001')
      .set(as(CAROL));
    const missing = await request(server)
      .get('/api/kubevirt/v1/requests/no-such-task')
      .set(as(CAROL));
    expect(stranger.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(stranger.body.error.message).toBe(
      "VM request 'task-0001' was not found",
    );
  });

  it('bounds the page and names a wrong query parameter', async () => {
    const tooMany = await request(server)
      .get('/api/kubevirt/v1/requests?limit=1000')
      .set(as(ALICE));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toMatch(/limit: /);
    const badOwner = await request(server)
      .get('/api/kubevirt/v1/requests?owner=user:default/bob')
      .set(as(ALICE));
    expect(badOwner.status).toBe(400);
    expect(badOwner.body.error.message).toMatch(/owner: .* is not a group ref/);
  });

  it('refuses service principals that the config does not name, and shows all requests to one it names', async () => {
    const bot = await request(server)
      .get('/api/kubevirt/v1/requests')
      .set(asService('external:ci-bot'));
    expect(bot.status).toBe(403);
    expect(bot.body.error.message).toMatch(
      /Service principal 'external:ci-bot' may not read VM requests.*kubevirt\.permissions\.servicePrincipalsAllowedToAct/,
    );
    const botById = await request(server)
      .get('/api/kubevirt/v1/requests/task-0001')
      .set(asService('external:ci-bot'));
    expect(botById.status).toBe(403);

    const script = await request(server)
      .get('/api/kubevirt/v1/requests')
      .set(asService(SCRIPT));
    expect(script.status).toBe(200);
    expect(script.body.items.map((r: { id: string }) => r.id).sort()).toEqual([
      'task-0001',
      'task-bob',
    ]);
  });

  it('shows nothing to a team member whom the permission policy denies kubevirt.request.read', async () => {
    for (const path of [
      '/api/kubevirt/v1/requests',
      '/api/kubevirt/v1/requests/task-0001',
    ]) {
      const denied = await request(server).get(path).set(as(DENIED));
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toMatch(
        /does not allow you to see VM requests \(kubevirt\.request\.read\)/,
      );
      expect(JSON.stringify(denied.body)).not.toContain('web-7');
    }
  });
});
