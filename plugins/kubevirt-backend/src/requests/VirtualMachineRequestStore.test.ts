import { randomBytes } from 'node:crypto';
import type { DatabaseService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import {
  startTestPostgres,
  TestPostgres,
} from '@vmportal/kube-testenv/testing';
import type { VirtualMachineRequestRecord } from '@vmportal/plugin-kubevirt-common';
import knexFactory, { Knex } from 'knex';
import { VirtualMachineRequestStore } from './VirtualMachineRequestStore';

jest.setTimeout(180_000);

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const CAROL = 'user:default/carol';
const TEAM_WEB = 'group:default/team-web';
const TEAM_DATA = 'group:default/team-data';

function record(
  id: string,
  overrides: Partial<VirtualMachineRequestRecord> = {},
): VirtualMachineRequestRecord {
  return {
    id,
    owner: TEAM_WEB,
    cluster: 'east',
    namespace: 'team-web',
    name: `vm-${id}`,
    size: 'u1.medium: 1 vCPU, 4 GiB',
    planSummary: '| quota | used |\n|---|---|\n| cpu | 1 |',
    pullRequestUrl: `https://github.example.com/acme/gitops/pull/${id.length}`,
    reviewers: ['group:default/team-web'],
    ...overrides,
  };
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute, 0, 0));

let postgres: TestPostgres | undefined;
const clients: Knex[] = [];

afterAll(async () => {
  await Promise.all(clients.map(client => client.destroy()));
  await postgres?.stop();
});

/** A fresh, empty database of each kind, as Backstage's database service hands it out. */
const databases: Record<string, () => Promise<Knex>> = {
  'SQLite (in memory)': async () => {
    const client = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    clients.push(client);
    return client;
  },
  PostgreSQL: async () => {
    postgres ??= await startTestPostgres();
    const admin = knexFactory({
      client: 'pg',
      connection: postgres.connectionString,
    });
    const name = `kubevirt_requests_${randomBytes(4).toString('hex')}`;
    await admin.raw('CREATE DATABASE ??', [name]);
    await admin.destroy();
    const url = new URL(postgres.connectionString);
    url.pathname = `/${name}`;
    const client = knexFactory({ client: 'pg', connection: url.toString() });
    clients.push(client);
    return client;
  },
};

