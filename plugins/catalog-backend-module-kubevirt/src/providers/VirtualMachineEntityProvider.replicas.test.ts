import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import knexFactory, { Knex } from 'knex';
import {
  ClusterInfo,
  createTestNamespace,
  deleteTestNamespace,
  freePort,
  testClusters,
} from '@vmportal/kube-testenv';
import {
  CatalogHarness,
  clusterConfig,
  startCatalog,
  waitFor,
} from '../__testUtils__/catalogHarness';
import {
  startTestPostgres,
  TestPostgres,
} from '@vmportal/kube-testenv/testing';
import { applyVms, deleteVm, testVm } from '../__testUtils__/vms';

jest.setTimeout(300_000);

const runId = `kvh${randomBytes(2).toString('hex')}`;
const CHANGE_VISIBLE_MS = 5_000;
let postgres: TestPostgres;
let cluster: ClusterInfo;
let ns: string;
let replicaA: ChildProcess | undefined;
const replicaAOutput: string[] = [];
let replicaB: CatalogHarness | undefined;
let database: { client: string; connection: string; prefix: string };
const providers = { test: { namespaces: { include: [`${runId}-*`] } } };

/** A real backend process, as a second replica would run. */
async function startReplicaProcess(): Promise<ChildProcess> {
  const port = await freePort();
  const config = {
    backend: {
      baseUrl: `http://localhost:${port}`,
      listen: { port },
      database,
    },
    kubernetes: clusterConfig([cluster]),
    catalog: { providers: { kubevirt: providers } },
  };
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(__dirname, '..', '__testUtils__', 'replicaBackend.ts'),
    ],
    {
      cwd: join(__dirname, '..', '..'),
      env: {
        ...process.env,
        NODE_ENV: 'development',
        LOG_LEVEL: 'debug',
        VMPORTAL_REPLICA_CONFIG: JSON.stringify(config),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stderr?.on('data', chunk => replicaAOutput.push(String(chunk)));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', line => {
      replicaAOutput.push(line);
      if (line === 'replica ready') resolve();
    });
    child.on('exit', code =>
      reject(
        new Error(
          `replica exited with ${code}: ${replicaAOutput
            .slice(-20)
            .join('\n')}`,
        ),
      ),
    );
  });
  return child;
}

async function catalogDb<T>(fn: (db: Knex) => Promise<T>): Promise<T> {
  const url = new URL(database.connection);
  url.pathname = `/${database.prefix}catalog`;
  const db = knexFactory({ client: 'pg', connection: url.toString() });
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/** How many rows reference each of this test's entities, by source. */
async function referenceCounts(): Promise<Record<string, number>> {
  return catalogDb(async db => {
    const rows: Array<{ target_entity_ref: string; n: string }> = await db(
      'refresh_state_references',
    )
      .select('target_entity_ref')
      .count({ n: '*' })
      .where('target_entity_ref', 'like', `%.${ns}.%`)
      .groupBy('target_entity_ref');
    return Object.fromEntries(
      rows.map(r => [r.target_entity_ref, Number(r.n)]),
    );
  });
}

function titles(entities: Array<{ metadata: { title?: string } }>) {
  return entities.map(e => e.metadata.title).sort();
}

beforeAll(async () => {
  postgres = await startTestPostgres();
  database = {
    client: 'pg',
    connection: postgres.connectionString,
    prefix: `${runId}_`,
  };
  [cluster] = testClusters();
  ns = await createTestNamespace(cluster, `${runId}-ha`, {
    'vmportal.io/owner': 'team-ha',
  });
});

afterAll(async () => {
  replicaA?.kill('SIGKILL');
  await replicaB?.stop();
  await deleteTestNamespace(cluster, ns);
  await postgres?.stop();
});

describe('two replicas on one PostgreSQL database', () => {
  it('produce each entity once, and lose no change when one is killed', async () => {
    replicaA = await startReplicaProcess();
    replicaB = await startCatalog({ clusters: [cluster], providers, database });
    const b = replicaB;
    // Changes made before a replica's initial list reach it in its full mutation,
    // not as deltas; this test is about deltas, so both must have listed first.
    await waitFor('both replicas listed the cluster', async () =>
      replicaAOutput.some(l => l.includes('Initial sync:')) &&
      b.logger.find('info', 'Initial sync:').length > 0
        ? true
        : undefined,
    );

    await applyVms(
      cluster,
      ['one', 'two', 'three'].map(n => testVm(n, ns)),
    );
    await waitFor('three entities', async () =>
      (await b.entitiesIn([ns])).length === 3 ? true : undefined,
    );
    // Both replicas emit the same provider name and entity refs: the catalog keeps
    // one entity and one reference per VM.
    await waitFor('both replicas applied their deltas', async () =>
      replicaAOutput.some(l => l.includes('Applied delta mutation')) &&
      b.logger.find('debug', 'Applied delta mutation').length > 0
        ? true
        : undefined,
    );
    expect(titles(await b.entitiesIn([ns]))).toEqual(['one', 'three', 'two']);
    expect(Object.values(await referenceCounts())).toEqual([1, 1, 1]);

    // Kill replica A outright, then change things: B alone carries every change.
    replicaA.kill('SIGKILL');
    await new Promise(resolve => replicaA!.once('exit', resolve));

    let t0 = Date.now();
    await applyVms(cluster, [
      testVm('one', ns, { labels: { 'vmportal.io/owner': 'team-new' } }),
      testVm('four', ns),
    ]);
    await deleteVm(cluster, ns, 'two');
    const changed = await waitFor(
      'relabel, create and delete after the kill',
      async () => {
        const entities = await b.entitiesIn([ns]);
        const one = entities.find(e => e.metadata.title === 'one');
        return titles(entities).join() === 'four,one,three' &&
          one?.spec?.owner === 'group:default/team-new'
          ? true
          : undefined;
      },
      { since: t0 },
    );
    expect(changed.elapsedMs).toBeLessThan(CHANGE_VISIBLE_MS);

    // A full sync from the survivor keeps exactly the live set, once each.
    await b.triggerScheduledSync();
    expect(titles(await b.entitiesIn([ns]))).toEqual(['four', 'one', 'three']);
    expect(Object.values(await referenceCounts())).toEqual([1, 1, 1]);

    // No replica ever saw its entities claimed by another source.
    const conflicts = [
      ...replicaAOutput.filter(l => l.includes('conflicting entityRef')),
      ...b.logger.entries
        .filter(e => e.message.includes('conflicting entityRef'))
        .map(e => e.message),
    ];
    expect(conflicts).toEqual([]);

    t0 = Date.now();
    await deleteVm(cluster, ns, 'three');
    const deleted = await waitFor(
      'delete after the full sync',
      async () =>
        titles(await b.entitiesIn([ns])).join() === 'four,one'
          ? true
          : undefined,
      { since: t0 },
    );
    expect(deleted.elapsedMs).toBeLessThan(CHANGE_VISIBLE_MS);
    process.stdout.write(
      `replicas: after the kill, changes visible in ${changed.elapsedMs} ms; a later delete in ${deleted.elapsedMs} ms\n`,
    );
  });
});
