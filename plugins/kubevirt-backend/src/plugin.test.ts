import type { AuditorService } from '@backstage/backend-plugin-api';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
} from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizeResult,
  isPermission,
} from '@backstage/plugin-permission-common';
import {
  adminKubeConfig,
  ClusterInfo,
  createTestNamespace,
  kubeRequest,
  deleteTestNamespace,
  testClusters,
  waitUntil,
} from '@vmportal/kube-testenv';
import {
  KUBEVIRT_ANNOTATIONS,
  kubevirtPermissions,
  kubevirtVmAdoptPermission,
  kubevirtVmConsolePermission,
  kubevirtVmMigratePermission,
  kubevirtVmSnapshotPermission,
  kubevirtVmChangePermission,
  kubevirtVmDecommissionPermission,
  kubevirtVmPowerPermission,
  kubevirtVmReadPermission,
  NamespaceQuotaSummary,
  Quantity,
  TeamQuotaSummary,
  VirtualMachineLiveState,
  VirtualMachineSnapshots,
  VirtualMachineView,
  CONSOLE_PROTOCOL,
  consoleProtocols,
} from '@vmportal/plugin-kubevirt-common';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import request from 'supertest';
import { parse } from 'yaml';
import {
  applyAsAdmin,
  clustersConfig,
  readVm,
  testVirtualMachine,
  waitForVmStatus,
} from './__testUtils__/testVirtualMachines';
import { WebSocket } from 'ws';
import { kubevirtPlugin } from './plugin';

jest.setTimeout(180_000);

const OWNER = 'user:default/owner';
/** Member of team-data, which owns the `copied` and `web-1-stale` entities. */
const STRANGER = 'user:default/stranger';
/** A static token's subject that the config allows to act on VMs. */
const SCRIPT = 'vmportal-scripts';
/** A service principal the config does not name. */
const CI_BOT = 'external:ci-bot';
/** Cloud-init of db-1: what the VM page must never show. */
const DB_USER_DATA =
  '#cloud-config\nuser: fedora\npassword: db-1-s3cret-pw\nchpasswd: { expire: False }\n';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** May not even read VMs. */
const OUTSIDER = 'user:default/outsider';
/** May read the live state of team-data's VMs only (as a conditional policy would say). */
const WATCHER = 'user:default/watcher';
/** A service principal the config allows to read the inventory in bulk (not to act). */
const CMDB_SYNC = 'cmdb-sync';
/** Who owns what through which group, as the catalog's ownership claims would say. */
const claims: Record<string, string[]> = {
  [OWNER]: [OWNER, 'group:default/team-web'],
  [STRANGER]: [STRANGER, 'group:default/team-data'],
};

let clusters: ClusterInfo[];
let east: ClusterInfo;
let west: ClusterInfo;
let namespace: string;
let emptyNamespace: string;
let server: Server;
let entities: Entity[] = [];
const warnings: Array<{ message: string; meta?: unknown }> = [];
const auditEvents: Array<{
  options: Parameters<AuditorService['createEvent']>[0];
  outcome?: { status: 'succeeded' | 'failed'; meta?: object; error?: Error };
}> = [];

const TEAM_WEB = 'group:default/team-web';
const TEAM_DATA = 'group:default/team-data';

function vmEntity(
  name: string,
  annotations: Record<string, string>,
  owner = TEAM_WEB,
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'virtual-machine', lifecycle: 'production', owner },
    relations: [{ type: 'ownedBy', targetRef: owner }],
  };
}

/**
 * The annotations the KubeVirt catalog provider writes (its location as the
 * translator's test pins it), for a VM of that uid.
 */
function annotationsFor(
  cluster: string,
  ns: string,
  name: string,
  uid = '00000000-0000-0000-0000-000000000000',
) {
  const location = `kubevirt:${cluster}/${ns}/${name}`;
  return {
    [ANNOTATION_LOCATION]: location,
    [ANNOTATION_ORIGIN_LOCATION]: location,
    [KUBEVIRT_ANNOTATIONS.cluster]: cluster,
    [KUBEVIRT_ANNOTATIONS.namespace]: ns,
    [KUBEVIRT_ANNOTATIONS.name]: name,
    [KUBEVIRT_ANNOTATIONS.uid]: uid,
  };
}

/** Users whose console permission a test has taken away meanwhile. */
const consoleRevoked = new Set<string>();

/** What only a VM's owners may do, as in the demo policy. */
const OWNERS_ONLY = [
  kubevirtVmPowerPermission,
  kubevirtVmChangePermission,
  kubevirtVmDecommissionPermission,
  kubevirtVmAdoptPermission,
  kubevirtVmConsolePermission,
  kubevirtVmSnapshotPermission,
  kubevirtVmMigratePermission,
];

/**
 * As the permission framework and the portal's policy decide: service principals are
 * allowed without asking the policy; users may act on what they own, and may do
 * everything else unless they are the outsider.
 */
const permissions = mockServices.permissions.mock({
  async authorize(requests, options) {
    const principal = options?.credentials.principal as {
      type: string;
      userEntityRef?: string;
    };
    if (principal.type === 'service') {
      return requests.map(() => ({ result: AuthorizeResult.ALLOW }));
    }
    const user = principal.userEntityRef ?? '';
    const ownerOf = (resourceRef: string) =>
      entities.find(e => `component:default/${e.metadata.name}` === resourceRef)
        ?.spec?.owner as string | undefined;
    return requests.map(r => {
      const resourceRef = (r as { resourceRef?: string }).resourceRef ?? '';
      if (
        user === WATCHER &&
        isPermission(r.permission, kubevirtVmReadPermission)
      ) {
        return {
          result:
            ownerOf(resourceRef) === TEAM_DATA
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
        };
      }
      if (
        consoleRevoked.has(user) &&
        isPermission(r.permission, kubevirtVmConsolePermission)
      ) {
        return { result: AuthorizeResult.DENY };
      }
      if (!OWNERS_ONLY.some(p => isPermission(r.permission, p))) {
        return {
          result:
            user === OUTSIDER ? AuthorizeResult.DENY : AuthorizeResult.ALLOW,
        };
      }
      const owner = ownerOf(resourceRef);
      return {
        result:
          owner && (claims[user] ?? []).includes(owner)
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      };
    });
  },
});

const auditor = mockServices.auditor.mock({
  async createEvent(options) {
    const event: (typeof auditEvents)[number] = { options };
    auditEvents.push(event);
    return {
      async success(params) {
        event.outcome = {
          status: 'succeeded',
          meta: { ...options.meta, ...params?.meta },
        };
      },
      async fail(params) {
        event.outcome = {
          status: 'failed',
          meta: { ...options.meta, ...params.meta },
          error: params.error,
        };
      },
    };
  },
});

const logger = mockServices.logger.mock({
  child: () => logger,
  warn: (message, meta) => {
    warnings.push({ message, meta });
  },
});

const as = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});

/** As a static token or another plugin would call: a service principal. */
const asService = (subject: string) => ({
  Authorization: mockCredentials.service.header({
    onBehalfOf: mockCredentials.service(subject),
    targetPluginId: 'kubevirt',
  }),
});