describe.each(Object.keys(databases))(
  'VirtualMachineRequestStore on %s',
  kind => {
    let knex: Knex;
    let store: VirtualMachineRequestStore;
    const database = (): DatabaseService => ({ getClient: async () => knex });

    beforeAll(async () => {
      knex = await databases[kind]();
      store = await VirtualMachineRequestStore.create({ database: database() });
    });

    it('runs its migrations once: a second start-up finds the table and keeps its rows', async () => {
      await store.add(record('migrate-1'), ALICE, at(0));
      const again = await VirtualMachineRequestStore.create({
        database: database(),
      });
      expect((await again.get('migrate-1'))?.requestedBy).toBe(ALICE);
    });

    it('records a request at pr-open, and the same record twice only once', async () => {
      const first = await store.add(
        { ...record('req-a'), pullRequestNumber: 7 },
        ALICE,
        at(1),
      );
      expect(first.created).toBe(true);
      expect(first.request).toEqual({
        ...record('req-a', {}),
        pullRequestUrl: undefined,
        pullRequest: { url: record('req-a').pullRequestUrl, number: 7 },
        requestedBy: ALICE,
        requestedAt: at(1).toISOString(),
        stage: 'pr-open',
        history: [{ stage: 'pr-open', at: at(1).toISOString() }],
      });

      const second = await store.add(
        { ...record('req-a'), pullRequestNumber: 7 },
        ALICE,
        at(2),
      );
      expect(second.created).toBe(false);
      expect(second.request.requestedAt).toBe(at(1).toISOString());
      const count = await knex('kubevirt_vm_requests')
        .where({ id: 'req-a' })
        .count({ n: '*' });
      expect(Number(count[0].n)).toBe(1);
    });

    it('refuses a different record under an existing id, naming what differs', async () => {
      await store.add(record('req-b'), ALICE, at(1));
      const attempt = store.add(
        record('req-b', { size: 'u1.large' }),
        BOB,
        at(2),
      );
      await expect(attempt).rejects.toThrow(ConflictError);
      await expect(
        store.add(record('req-b', { size: 'u1.large' }), BOB, at(2)),
      ).rejects.toThrow(/another size, requester/);
      expect((await store.get('req-b'))?.size).toBe(record('req-b').size);
    });

    it("lists what a viewer may see: their own first, then their teams', newest first, with filters and a page size", async () => {
      await store.add(record('vis-1', { owner: TEAM_DATA }), BOB, at(10));
      await store.add(record('vis-2', { owner: TEAM_WEB }), BOB, at(11));
      await store.add(record('vis-3', { owner: TEAM_WEB }), CAROL, at(12));
      await store.add(record('vis-4', { owner: TEAM_DATA }), CAROL, at(13));
      await store.add(record('vis-5', { owner: TEAM_DATA }), BOB, at(14));

      const ids = async (
        query: Partial<Parameters<VirtualMachineRequestStore['list']>[0]>,
      ) =>
        (await store.list({ limit: 100, offset: 0, ...query }))
          .map(r => r.id)
          .filter(id => id.startsWith('vis-'));

      const bob = { userEntityRef: BOB, ownershipEntityRefs: [BOB, TEAM_WEB] };
      // Bob's own (newest first), then team-web's that others made; never team-data's.
      expect(await ids({ viewer: bob })).toEqual([
        'vis-5',
        'vis-2',
        'vis-1',
        'vis-3',
      ]);
      expect(await ids({ viewer: bob, owner: TEAM_WEB })).toEqual([
        'vis-2',
        'vis-3',
      ]);
      expect(await ids({ viewer: bob, requestedBy: CAROL })).toEqual(['vis-3']);
      // A filter does not widen what the viewer sees.
      expect(await ids({ viewer: bob, owner: TEAM_DATA })).toEqual([
        'vis-5',
        'vis-1',
      ]);
      const outsider = {
        userEntityRef: 'user:default/dan',
        ownershipEntityRefs: [],
      };
      expect(await ids({ viewer: outsider })).toEqual([]);
      // Without a viewer (a service principal the config allows): everything.
      expect(await ids({ requestedBy: CAROL })).toEqual(['vis-4', 'vis-3']);

      const page1 = await store.list({ viewer: bob, limit: 2, offset: 0 });
      const page2 = await store.list({ viewer: bob, limit: 2, offset: 2 });
      expect(page1).toHaveLength(2);
      expect(page1.map(r => r.id)).not.toEqual(
        expect.arrayContaining(page2.map(r => r.id)),
      );
    });

    it('hands the tracker only unfinished requests that are due, and keeps what it learnt', async () => {
      const fresh = await knex('kubevirt_vm_requests').del();
      expect(fresh).toBeGreaterThan(0);
      await store.add(record('due-1'), ALICE, at(20));
      await store.add(record('due-2'), ALICE, at(21));
      await store.add(record('due-3'), ALICE, at(22));

      expect((await store.due(at(21), 10)).map(r => r.id)).toEqual([
        'due-1',
        'due-2',
      ]);

      const due1Read = (await store.get('due-1'))!;
      await store.saveProgress(due1Read, {
        stage: 'running',
        history: [
          { stage: 'pr-open', at: at(20).toISOString() },
          { stage: 'merged', at: at(23).toISOString() },
          { stage: 'applied', at: at(23).toISOString() },
          { stage: 'running', at: at(23).toISOString() },
        ],
        vm: { uid: 'uid-1', printableStatus: 'Running' },
        checkedAt: at(23).toISOString(),
        finished: false,
        nextCheckAt: at(23).toISOString(),
      });
      const due2Read = (await store.get('due-2'))!;
      await store.saveProgress(due2Read, {
        stage: 'declined',
        history: [
          { stage: 'pr-open', at: at(21).toISOString() },
          { stage: 'declined', at: at(23).toISOString() },
        ],
        checkedAt: at(23).toISOString(),
        finished: true,
        nextCheckAt: at(23).toISOString(),
      });
      const due3Read = (await store.get('due-3'))!;
      await store.saveProgress(due3Read, {
        stage: 'pr-open',
        history: [{ stage: 'pr-open', at: at(22).toISOString() }],
        checkedAt: at(23).toISOString(),
        lastError: 'reading acme/gitops#3 failed with HTTP 502',
        finished: false,
        nextCheckAt: at(30).toISOString(),
      });

      // due-2 is finished, due-3 is not due before minute 30.
      expect((await store.due(at(25), 10)).map(r => r.id)).toEqual(['due-1']);
      expect((await store.due(at(30), 1)).map(r => r.id)).toEqual(['due-1']);
      expect((await store.due(at(30), 10)).map(r => r.id)).toEqual([
        'due-1',
        'due-3',
      ]);
      expect(await store.get('due-1')).toMatchObject({
        stage: 'running',
        vm: { uid: 'uid-1', printableStatus: 'Running' },
        checkedAt: at(23).toISOString(),
      });
      expect((await store.get('due-1'))?.history.map(h => h.stage)).toEqual([
        'pr-open',
        'merged',
        'applied',
        'running',
      ]);
      expect(await store.get('due-3')).toMatchObject({
        lastError: 'reading acme/gitops#3 failed with HTTP 502',
      });

      // A save from a read that someone else has saved since writes nothing, so a
      // stage change is told once even when two readers race.
      expect(
        await store.saveProgress(due3Read, {
          stage: 'merged',
          history: [],
          checkedAt: at(24).toISOString(),
          finished: false,
          nextCheckAt: at(24).toISOString(),
        }),
      ).toBe(false);
      expect((await store.get('due-3'))?.stage).toBe('pr-open');
    });
  },
);