beforeAll(async () => {
  clusters = testClusters();
  [east, west] = clusters;
  [namespace, emptyNamespace] = await Promise.all([
    createTestNamespace(east, 'kvb-web', { 'vmportal.io/owner': 'team-web' }),
    createTestNamespace(west, 'kvb-empty', { 'vmportal.io/owner': 'team-web' }),
  ]);
  await applyAsAdmin(east, [
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'team-quota', namespace },
      spec: {
        hard: {
          'requests.cpu': '8',
          'requests.memory': '32Gi',
          'count/virtualmachines.kubevirt.io': '5',
        },
      },
    } as KubernetesObject,
  ]);
  // The quota admits VMs only once its controller has filled in its status.
  await waitUntil('the ResourceQuota to have a status', 60_000, async () => {
    const quota = await kubeRequest<{ status?: { hard?: object } }>(
      adminKubeConfig(east),
      'GET',
      `/api/v1/namespaces/${namespace}/resourcequotas/team-quota`,
    );
    return quota.status?.hard ? true : undefined;
  });
  await applyAsAdmin(east, [
    testVirtualMachine(namespace, 'web-1', {
      instancetype: 'u1.small',
      preference: 'fedora',
      dataDisk: '1Gi',
    }),
    // No claim: KubeVirt live-migrates it (web-1's RWO data disk keeps it in place).
    testVirtualMachine(namespace, 'mover-1', {
      instancetype: 'u1.small',
      preference: 'fedora',
    }),
    testVirtualMachine(namespace, 'db-1', {
      runStrategy: 'Halted',
      cpu: { cores: 2, sockets: 1, threads: 2 },
      memory: '3Gi',
      userData: DB_USER_DATA,
      // As `kubectl apply` leaves it: the whole VM again, cloud-init included.
      annotations: {
        [LAST_APPLIED]: JSON.stringify(
          testVirtualMachine(namespace, 'db-1', { userData: DB_USER_DATA }),
        ),
      },
    }),
  ]);
  const [web1, db1, mover1] = await Promise.all([
    readVm(east, namespace, 'web-1'),
    readVm(east, namespace, 'db-1'),
    readVm(east, namespace, 'mover-1'),
  ]);
  const web1Annotations = annotationsFor(
    east.name,
    namespace,
    'web-1',
    web1.metadata.uid,
  );

  entities = [
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'team-web', namespace: 'default' },
      spec: { type: 'team', children: [] },
    },
    vmEntity('web-1', web1Annotations),
    vmEntity(
      'db-1',
      annotationsFor(east.name, namespace, 'db-1', db1.metadata.uid),
    ),
    vmEntity(
      'mover-1',
      annotationsFor(east.name, namespace, 'mover-1', mover1.metadata.uid),
    ),
    vmEntity('unannotated', {
      [KUBEVIRT_ANNOTATIONS.namespace]: namespace,
      [KUBEVIRT_ANNOTATIONS.name]: 'web-1',
    }),
    vmEntity('ghost', annotationsFor(east.name, namespace, 'ghost')),
    vmEntity('elsewhere', annotationsFor('nowhere', namespace, 'web-1')),
    vmEntity('offline-1', annotationsFor('offline', namespace, 'web-1')),
    // team-data registered a catalog file that copies web-1's annotations: the
    // catalog sets the location annotations of such an entity to the file's URL.
    vmEntity(
      'copied',
      {
        ...web1Annotations,
        [ANNOTATION_LOCATION]:
          'url:https://git.example.com/team-data/catalog-info.yaml',
        [ANNOTATION_ORIGIN_LOCATION]:
          'url:https://git.example.com/team-data/catalog-info.yaml',
      },
      TEAM_DATA,
    ),
    // The provider's entity of a VM web-1 that was deleted and re-created since.
    vmEntity(
      'web-1-stale',
      annotationsFor(
        east.name,
        namespace,
        'web-1',
        '11111111-2222-3333-4444-555555555555',
      ),
      TEAM_DATA,
    ),
  ];

  const portal = clustersConfig(clusters, [
    {
      // Nothing listens here: reads fail as with an unreachable apiserver.
      name: 'offline',
      url: 'https://127.0.0.1:9',
      authProvider: 'serviceAccount',
      serviceAccountToken: 'offline-token',
    },
  ]);
  const config = {
    ...portal,
    kubevirt: {
      ...portal.kubevirt,
      // Short, so that the tests see sessions end; every other test sends sooner.
      console: {
        idleTimeout: { seconds: 2 },
        permissionRecheck: { milliseconds: 300 },
      },
      permissions: {
        servicePrincipalsAllowedToAct: [SCRIPT],
        servicePrincipalsAllowedToReadInventory: [CMDB_SYNC],
      },
    },
  };
  const backend = await startTestBackend({
    features: [
      kubevirtPlugin,
      mockServices.rootConfig.factory({ data: config }),
      catalogServiceMock.factory({ entities }),
      permissions.factory,
      auditor.factory,
      logger.factory,
    ],
  });
  server = backend.server;

  await waitForVmStatus(east, namespace, 'web-1', 'Running');
});

afterAll(async () => {
  await Promise.all([
    deleteTestNamespace(east, namespace),
    deleteTestNamespace(west, emptyNamespace),
  ]);
});

async function getView(name: string, user = OWNER) {
  return request(server)
    .get(`/api/kubevirt/v1/entities/default/component/${name}/vm`)
    .set(as(user));
}

async function power(name: string, body: object, user = OWNER) {
  return request(server)
    .post(`/api/kubevirt/v1/entities/default/component/${name}/power`)
    .set(as(user))
    .send(body);
}

/** Polls the view (bounded) until `check` holds. */
async function waitForView(
  name: string,
  what: string,
  check: (view: VirtualMachineView) => boolean,
): Promise<VirtualMachineView> {
  return waitUntil(`the view of ${name}: ${what}`, 90_000, async () => {
    const response = await getView(name);
    return response.status === 200 && check(response.body)
      ? (response.body as VirtualMachineView)
      : undefined;
  });
}

describe('kubevirtPlugin', () => {
  it('answers its health check without credentials', async () => {
    const response = await request(server).get('/api/kubevirt/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('registers its permissions', async () => {
    const response = await request(server).get(
      '/api/kubevirt/.well-known/backstage/permissions/metadata',
    );
    expect(response.status).toBe(200);
    expect(response.body.permissions).toEqual(
      expect.arrayContaining(
        kubevirtPermissions.map(p => expect.objectContaining({ name: p.name })),
      ),
    );
  });

  describe('GET /v1/entities/:namespace/:kind/:name/vm', () => {
    it("shows the running VM's live state", async () => {
      // Running comes before the guest agent has reported IPs and the OS.
      const view = await waitForView(
        'web-1',
        'Running and ready, with an IP and a guest OS',
        v =>
          v.printableStatus === 'Running' &&
          v.ready &&
          v.interfaces[0]?.ipAddresses.length > 0 &&
          v.guestOS !== undefined,
      );
      const vm = await readVm(east, namespace, 'web-1');
      expect(view).toMatchObject({
        cluster: east.name,
        namespace,
        name: 'web-1',
        uid: vm.metadata.uid,
        printableStatus: 'Running',
        ready: true,
        runStrategy: 'Always',
        size: {
          instancetype: 'u1.small',
          preference: 'fedora',
          vcpus: 1,
          memory: '2Gi',
        },
        guestOS: { id: 'fedora' },
        power: { allowed: true, available: ['stop', 'restart', 'pause'] },
        // The day-2 changes the policy allows this user, decided with the view.
        changes: { change: true, decommission: true, adopt: true },
      });
      expect(view.node).toEqual(expect.any(String));
      expect(Date.parse(view.startedAt ?? '')).toBeLessThanOrEqual(Date.now());
      expect(view.conditions).toContainEqual(
        expect.objectContaining({ type: 'Ready', status: 'True' }),
      );
      expect(view.interfaces).toEqual([
        expect.objectContaining({
          name: 'default',
          network: 'pod',
          binding: 'masquerade',
          mac: expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
          ipAddresses: [expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/)],
        }),
      ]);
      expect(view.disks).toEqual([
        {
          name: 'rootdisk',
          bus: 'virtio',
          type: 'containerDisk',
          source: 'quay.io/containerdisks/fedora:41',
        },
        { name: 'cloudinitdisk', bus: 'virtio', type: 'cloudInitNoCloud' },
        expect.objectContaining({
          name: 'data',
          bus: 'scsi',
          type: 'dataVolume',
          source: 'web-1-data',
          storageClass: 'standard',
          phase: 'Succeeded',
          size: expect.any(String),
        }),
      ]);
      expect(view.launcherPod).toMatchObject({
        name: expect.stringMatching(/^virt-launcher-web-1-/),
        phase: 'Running',
        requests: { cpu: expect.any(String), memory: expect.any(String) },
      });
      expect(view.events.length).toBeGreaterThan(0);
      expect(view.events.length).toBeLessThanOrEqual(30);
      const kinds = new Set(view.events.map(e => e.object.kind));
      expect(kinds).toContain('VirtualMachine');
      expect(kinds).toContain('Pod');
      const times = view.events.map(e => Date.parse(e.lastTimestamp ?? ''));
      expect(times).toEqual([...times].sort((a, b) => b - a));

      const manifest = parse(view.manifest);
      expect(manifest).toMatchObject({
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: { name: 'web-1', namespace },
        spec: { runStrategy: 'Always', instancetype: { name: 'u1.small' } },
      });
      expect(manifest.status).toBeUndefined();
      expect(manifest.metadata.managedFields).toBeUndefined();
      expect(view.manifest).not.toContain('managedFields');
    });

    it('never shows a cluster token or CA', async () => {
      const response = await getView('web-1');
      expect(response.status).toBe(200);
      const text = JSON.stringify(response.body);
      for (const cluster of clusters) {
        expect(text).not.toContain(cluster.token);
        expect(text).not.toContain(cluster.readerToken);
        expect(text).not.toContain(cluster.actorToken);
        expect(text).not.toContain(cluster.caData);
      }
      const list = await request(server)
        .get('/api/kubevirt/v1/clusters')
        .set(as(OWNER));
      expect(list.body).toEqual(
        clusters.map(c => ({ name: c.name })).concat([{ name: 'offline' }]),
      );
    });

    it('sizes a VM without an instancetype by its CPU topology', async () => {
      const view = await waitForView(
        'db-1',
        'Stopped',
        v => v.printableStatus === 'Stopped',
      );
      expect(view.size).toEqual({ vcpus: 4, memory: '3Gi' });
      expect(view.runStrategy).toBe('Halted');
      expect(view.launcherPod).toBeUndefined();
      expect(view.node).toBeUndefined();
      expect(view.power.available).toEqual(['start']);
    });

    it('tells a non-owner why they cannot act', async () => {
      const response = await getView('web-1', STRANGER);
      expect(response.status).toBe(200);
      expect(response.body.power).toEqual({
        allowed: false,
        deniedReason: expect.stringContaining(
          `Only members of ${TEAM_WEB} can start, stop`,
        ),
        available: ['stop', 'restart', 'pause'],
      });
    });

    it('refuses users who may not read VMs', async () => {
      const response = await getView('web-1', OUTSIDER);
      expect(response.status).toBe(403);
      expect(response.body.error.message).toBe(
        'You may not see the virtual machine of component:default/web-1',
      );
    });

    it.each([
      ['missing', 'component:default/missing was not found in the catalog'],
      [
        'unannotated',
        `Component default/unannotated has no ${KUBEVIRT_ANNOTATIONS.cluster} annotation`,
      ],
      [
        'ghost',
        () =>
          `VirtualMachine ${namespace}/ghost not found in cluster ${east.name}`,
      ],
      ['elsewhere', "cluster 'nowhere' is not configured"],
    ])('says what is missing for %s', async (name, message) => {
      const response = await getView(name);
      expect(response.status).toBe(404);
      expect(response.body.error.name).toBe('NotFoundError');
      expect(response.body.error.message).toContain(
        typeof message === 'function' ? message() : message,
      );
    });

    it('names the cluster it could not reach', async () => {
      const response = await getView('offline-1');
      expect(response.status).toBe(503);
      expect(response.body.error.message).toContain("on cluster 'offline'");
      expect(JSON.stringify(response.body)).not.toContain('offline-token');
    });

    it('never shows cloud-init user data, only its size', async () => {
      const vm = await readVm(east, namespace, 'db-1');
      // The cluster really holds the secret, in the spec and in kubectl's copy.
      expect(JSON.stringify(vm)).toContain('db-1-s3cret-pw');
      expect(vm.metadata.annotations?.[LAST_APPLIED]).toContain(
        'db-1-s3cret-pw',
      );

      const response = await getView('db-1');
      expect(response.status).toBe(200);
      expect(JSON.stringify(response.body)).not.toContain('db-1-s3cret-pw');
      expect(response.body.manifest).not.toContain(LAST_APPLIED);
      const manifest = parse(response.body.manifest);
      expect(
        manifest.spec.template.spec.volumes.find(
          (v: { name: string }) => v.name === 'cloudinitdisk',
        ),
      ).toEqual({
        name: 'cloudinitdisk',
        cloudInitNoCloud: {
          userData: `redacted, ${Buffer.byteLength(DB_USER_DATA)} bytes`,
        },
      });
    });

    it("refuses to show a VM through an entity that is not the provider's", async () => {
      // team-data owns the copy, so without the provenance check its members would
      // see web-1, which belongs to team-web.
      const response = await getView('copied', STRANGER);
      expect(response.status).toBe(403);
      expect(response.body.error.name).toBe('NotAllowedError');
      expect(response.body.error.message).toContain(
        'component:default/copied is not an entity of the KubeVirt catalog provider',
      );
      expect(response.body.error.message).toContain(
        `the provider's would be 'kubevirt:${east.name}/${namespace}/web-1'`,
      );
      expect(JSON.stringify(response.body)).not.toContain('printableStatus');
    });

    it('says the catalog has not caught up when the VM was re-created', async () => {
      const response = await getView('web-1-stale', STRANGER);
      expect(response.status).toBe(409);
      expect(response.body.error.name).toBe('ConflictError');
      expect(response.body.error.message).toContain(
        'the catalog has not caught up yet, retry in a few seconds',
      );
    });

    it('tells a service principal that the config does not let it act', async () => {
      const response = await request(server)
        .get('/api/kubevirt/v1/entities/default/component/web-1/vm')
        .set(asService(CI_BOT));
      expect(response.status).toBe(200);
      expect(response.body.power).toMatchObject({
        allowed: false,
        deniedReason: expect.stringContaining(
          'kubevirt.permissions.servicePrincipalsAllowedToAct',
        ),
      });
    });
  });

  describe('POST /v1/entities/:namespace/:kind/:name/power', () => {
    it('refuses non-owners with 403 and records it, naming them, at warn', async () => {
      auditEvents.length = 0;
      warnings.length = 0;
      const response = await power('web-1', { action: 'stop' }, STRANGER);
      expect(response.status).toBe(403);
      expect(response.body.error.message).toBe(
        `Only members of ${TEAM_WEB} can stop component:default/web-1`,
      );
      expect(auditEvents).toHaveLength(1);
      expect(auditEvents[0].options).toMatchObject({
        eventId: 'vm-power-action',
        severityLevel: 'high',
        meta: {
          action: 'stop',
          entityRef: 'component:default/web-1',
          actor: STRANGER,
        },
      });
      expect(auditEvents[0].outcome).toMatchObject({
        status: 'failed',
        meta: {
          cluster: east.name,
          namespace,
          name: 'web-1',
          refusal: 'permission',
        },
        error: expect.objectContaining({ name: 'NotAllowedError' }),
      });
      expect(warnings).toEqual([
        {
          message: `Refused stop of component:default/web-1 for ${STRANGER}: Only members of ${TEAM_WEB} can stop component:default/web-1`,
          meta: expect.objectContaining({
            actor: STRANGER,
            refusal: 'permission',
          }),
        },
      ]);
      expect((await readVm(east, namespace, 'web-1')).spec.runStrategy).toBe(
        'Always',
      );
    });

    it('rejects a request that is not a power action', async () => {
      const response = await power('web-1', { action: 'explode' });
      expect(response.status).toBe(400);
      expect(response.body.error.name).toBe('InputError');
      expect(response.body.error.message).toContain('action');
    });

    it('lets an owner stop and start the VM through KubeVirt, and audits it', async () => {
      await waitForView(
        'web-1',
        'Running',
        v => v.printableStatus === 'Running',
      );
      auditEvents.length = 0;

      const stop = await power('web-1', { action: 'stop', force: true });
      expect(stop.status).toBe(202);
      expect(stop.body).toEqual({
        action: 'stop',
        via: 'subresource',
        previousStatus: 'Running',
      });
      await waitForVmStatus(east, namespace, 'web-1', 'Stopped');

      const start = await power('web-1', { action: 'start' });
      expect(start.status).toBe(202);
      expect(start.body).toEqual({
        action: 'start',
        via: 'subresource',
        previousStatus: 'Stopped',
      });
      await waitForVmStatus(east, namespace, 'web-1', 'Running');

      expect(auditEvents.map(e => e.outcome)).toEqual([
        {
          status: 'succeeded',
          meta: {
            action: 'stop',
            force: true,
            entityRef: 'component:default/web-1',
            actor: OWNER,
            cluster: east.name,
            namespace,
            name: 'web-1',
            via: 'subresource',
            previousStatus: 'Running',
          },
        },
        expect.objectContaining({
          status: 'succeeded',
          meta: expect.objectContaining({
            action: 'start',
            via: 'subresource',
          }),
        }),
      ]);
      expect(auditEvents[0].options.request).toBeDefined();
    });

    it("passes on KubeVirt's refusal to start a running VM as 409", async () => {
      await waitForVmStatus(east, namespace, 'web-1', 'Running');
      auditEvents.length = 0;
      const response = await power('web-1', { action: 'start' });
      expect(response.status).toBe(409);
      expect(response.body.error.name).toBe('ConflictError');
      expect(response.body.error.message).toMatch(/already running/i);
      expect(auditEvents[0].outcome?.status).toBe('failed');
    });

    it('pauses and unpauses the running VM', async () => {
      await waitForVmStatus(east, namespace, 'web-1', 'Running');
      const pause = await power('web-1', { action: 'pause' });
      expect(pause.status).toBe(202);
      expect(pause.body).toMatchObject({ via: 'subresource' });
      const paused = await waitForView(
        'web-1',
        'Paused',
        v => v.printableStatus === 'Paused',
      );
      expect(paused.power.available).toEqual(['stop', 'unpause']);

      const unpause = await power('web-1', { action: 'unpause' });
      expect(unpause.status).toBe(202);
      expect(unpause.body).toMatchObject({ previousStatus: 'Paused' });
      await waitForVmStatus(east, namespace, 'web-1', 'Running');
    });

    it('says which VM is missing', async () => {
      const response = await power('ghost', { action: 'start' });
      expect(response.status).toBe(404);
      expect(response.body.error.message).toBe(
        `VirtualMachine ${namespace}/ghost not found in cluster ${east.name}`,
      );
    });

    it('refuses service principals the config does not name, and records it at warn', async () => {
      await waitForVmStatus(east, namespace, 'web-1', 'Running');
      auditEvents.length = 0;
      warnings.length = 0;
      const response = await request(server)
        .post('/api/kubevirt/v1/entities/default/component/web-1/power')
        .set(asService(CI_BOT))
        .send({ action: 'stop', force: true });
      expect(response.status).toBe(403);
      expect(response.body.error.name).toBe('NotAllowedError');
      expect(response.body.error.message).toBe(
        `Service principal '${CI_BOT}' may not change virtual machines; a platform admin can allow it by adding '${CI_BOT}' to kubevirt.permissions.servicePrincipalsAllowedToAct`,
      );
      expect(auditEvents).toEqual([
        {
          options: expect.objectContaining({
            eventId: 'vm-power-action',
            severityLevel: 'high',
            meta: expect.objectContaining({ actor: CI_BOT, action: 'stop' }),
          }),
          outcome: expect.objectContaining({
            status: 'failed',
            meta: expect.objectContaining({ refusal: 'principal' }),
          }),
        },
      ]);
      expect(warnings).toEqual([
        {
          message: expect.stringMatching(
            `^Refused stop of component:default/web-1 for ${CI_BOT}: `,
          ),
          meta: expect.objectContaining({ actor: CI_BOT }),
        },
      ]);
      const vm = await readVm(east, namespace, 'web-1');
      expect(vm.spec.runStrategy).toBe('Always');
      expect(vm.status?.printableStatus).toBe('Running');
    });

    it('lets a service principal the config names act, and audits it by its subject', async () => {
      await waitForVmStatus(east, namespace, 'web-1', 'Running');
      auditEvents.length = 0;
      const asScript = (action: string) =>
        request(server)
          .post('/api/kubevirt/v1/entities/default/component/web-1/power')
          .set(asService(SCRIPT))
          .send({ action });

      const pause = await asScript('pause');
      expect(pause.status).toBe(202);
      await waitForVmStatus(east, namespace, 'web-1', 'Paused');
      const unpause = await asScript('unpause');
      expect(unpause.status).toBe(202);
      await waitForVmStatus(east, namespace, 'web-1', 'Running');

      expect(auditEvents.map(e => e.outcome)).toEqual([
        expect.objectContaining({
          status: 'succeeded',
          meta: expect.objectContaining({ action: 'pause', actor: SCRIPT }),
        }),
        expect.objectContaining({
          status: 'succeeded',
          meta: expect.objectContaining({ action: 'unpause', actor: SCRIPT }),
        }),
      ]);
    });

    it("refuses to act through an entity that is not the provider's", async () => {
      await waitForVmStatus(east, namespace, 'web-1', 'Running');
      auditEvents.length = 0;
      // STRANGER's team owns the copy, so the policy alone would let them stop web-1.
      const response = await power('copied', { action: 'stop' }, STRANGER);
      expect(response.status).toBe(403);
      expect(response.body.error.message).toContain(
        'component:default/copied is not an entity of the KubeVirt catalog provider',
      );
      expect(auditEvents[0]).toMatchObject({
        options: { severityLevel: 'high', meta: { actor: STRANGER } },
        outcome: { status: 'failed', meta: { refusal: 'provenance' } },
      });
      const vm = await readVm(east, namespace, 'web-1');
      expect(vm.spec.runStrategy).toBe('Always');
      expect(vm.status?.printableStatus).toBe('Running');
    });

    it('refuses to act on a re-created VM until the catalog has caught up', async () => {
      const response = await power('web-1-stale', { action: 'stop' }, STRANGER);
      expect(response.status).toBe(409);
      expect(response.body.error.message).toContain(
        'the catalog has not caught up yet, retry in a few seconds',
      );
      const vm = await readVm(east, namespace, 'web-1');
      expect(vm.spec.runStrategy).toBe('Always');
      expect(vm.status?.printableStatus).toBe('Running');
    });
  });

  describe('POST /v1/entities/:namespace/:kind/:name/changes/plan', () => {
    const plan = (name: string, body: object, headers = as(OWNER)) =>
      request(server)
        .post(
          `/api/kubevirt/v1/entities/default/component/${name}/changes/plan`,
        )
        .set(headers)
        .send(body);

    it("plans an owner's resize against the namespace's quota, with KubeVirt's overhead", async () => {
      await waitForVmStatus(east, namespace, 'web-1', 'Running');
      const response = await plan('web-1', {
        kind: 'resize',
        instancetype: 'u1.medium',
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        fits: true,
        problems: [],
        summary:
          'Resize VM web-1 from u1.small (1 vCPU, 2 GiB) to u1.medium (1 vCPU, 4 GiB)',
      });
      const memory = response.body.quota.rows.find(
        (r: { resource: string }) => r.resource === 'requests.memory',
      );
      // u1.small → u1.medium: what the launcher pod grows by, 2 GiB of guest memory
      // plus whatever KubeVirt's overhead adds with it (the plan's arithmetic).
      const adds = Quantity.parse(memory.thisVm).value();
      expect(adds).toBeGreaterThanOrEqual(2n * 1024n ** 3n);
      expect(adds).toBeLessThan(3n * 1024n ** 3n);
      // Planning changes nothing.
      expect(
        (await readVm(east, namespace, 'web-1')).spec.instancetype,
      ).toEqual(expect.objectContaining({ name: 'u1.small' }));
    });

    it('refuses a change that does not fit, naming the quota and the shortfall', async () => {
      const response = await plan('web-1', {
        kind: 'resize',
        instancetype: 'u1.8xlarge',
      });
      expect(response.status).toBe(200);
      expect(response.body.fits).toBe(false);
      expect(response.body.problems.join('\n')).toMatch(
        /ResourceQuota team-quota: requests\.memory would be [\d.]+ GiB of 32 GiB \(short by [\d.]+ GiB\)/,
      );
    });

    it('refuses non-owners with 403 and records it at high, naming them', async () => {
      auditEvents.length = 0;
      warnings.length = 0;
      const response = await plan(
        'web-1',
        { kind: 'decommission', confirm: 'web-1' },
        as(STRANGER),
      );
      expect(response.status).toBe(403);
      expect(response.body.error.message).toBe(
        `Only members of ${TEAM_WEB} can ask for changes to component:default/web-1 (kubevirt.vm.decommission)`,
      );
      expect(auditEvents).toEqual([
        {
          options: expect.objectContaining({
            eventId: 'vm-change-plan',
            severityLevel: 'high',
            meta: {
              change: 'decommission',
              entityRef: 'component:default/web-1',
              actor: STRANGER,
            },
          }),
          outcome: expect.objectContaining({
            status: 'failed',
            meta: expect.objectContaining({
              cluster: east.name,
              name: 'web-1',
              refusal: 'permission',
            }),
          }),
        },
      ]);
      expect(warnings).toEqual([
        {
          message: expect.stringMatching(
            `^Refused a decommission plan of component:default/web-1 for ${STRANGER}: `,
          ),
          meta: expect.objectContaining({ refusal: 'permission' }),
        },
      ]);
    });

    it('refuses service principals the config does not name, and entities not emitted by the provider', async () => {
      auditEvents.length = 0;
      const bot = await plan(
        'web-1',
        { kind: 'resize', instancetype: 'u1.medium' },
        asService(CI_BOT),
      );
      expect(bot.status).toBe(403);
      expect(bot.body.error.message).toMatch(
        `Service principal '${CI_BOT}' may not change virtual machines`,
      );
      const copied = await plan(
        'copied',
        { kind: 'resize', instancetype: 'u1.medium' },
        as(STRANGER),
      );
      expect(copied.status).toBe(403);
      expect(copied.body.error.message).toMatch(
        /is not an entity of the KubeVirt catalog provider/,
      );
      expect(
        auditEvents.map(e => [
          e.options.eventId,
          (e.outcome?.meta as { refusal?: string } | undefined)?.refusal,
        ]),
      ).toEqual([
        ['vm-change-plan', 'principal'],
        ['vm-change-plan', 'provenance'],
      ]);
    });

    it('names the field and the fix of a bad change', async () => {
      const response = await plan('web-1', {
        kind: 'add-disk',
        name: 'Data 2',
        size: '5Gi',
      });
      expect(response.status).toBe(400);
      expect(response.body.error.name).toBe('InputError');
      expect(response.body.error.message).toMatch(/\bname\b/);
      const same = await plan('web-1', {
        kind: 'resize',
        instancetype: 'u1.small',
      });
      expect(same.status).toBe(200);
      expect(same.body.fits).toBe(false);
      expect(same.body.problems.join('\n')).toMatch(/u1\.small/);
    });
  });

  describe('VM inventory', () => {
    const states = (entityRefs: unknown, headers = as(OWNER)) =>
      request(server)
        .post('/api/kubevirt/v1/inventory/states')
        .set(headers)
        .send({ entityRefs });
    const addresses = (q: string, headers = as(OWNER)) =>
      request(server)
        .get(`/api/kubevirt/v1/inventory/addresses?q=${encodeURIComponent(q)}`)
        .set(headers);
    const ref = (name: string) => `component:default/${name}`;

    // The power tests stop, start and pause web-1: wait until it runs again.
    beforeAll(async () => {
      await waitForView(
        'web-1',
        'running, ready, with an address',
        view =>
          view.printableStatus === 'Running' &&
          view.ready &&
          view.interfaces.some(i => i.ipAddresses.length > 0),
      );
    });

    it('answers the live state of every row in one call, in order, saying why a row has none', async () => {
      const rows = [
        'web-1',
        'db-1',
        'copied',
        'ghost',
        'elsewhere',
        'offline-1',
        'no-such-entity',
      ].map(ref);
      const response = await states(rows);
      expect(response.status).toBe(200);
      const items = response.body.items as VirtualMachineLiveState[];
      expect(items.map(i => i.entityRef)).toEqual(rows);
      const [web1, db1, copied, ghost, elsewhere, offline, missing] = items;
      expect(web1).toMatchObject({
        printableStatus: 'Running',
        ready: true,
        ipAddresses: [expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/)],
        node: expect.any(String),
      });
      expect(web1.gap).toBeUndefined();
      expect(db1).toEqual({
        entityRef: ref('db-1'),
        printableStatus: 'Stopped',
        ready: false,
      });
      expect(copied).toMatchObject({
        gap: 'not-a-vm',
        message: expect.stringContaining(
          'not an entity of the KubeVirt catalog provider',
        ),
      });
      expect(copied.printableStatus).toBeUndefined();
      expect(ghost).toMatchObject({
        gap: 'not-found',
        message: expect.stringContaining('is no longer on cluster'),
      });
      expect(elsewhere).toMatchObject({
        gap: 'unavailable',
        message: "Cluster 'nowhere' is not configured in this portal",
      });
      expect(offline).toMatchObject({
        gap: 'unavailable',
        message: expect.stringContaining("Cluster 'offline' could not be read"),
      });
      expect(missing).toMatchObject({
        gap: 'not-a-vm',
        message: `${ref(
          'no-such-entity',
        )} is not in the catalog, or you may not see it`,
      });
    });

    it('says the catalog is catching up for an entity of a re-created VM', async () => {
      const response = await states([ref('web-1-stale')]);
      expect(response.body.items[0]).toMatchObject({
        gap: 'not-found',
        message: expect.stringContaining('was re-created'),
      });
    });

    it('leaves out the live state of VMs the policy does not let the user read', async () => {
      const response = await states(
        [ref('web-1'), ref('web-1-stale')],
        as(WATCHER),
      );
      expect(response.status).toBe(200);
      const [web1, stale] = response.body.items as VirtualMachineLiveState[];
      expect(web1).toEqual({
        entityRef: ref('web-1'),
        gap: 'not-allowed',
        message: expect.stringContaining('members of group:default/team-web'),
      });
      // team-data's entity is readable: its gap is the VM's, not the permission's.
      expect(stale.gap).toBe('not-found');
    });

    it('refuses service principals the config does not name, and serves those it does', async () => {
      const refused = await states([ref('web-1')], asService(CI_BOT));
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toBe(
        `Service principal '${CI_BOT}' may not read the VM inventory in bulk; a platform admin can allow it by adding '${CI_BOT}' to kubevirt.permissions.servicePrincipalsAllowedToReadInventory`,
      );
      // Allowed to act is not allowed to list: the two lists are apart.
      expect((await states([ref('web-1')], asService(SCRIPT))).status).toBe(
        403,
      );
      expect((await addresses('10.', asService(CI_BOT))).status).toBe(403);
      const served = await states([ref('web-1')], asService(CMDB_SYNC));
      expect(served.status).toBe(200);
      expect(served.body.items[0].printableStatus).toBe('Running');
    });

    it('names the field and the limit of a bad request', async () => {
      const tooMany = await states(
        Array.from({ length: 101 }, (_, i) => ref(`vm-${i}`)),
      );
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.message).toBe(
        'Invalid live states request: entityRefs: ask for at most 100 entity refs at a time',
      );
      const none = await states([]);
      expect(none.status).toBe(400);
      expect(none.body.error.message).toContain(
        'entityRefs: give at least one entity ref',
      );
      const notIp = await addresses('web-1');
      expect(notIp.status).toBe(400);
      expect(notIp.body.error.message).toContain(
        'q: an IP address holds only digits and dots',
      );
    });

    it("finds a running VM by the beginning of its guest's IP address, for those who may read it", async () => {
      const [web1] = (await states([ref('web-1')])).body
        .items as VirtualMachineLiveState[];
      const ip = web1.ipAddresses![0];
      const prefix = ip.slice(0, ip.lastIndexOf('.') + 1);
      const found = await addresses(prefix);
      expect(found.status).toBe(200);
      expect(found.body.items).toContainEqual({
        entityRef: ref('web-1'),
        cluster: east.name,
        namespace,
        name: 'web-1',
        ipAddresses: [ip],
      });
      // web-1-stale names the same VM by an old uid, copied is not the provider's:
      // neither is an answer.
      const refs = (found.body.items as Array<{ entityRef: string }>).map(
        i => i.entityRef,
      );
      expect(refs).not.toContain(ref('web-1-stale'));
      expect(refs).not.toContain(ref('copied'));
      expect(
        (await addresses(ip)).body.items.map((i: { name: string }) => i.name),
      ).toEqual(['web-1']);
      expect((await addresses(prefix, as(WATCHER))).body.items).toEqual([]);
      // The offline cluster is named; the others still answered.
      expect(found.body.unsearchedClusters).toEqual(['offline']);
      expect((await addresses('203.0.113.')).body).toEqual({
        items: [],
        truncated: false,
        unsearchedClusters: ['offline'],
      });
    });
  });

  describe('quota', () => {
    it("summarises a namespace's quotas with their use", async () => {
      const summary = await waitUntil(
        'the quota to count the running VM',
        60_000,
        async () => {
          const response = await request(server)
            .get(`/api/kubevirt/v1/quota/${east.name}/${namespace}`)
            .set(as(OWNER));
          const body = response.body as NamespaceQuotaSummary;
          const memory = body.quotas?.find(
            q => q.resource === 'requests.memory',
          );
          const count = body.quotas?.find(
            q => q.resource === 'count/virtualmachines.kubevirt.io',
          );
          return memory && memory.fraction > 0 && count?.used === '3'
            ? body
            : undefined;
        },
      );
      expect(summary.cluster).toBe(east.name);
      expect(summary.namespace).toBe(namespace);
      expect(summary.quotas.map(q => q.resource)).toEqual([
        'count/virtualmachines.kubevirt.io',
        'requests.cpu',
        'requests.memory',
      ]);
      expect(summary.quotas[0]).toEqual({
        quota: 'team-quota',
        resource: 'count/virtualmachines.kubevirt.io',
        hard: '5',
        used: '3',
        fraction: 0.6,
      });
      const memory = summary.quotas[2];
      expect(memory.hard).toBe('32Gi');
      // A u1.small guest has 2Gi; its launcher pod asks for more.
      expect(memory.fraction).toBeGreaterThan(2 / 32);
      expect(memory.fraction).toBeLessThan(1);
    });

    it("sums up a team's VMs and namespaces", async () => {
      const response = await request(server)
        .get('/api/kubevirt/v1/teams/default/group/team-web/quota')
        .set(as(OWNER));
      expect(response.status).toBe(200);
      const body = response.body as TeamQuotaSummary;
      // Seven Components are owned by team-web; web-1 and mover-1 run.
      expect(body).toMatchObject({
        team: 'group:default/team-web',
        vmCount: entities.filter(
          e => e.kind === 'Component' && e.spec?.owner === TEAM_WEB,
        ).length,
        runningCount: 2,
      });
      const namespaces = body.namespaces.map(
        n => `${n.cluster}/${n.namespace}`,
      );
      expect(namespaces).toContain(`${east.name}/${namespace}`);
      expect(namespaces).toContain(`${west.name}/${emptyNamespace}`);
      expect(
        body.namespaces.find(n => n.namespace === emptyNamespace)?.quotas,
      ).toEqual([]);
    });

    it('lists the sizes a cluster offers', async () => {
      const response = await request(server)
        .get(`/api/kubevirt/v1/clusters/${east.name}/sizes`)
        .set(as(OWNER));
      expect(response.status).toBe(200);
      expect(response.body).toContainEqual(
        expect.objectContaining({
          name: 'u1.medium',
          kind: 'VirtualMachineClusterInstancetype',
          series: 'u1',
          size: 'medium',
          vcpus: 1,
          memory: '4Gi',
        }),
      );
    });

    it("plans a VM against the namespace's live quota", async () => {
      const plan = (body: object) =>
        request(server)
          .post(
            `/api/kubevirt/v1/clusters/${east.name}/namespaces/${namespace}/plan`,
          )
          .set(as(OWNER))
          .send(body);

      const fits = await plan({
        instancetype: 'u1.medium',
        disks: [{ name: 'data', size: '10Gi', storageClass: 'standard' }],
      });
      expect(fits.status).toBe(200);
      expect(fits.body.problems).toEqual([]);
      expect(fits.body.shortfalls).toEqual([]);
      expect(fits.body.fits).toBe(true);
      const memory = fits.body.rows.find(
        (r: { resource: string }) => r.resource === 'requests.memory',
      );
      expect(memory).toMatchObject({
        quota: 'team-quota',
        hard: '32Gi',
        fits: true,
      });
      expect(memory.thisVm).toEqual(expect.any(String));

      const tooBig = await plan({ instancetype: 'u1.8xlarge' });
      expect(tooBig.status).toBe(200);
      expect(tooBig.body.fits).toBe(false);
      expect(tooBig.body.shortfalls.join(' ')).toContain('requests.memory');

      // The test clusters have no StorageClass, so none is the default.
      const noClass = await plan({
        cpu: 2,
        memory: '4Gi',
        disks: [{ name: 'data', size: '10Gi' }],
      });
      expect(noClass.body.fits).toBe(false);
      expect(noClass.body.problems).toEqual([
        expect.stringContaining('Disk data names no storage class'),
      ]);

      const invalid = await plan({ cpu: 2 });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.message).toContain(
        'give an instancetype, or cpu and memory',
      );
    });
  });

  describe('quota and planning permissions and paths', () => {
    const routes: Array<[string, string, () => string, string]> = [
      ['GET', 'clusters', () => '/v1/clusters', 'kubevirt.vm.plan'],
      [
        'GET',
        'sizes',
        () => `/v1/clusters/${east.name}/sizes`,
        'kubevirt.vm.plan',
      ],
      [
        'POST',
        'plan',
        () => `/v1/clusters/${east.name}/namespaces/${namespace}/plan`,
        'kubevirt.vm.plan',
      ],
      [
        'GET',
        "an owner's namespaces",
        () =>
          `/v1/clusters/${east.name}/namespaces?owner=group:default/team-web`,
        'kubevirt.vm.plan',
      ],
      [
        'GET',
        'OS images',
        () => `/v1/clusters/${east.name}/images`,
        'kubevirt.vm.plan',
      ],
      [
        'GET',
        'namespace quota',
        () => `/v1/quota/${east.name}/${namespace}`,
        'kubevirt.quota.read',
      ],
      [
        'GET',
        'team quota',
        () => '/v1/teams/default/group/team-web/quota',
        'kubevirt.quota.read',
      ],
    ];

    it('asks for the owner when the namespaces route is called without one', async () => {
      const response = await request(server)
        .get(`/api/kubevirt/v1/clusters/${east.name}/namespaces`)
        .set(as(OWNER));
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(
        'give ?owner=<group ref>, e.g. group:default/team-web',
      );
    });

    it.each(routes)(
      '%s %s is 403 naming the permission when the policy denies it',
      async (method, _what, path, permission) => {
        const url = `/api/kubevirt${path()}`;
        const call =
          method === 'GET'
            ? request(server).get(url)
            : request(server).post(url).send({ instancetype: 'u1.small' });
        const response = await call.set(as(OUTSIDER));
        expect(response.status).toBe(403);
        expect(response.body.error.name).toBe('NotAllowedError');
        expect(response.body.error.message).toContain(permission);
      },
    );

    it.each([
      [
        'namespace',
        () => `/v1/quota/${east.name}/Bad_NS`,
        "namespace 'Bad_NS'",
      ],
      [
        'namespace',
        () => `/v1/quota/${east.name}/${'a'.repeat(300)}`,
        `namespace '${'a'.repeat(70)}…'`,
      ],
      [
        'cluster',
        () => `/v1/quota/Bad_Cluster/${namespace}`,
        "cluster 'Bad_Cluster'",
      ],
      [
        'cluster',
        () => '/v1/clusters/Bad_Cluster/sizes',
        "cluster 'Bad_Cluster'",
      ],
    ])(
      'answers a malformed %s with 400 naming it and the rule (%#)',
      async (_param, path, named) => {
        const response = await request(server)
          .get(`/api/kubevirt${path()}`)
          .set(as(OWNER));
        expect(response.status).toBe(400);
        expect(response.body.error.name).toBe('InputError');
        expect(response.body.error.message).toContain(`Invalid ${named}`);
        expect(response.body.error.message).toContain('DNS-1123 label');
      },
    );

    it('answers a malformed namespace in a plan with 400', async () => {
      const response = await request(server)
        .post(`/api/kubevirt/v1/clusters/${east.name}/namespaces/Bad_NS/plan`)
        .set(as(OWNER))
        .send({ instancetype: 'u1.small' });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(
        "Invalid namespace 'Bad_NS' in the path",
      );
    });

    it('says which clusters exist for a well-formed unknown one', async () => {
      const response = await request(server)
        .get(`/api/kubevirt/v1/quota/nowhere/${namespace}`)
        .set(as(OWNER));
      expect(response.status).toBe(404);
      expect(response.body.error.message).toContain(
        "cluster 'nowhere' is not configured",
      );
    });
  });
  describe('/v1/entities/:namespace/:kind/:name/console/:type', () => {
    const consolePath = (name: string, type: string) =>
      `/api/kubevirt/v1/entities/default/component/${name}/console/${type}`;
    const address = () => {
      const { port } = server.address() as { port: number };
      return `ws://127.0.0.1:${port}`;
    };
    /** What a socket has received, from its first byte (a server may speak first). */
    const received = new WeakMap<WebSocket, { text: string }>();
    /** Opens the console as the page does; resolves with the socket or the refusal's status and body. */
    const openConsole = (name: string, type: string, protocols: string[]) =>
      new Promise<{ socket: WebSocket } | { status: number; body: string }>(
        (resolve, reject) => {
          const socket = new WebSocket(
            `${address()}${consolePath(name, type)}`,
            protocols,
          );
          socket.binaryType = 'nodebuffer';
          const seen = { text: '' };
          received.set(socket, seen);
          socket.on('message', (data: Buffer) => {
            seen.text += data.toString('latin1');
          });
          socket.once('open', () => resolve({ socket }));
          socket.once('unexpected-response', (_req, response) => {
            let body = '';
            response.on('data', chunk => {
              body += chunk;
            });
            response.on('end', () =>
              resolve({ status: response.statusCode ?? 0, body }),
            );
          });
          socket.once('error', reject);
        },
      );
    /** The bytes the socket has received, once `pattern` shows in them. */
    const readUntil = (socket: WebSocket, pattern: RegExp) =>
      waitUntil(
        `${pattern} from the console`,
        20_000,
        async () => {
          const { text } = received.get(socket)!;
          return pattern.test(text) ? text : undefined;
        },
        20,
      );

    /** The end of the owner's serial session on mover-1 the auditor recorded, ended by the user. */
    const ownersSerialSessionEnd = async () => {
      const ended = await waitUntil('the session audited', 10_000, async () =>
        auditEvents.find(e => e.options.eventId === 'vm-console-session'),
      );
      expect(ended.outcome?.meta).toMatchObject({
        entityRef: 'component:default/mover-1',
        actor: OWNER,
        type: 'serial',
        endedBy: 'user',
      });
      return ended;
    };

    it('says before opening whether the console can be opened, and why not', async () => {
      await waitForVmStatus(east, namespace, 'mover-1', 'Running');
      const ok = await request(server)
        .get(consolePath('mover-1', 'serial'))
        .set(as(OWNER));
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ available: true });
      const stopped = await request(server)
        .get(consolePath('db-1', 'vnc'))
        .set(as(OWNER));
      expect(stopped.status).toBe(409);
      expect(stopped.body.error.message).toBe(
        'The VM is Stopped: start it to use its console',
      );
      const stranger = await request(server)
        .get(consolePath('mover-1', 'serial'))
        .set(as(STRANGER));
      expect(stranger.status).toBe(403);
      expect(stranger.body.error.message).toBe(
        `Only members of ${TEAM_WEB} can open the console of component:default/mover-1`,
      );
    });

    it("relays the guest's serial console both ways for an owner, and audits the session's end", async () => {
      auditEvents.length = 0;
      const opened = await openConsole(
        'mover-1',
        'serial',
        consoleProtocols(mockCredentials.user.token(OWNER)),
      );
      if (!('socket' in opened)) throw new Error(JSON.stringify(opened));
      const { socket } = opened;
      expect(socket.protocol).toBe(CONSOLE_PROTOCOL);
      const prompt = readUntil(socket, /mover-1 login: $/);
      socket.send(Buffer.from('\r'), { binary: true });
      await prompt;
      const password = readUntil(socket, /Password: $/);
      socket.send(Buffer.from('fedora\r'), { binary: true });
      await password;
      const closed = new Promise(resolve => socket.once('close', resolve));
      socket.close();
      await closed;
      const ended = await ownersSerialSessionEnd();
      expect(ended.outcome?.meta).toMatchObject({ bytesToGuest: 8 });
      expect(
        (ended.outcome?.meta as { bytesFromGuest: number }).bytesFromGuest,
      ).toBeGreaterThan(0);
      expect(auditEvents[0]).toMatchObject({
        options: { eventId: 'vm-console', severityLevel: 'medium' },
        outcome: { status: 'succeeded' },
      });
    });

    it("closes KubeVirt's end of a console the browser left while it was being opened, and audits its end", async () => {
      auditEvents.length = 0;
      const { port } = server.address() as { port: number };
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      // The upgrade request, then gone before the backend has opened KubeVirt's end.
      socket.end(
        [
          `GET ${consolePath('mover-1', 'serial')} HTTP/1.1`,
          `Host: 127.0.0.1:${port}`,
          'Connection: Upgrade',
          'Upgrade: websocket',
          'Sec-WebSocket-Version: 13',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          `Sec-WebSocket-Protocol: ${consoleProtocols(
            mockCredentials.user.token(OWNER),
          ).join(', ')}`,
          '',
          '',
        ].join('\r\n'),
      );
      const ended = await ownersSerialSessionEnd();
      expect(ended.outcome?.meta).toMatchObject({
        bytesFromGuest: 0,
        bytesToGuest: 0,
      });
      socket.destroy();
    });

    it('relays VNC from the first byte: the RFB greeting', async () => {
      const opened = await openConsole(
        'mover-1',
        'vnc',
        consoleProtocols(mockCredentials.user.token(OWNER)),
      );
      if (!('socket' in opened)) throw new Error(JSON.stringify(opened));
      const greeting = await readUntil(opened.socket, /^RFB 003\.008\n/);
      expect(greeting.startsWith('RFB 003.008\n')).toBe(true);
      opened.socket.close();
    });

    it('still opens once another plugin listens to upgrades (as the signals backend does)', async () => {
      // Node then hands every upgrade to the listeners only, not to the routes.
      const signalsLike = () => {};
      server.on('upgrade', signalsLike);
      try {
        // The relay notices on the next request to the plugin (the page's check).
        await request(server)
          .get(consolePath('mover-1', 'vnc'))
          .set(as(OWNER))
          .expect(200);
        const opened = await openConsole(
          'mover-1',
          'vnc',
          consoleProtocols(mockCredentials.user.token(OWNER)),
        );
        if (!('socket' in opened)) throw new Error(JSON.stringify(opened));
        await readUntil(opened.socket, /^RFB 003\.008\n/);
        opened.socket.close();
        const refused = await openConsole(
          'mover-1',
          'vnc',
          consoleProtocols(mockCredentials.user.token(STRANGER)),
        );
        expect(refused).toMatchObject({ status: 403 });
      } finally {
        server.off('upgrade', signalsLike);
      }
    });

    it('closes a session when the permission is gone, and an idle one, saying why', async () => {
      const closedWith = (socket: WebSocket) =>
        new Promise<{ code: number; reason: string }>(resolve =>
          socket.once('close', (code, reason) =>
            resolve({ code, reason: reason.toString() }),
          ),
        );
      const revoked = await openConsole(
        'mover-1',
        'serial',
        consoleProtocols(mockCredentials.user.token(OWNER)),
      );
      if (!('socket' in revoked)) throw new Error(JSON.stringify(revoked));
      const revokedClose = closedWith(revoked.socket);
      consoleRevoked.add(OWNER);
      try {
        expect(await revokedClose).toEqual({
          code: 4403,
          reason: 'You may no longer open this console',
        });
      } finally {
        consoleRevoked.delete(OWNER);
      }

      const idle = await openConsole(
        'mover-1',
        'serial',
        consoleProtocols(mockCredentials.user.token(OWNER)),
      );
      if (!('socket' in idle)) throw new Error(JSON.stringify(idle));
      expect(await closedWith(idle.socket)).toEqual({
        code: 4408,
        reason: 'Closed after 2 s without activity',
      });
      const ended = await waitUntil(
        'both sessions audited',
        10_000,
        async () => {
          const endings = auditEvents
            .filter(e => e.options.eventId === 'vm-console-session')
            .map(e => (e.outcome?.meta as { endedBy: string }).endedBy);
          return endings.includes('permission') && endings.includes('idle')
            ? endings
            : undefined;
        },
      );
      expect(ended).toEqual(expect.arrayContaining(['permission', 'idle']));
    });

    it('refuses the upgrade for non-owners, service principals and callers without a token, audited', async () => {
      auditEvents.length = 0;
      const stranger = await openConsole(
        'mover-1',
        'serial',
        consoleProtocols(mockCredentials.user.token(STRANGER)),
      );
      expect(stranger).toEqual({
        status: 403,
        body: expect.stringContaining(
          `Only members of ${TEAM_WEB} can open the console of component:default/mover-1`,
        ),
      });
      const bot = await openConsole(
        'mover-1',
        'vnc',
        consoleProtocols(
          mockCredentials.service.token({
            onBehalfOf: mockCredentials.service(CI_BOT),
            targetPluginId: 'kubevirt',
          }),
        ),
      );
      expect(bot).toMatchObject({ status: 403 });
      const anonymous = await openConsole('mover-1', 'serial', [
        CONSOLE_PROTOCOL,
      ]);
      expect(anonymous).toMatchObject({ status: 401 });
      expect(
        auditEvents
          // The VNC session of the test before may end meanwhile.
          .filter(e => e.options.eventId === 'vm-console')
          .map(e => [
            e.options.eventId,
            e.options.severityLevel,
            (e.outcome?.meta as { refusal?: string } | undefined)?.refusal,
          ]),
      ).toEqual([
        ['vm-console', 'high', 'permission'],
        ['vm-console', 'high', 'principal'],
      ]);
    });
  });

  describe('/v1/entities/:namespace/:kind/:name/snapshots', () => {
    const snapshotsPath = (name: string) =>
      `/api/kubevirt/v1/entities/default/component/${name}/snapshots`;
    const list = async (name: string, user = OWNER) =>
      request(server).get(snapshotsPath(name)).set(as(user));

    it('takes a snapshot of the stopped VM, restores it, and deletes it, audited', async () => {
      auditEvents.length = 0;
      const taken = await request(server)
        .post(snapshotsPath('db-1'))
        .set(as(OWNER));
      expect(taken.status).toBe(202);
      const { snapshot } = taken.body as { snapshot: string };
      expect(snapshot).toMatch(/^db-1-snapshot-/);
      const ready = await waitUntil('the snapshot ready', 60_000, async () => {
        const { body } = await list('db-1');
        const found = (body as VirtualMachineSnapshots).snapshots.find(
          s => s.name === snapshot,
        );
        return found?.readyToUse
          ? (body as VirtualMachineSnapshots)
          : undefined;
      });
      expect(ready.restoreBlockedReason).toBeUndefined();
      expect(ready.snapshots[0]).toMatchObject({
        name: snapshot,
        phase: 'Succeeded',
        createdAt: expect.any(String),
      });

      const restored = await request(server)
        .post(`${snapshotsPath('db-1')}/${snapshot}/restore`)
        .set(as(OWNER));
      expect(restored.status).toBe(202);
      await waitUntil('the restore complete', 60_000, async () => {
        const { body } = await list('db-1');
        return (body as VirtualMachineSnapshots).restores.find(
          r => r.name === restored.body.restore,
        )?.complete
          ? true
          : undefined;
      });

      const deleted = await request(server)
        .delete(`${snapshotsPath('db-1')}/${snapshot}`)
        .set(as(OWNER));
      expect(deleted.status).toBe(204);
      await waitUntil('the snapshot gone', 60_000, async () => {
        const { body } = await list('db-1');
        return (body as VirtualMachineSnapshots).snapshots.some(
          s => s.name === snapshot,
        )
          ? undefined
          : true;
      });
      expect(
        auditEvents.map(e => [
          e.options.eventId,
          e.options.severityLevel,
          e.outcome?.status,
        ]),
      ).toEqual([
        ['vm-snapshot', 'medium', 'succeeded'],
        ['vm-snapshot-restore', 'medium', 'succeeded'],
        ['vm-snapshot-delete', 'medium', 'succeeded'],
      ]);
    });

    it('refuses to restore onto a running VM, saying to stop it first', async () => {
      const taken = await request(server)
        .post(snapshotsPath('web-1'))
        .set(as(OWNER));
      expect(taken.status).toBe(202);
      const { body } = await list('web-1');
      expect((body as VirtualMachineSnapshots).restoreBlockedReason).toBe(
        'The VM is Running: KubeVirt restores a snapshot only onto a stopped VM. Stop it first, then restore.',
      );
      const refused = await request(server)
        .post(`${snapshotsPath('web-1')}/${taken.body.snapshot}/restore`)
        .set(as(OWNER));
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toContain(
        'KubeVirt restores a snapshot only onto a stopped VM',
      );
      // Another VM's snapshot is not reachable through this one's entity.
      const elsewhere = await request(server)
        .delete(`${snapshotsPath('db-1')}/${taken.body.snapshot}`)
        .set(as(OWNER));
      expect(elsewhere.status).toBe(404);
      await request(server)
        .delete(`${snapshotsPath('web-1')}/${taken.body.snapshot}`)
        .set(as(OWNER));
    });

    it('refuses non-owners, service principals the config does not name and bad names', async () => {
      auditEvents.length = 0;
      const stranger = await request(server)
        .post(snapshotsPath('db-1'))
        .set(as(STRANGER));
      expect(stranger.status).toBe(403);
      expect(stranger.body.error.message).toBe(
        `Only members of ${TEAM_WEB} can take snapshots of component:default/db-1`,
      );
      const bot = await request(server)
        .delete(`${snapshotsPath('db-1')}/anything`)
        .set(asService(CI_BOT));
      expect(bot.status).toBe(403);
      expect(
        auditEvents.map(e => [e.options.eventId, e.options.severityLevel]),
      ).toEqual([
        ['vm-snapshot', 'high'],
        ['vm-snapshot-delete', 'high'],
      ]);
      const outsider = await list('db-1', OUTSIDER);
      expect(outsider.status).toBe(403);
      const bad = await request(server)
        .delete(`${snapshotsPath('db-1')}/Not_A_Name`)
        .set(as(OWNER));
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain("Invalid snapshot 'Not_A_Name'");
    });
  });

  describe('/v1/entities/:namespace/:kind/:name/migration', () => {
    const migrationPath = (name: string) =>
      `/api/kubevirt/v1/entities/default/component/${name}/migration`;
    const migrations = async () =>
      (
        await kubeRequest<{ items: Array<{ spec: { vmiName: string } }> }>(
          adminKubeConfig(east),
          'GET',
          `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachineinstancemigrations`,
        )
      ).items.filter(m => m.spec.vmiName === 'mover-1');
    const vmiNode = async () =>
      (
        await kubeRequest<{ status?: { nodeName?: string } }>(
          adminKubeConfig(east),
          'GET',
          `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachineinstances/mover-1`,
        )
      ).status?.nodeName;

    it("says why a VM with a claim that is not shared stays where it is, in KubeVirt's words", async () => {
      const response = await request(server)
        .get(migrationPath('web-1'))
        .set(as(OWNER));
      expect(response.status).toBe(200);
      expect(response.body.fits).toBe(false);
      expect(response.body.problems[0]).toMatch(
        /^KubeVirt cannot live-migrate this VM \(DisksNotLiveMigratable: .*web-1-data/,
      );
    });

    it('plans a live migration of the running VM: where it runs, the target pod, the nodes with room', async () => {
      await waitForVmStatus(east, namespace, 'mover-1', 'Running');
      const response = await request(server)
        .get(migrationPath('mover-1'))
        .set(as(OWNER));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        fits: true,
        problems: [],
        quotaShortfalls: [],
        currentNode: await vmiNode(),
      });
      // The simulated cluster's other two nodes, both with room.
      expect(response.body.nodes).toHaveLength(2);
      expect(response.body.nodes.every((n: { fits: boolean }) => n.fits)).toBe(
        true,
      );
      expect(response.body.targetPod.memory).toMatch(/^\d+(Mi|Gi|Ki)?$/);
    });

    it('refuses a migration the quota would not admit before it starts, naming the quota', async () => {
      const kc = adminKubeConfig(east);
      const quotaPath = `/api/v1/namespaces/${namespace}/resourcequotas`;
      const used = await kubeRequest<{
        status: { used: Record<string, string> };
      }>(kc, 'GET', `${quotaPath}/team-quota`);
      // Room for what runs now, not for a second launcher pod.
      await applyAsAdmin(east, [
        {
          apiVersion: 'v1',
          kind: 'ResourceQuota',
          metadata: { name: 'no-room-to-move', namespace },
          spec: {
            hard: { 'requests.memory': used.status.used['requests.memory'] },
          },
        } as KubernetesObject,
      ]);
      try {
        await waitUntil('the second quota counted', 60_000, async () => {
          const quota = await kubeRequest<{ status?: { used?: object } }>(
            kc,
            'GET',
            `${quotaPath}/no-room-to-move`,
          );
          return quota.status?.used ? true : undefined;
        });
        const plan = await request(server)
          .get(migrationPath('mover-1'))
          .set(as(OWNER));
        expect(plan.body.fits).toBe(false);
        expect(plan.body.problems.join(' ')).toMatch(
          /ResourceQuota no-room-to-move: the target launcher pod needs [\d.]+ [GM]iB of requests\.memory while the running one keeps its own, and 0 bytes is free/,
        );
        auditEvents.length = 0;
        const refused = await request(server)
          .post(migrationPath('mover-1'))
          .set(as(OWNER));
        expect(refused.status).toBe(409);
        expect(refused.body.error.message).toMatch(
          /component:default\/mover-1 was not migrated: ResourceQuota no-room-to-move/,
        );
        expect(await migrations()).toEqual([]);
        expect(auditEvents).toEqual([
          expect.objectContaining({
            options: expect.objectContaining({ eventId: 'vm-migrate' }),
            outcome: expect.objectContaining({ status: 'failed' }),
          }),
        ]);
      } finally {
        await kubeRequest(kc, 'DELETE', `${quotaPath}/no-room-to-move`);
      }
    });

    it('refuses non-owners and service principals the config does not name, audited at high', async () => {
      auditEvents.length = 0;
      const stranger = await request(server)
        .post(migrationPath('mover-1'))
        .set(as(STRANGER));
      expect(stranger.status).toBe(403);
      expect(stranger.body.error.message).toBe(
        `Only members of ${TEAM_WEB} can migrate component:default/mover-1`,
      );
      const bot = await request(server)
        .post(migrationPath('mover-1'))
        .set(asService(CI_BOT));
      expect(bot.status).toBe(403);
      expect(
        auditEvents.map(e => [
          e.options.eventId,
          e.options.severityLevel,
          (e.outcome?.meta as { refusal?: string } | undefined)?.refusal,
        ]),
      ).toEqual([
        ['vm-migrate', 'high', 'permission'],
        ['vm-migrate', 'high', 'principal'],
      ]);
      expect(await migrations()).toEqual([]);
      const outsider = await request(server)
        .get(migrationPath('mover-1'))
        .set(as(OUTSIDER));
      expect(outsider.status).toBe(403);
    });

    it('moves the running VM to another node', async () => {
      const before = await vmiNode();
      auditEvents.length = 0;
      const response = await request(server)
        .post(migrationPath('mover-1'))
        .set(as(OWNER));
      expect(response.status).toBe(202);
      expect(response.body.migration).toMatch(/^mover-1-migration-/);
      const plan = await waitUntil(
        'the migration to succeed',
        90_000,
        async () => {
          const { body } = await request(server)
            .get(migrationPath('mover-1'))
            .set(as(OWNER));
          return body.latest?.phase === 'Succeeded' ? body : undefined;
        },
      );
      const after = await vmiNode();
      expect(after).not.toBe(before);
      expect(plan.currentNode).toBe(after);
      expect(plan.latest).toMatchObject({
        name: response.body.migration,
        sourceNode: before,
        targetNode: after,
      });
      expect(auditEvents).toEqual([
        expect.objectContaining({
          options: expect.objectContaining({
            eventId: 'vm-migrate',
            severityLevel: 'medium',
          }),
          outcome: expect.objectContaining({
            status: 'succeeded',
            meta: expect.objectContaining({
              migration: response.body.migration,
              fromNode: before,
            }),
          }),
        }),
      ]);
    });
  });
});
