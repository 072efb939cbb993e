import { randomBytes } from 'node:crypto';
import { Entity } from '@backstage/catalog-model';
import {
  ClusterInfo,
  createTestNamespace,
  startApiserver,
  stopApiserver,
  ControlPlane,
  startPrivateControlPlane,
} from '@vmportal/kube-testenv';
import { KUBEVIRT_ENTITY_LABELS } from '@vmportal/plugin-kubevirt-common';
import type { KubevirtEntityProviderChangeEvent } from '../alpha';
import {
  CatalogHarness,
  startCatalog,
  waitFor,
} from '../__testUtils__/catalogHarness';
import { startTestPostgres } from '@vmportal/kube-testenv/testing';
import {
  applyVms,
  compactEtcd,
  createNamespace,
  deleteVm,
  patchNamespace,
  patchVm,
  testVm,
} from '../__testUtils__/vms';

jest.setTimeout(300_000);

/** The acceptance bound for a change to show in the catalog. */
const CHANGE_VISIBLE_MS = 5_000;

const runId = `kvc${randomBytes(2).toString('hex')}`;
let clusters: ClusterInfo[];
let catalog: CatalogHarness;
const changes: KubevirtEntityProviderChangeEvent[] = [];
const namespaces: Array<[ClusterInfo, string]> = [];

async function namespace(
  cluster: ClusterInfo,
  suffix: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const name = await createTestNamespace(cluster, `${runId}-${suffix}`, labels);
  namespaces.push([cluster, name]);
  return name;
}

function nameOf(vm: string, ns: string, cluster: ClusterInfo) {
  return `${vm}.${ns}.${cluster.name}`;
}

/** Waits for the entity to satisfy `predicate`; returns it and the time since `since`. */
function entityWhere(
  name: string,
  what: string,
  predicate: (entity: Entity) => boolean,
  since = Date.now(),
  timeoutMs = 30_000,
) {
  return waitFor(
    `${name}: ${what}`,
    async () => {
      const entity = await catalog.entity(name);
      return entity && predicate(entity) ? entity : undefined;
    },
    { since, timeoutMs },
  );
}

// These tests stop and restart apiservers, so they get clusters of their own: the
// shared control plane serves other test files at the same time.
let plane: ControlPlane;

beforeAll(async () => {
  plane = await startPrivateControlPlane(2);
  clusters = plane.clusters;
  catalog = await startCatalog({
    clusters: clusters.slice(0, 2),
    providers: { test: { namespaces: { include: [`${runId}-*`] } } },
    observer: { changeObserved: event => changes.push(event) },
  });
});

afterAll(async () => {
  await catalog?.stop();
  await plane?.stop();
});

describe('VirtualMachineEntityProvider with a real catalog and apiserver', () => {
  it('shows a created, relabelled, stopped and deleted VM within 5 s each', async () => {
    const [cluster] = clusters;
    const ns = await namespace(cluster, 'life', {
      'vmportal.io/owner': 'team-web',
    });
    const name = nameOf('web-1', ns, cluster);

    let t0 = Date.now();
    await applyVms(cluster, [testVm('web-1', ns, { runStrategy: 'Always' })]);
    const created = await entityWhere(name, 'created', () => true, t0);
    expect(created.value.spec).toMatchObject({
      type: 'virtual-machine',
      owner: 'group:default/team-web',
    });
    expect(created.value.metadata.labels).toMatchObject({
      [KUBEVIRT_ENTITY_LABELS.runStrategy]: 'Always',
      [KUBEVIRT_ENTITY_LABELS.os]: 'fedora',
    });
    expect(created.elapsedMs).toBeLessThan(CHANGE_VISIBLE_MS);

    t0 = Date.now();
    await applyVms(cluster, [
      testVm('web-1', ns, {
        runStrategy: 'Always',
        labels: { 'vmportal.io/owner': 'team-data' },
      }),
    ]);
    const relabelled = await entityWhere(
      name,
      'owner team-data',
      e => e.spec?.owner === 'group:default/team-data',
      t0,
    );
    expect(relabelled.elapsedMs).toBeLessThan(CHANGE_VISIBLE_MS);

    t0 = Date.now();
    await patchVm(cluster, ns, 'web-1', { spec: { runStrategy: 'Halted' } });
    const stopped = await entityWhere(
      name,
      'run-strategy Halted',
      e => e.metadata.labels?.[KUBEVIRT_ENTITY_LABELS.runStrategy] === 'Halted',
      t0,
    );
    expect(stopped.elapsedMs).toBeLessThan(CHANGE_VISIBLE_MS);

    t0 = Date.now();
    await deleteVm(cluster, ns, 'web-1');
    const deleted = await waitFor(
      `${name} deleted`,
      async () => (await catalog.entity(name)) === undefined,
      { since: t0 },
    );
    expect(deleted.elapsedMs).toBeLessThan(CHANGE_VISIBLE_MS);
    process.stdout.write(
      `change visible after: created ${created.elapsedMs} ms, relabelled ${relabelled.elapsedMs} ms, stopped ${stopped.elapsedMs} ms, deleted ${deleted.elapsedMs} ms\n`,
    );
  });

  it('makes two entities for the same VM name and namespace on two clusters', async () => {
    const [east, west] = clusters;
    const ns = await namespace(east, 'twin');
    await createNamespace(west, ns);
    namespaces.push([west, ns]);
    await applyVms(east, [testVm('db', ns)]);
    await applyVms(west, [testVm('db', ns, { runStrategy: 'Always' })]);

    const onEast = await entityWhere(
      nameOf('db', ns, east),
      'exists',
      () => true,
    );
    const onWest = await entityWhere(
      nameOf('db', ns, west),
      'exists',
      () => true,
    );
    expect(onEast.value.metadata.annotations).toMatchObject({
      'backstage.io/kubernetes-cluster': east.name,
      'kubevirt.vmportal.io/cluster': east.name,
    });
    expect(onWest.value.metadata.annotations).toMatchObject({
      'backstage.io/kubernetes-cluster': west.name,
      'kubevirt.vmportal.io/cluster': west.name,
    });
    expect(onEast.value.metadata.uid).not.toBe(onWest.value.metadata.uid);
    expect(await catalog.entitiesIn([ns])).toHaveLength(2);
  });

  it('follows a namespace relabel to a new owner', async () => {
    const [cluster] = clusters;
    const ns = await namespace(cluster, 'own', {
      'vmportal.io/owner': 'team-a',
    });
    await applyVms(cluster, [testVm('app', ns)]);
    const name = nameOf('app', ns, cluster);
    await entityWhere(
      name,
      'owner team-a',
      e => e.spec?.owner === 'group:default/team-a',
    );

    const t0 = Date.now();
    await patchNamespace(cluster, ns, {
      metadata: { labels: { 'vmportal.io/owner': 'team-b' } },
    });
    const moved = await entityWhere(
      name,
      'owner team-b',
      e => e.spec?.owner === 'group:default/team-b',
      t0,
    );
    expect(moved.elapsedMs).toBeLessThan(CHANGE_VISIBLE_MS);
  });

  it('writes nothing to the catalog when only the VM status changes', async () => {
    const [cluster] = clusters;
    const ns = await namespace(cluster, 'status');
    await applyVms(cluster, [testVm('busy', ns, { runStrategy: 'Always' })]);
    const name = nameOf('busy', ns, cluster);
    const ref = `component:default/${name}`;
    await entityWhere(name, 'exists', () => true);
    const seen = () => changes.filter(c => c.entityRefs.includes(ref)).length;
    const before = seen();

    for (const printableStatus of [
      'Starting',
      'Running',
      'Migrating',
      'Running',
    ]) {
      await patchVm(
        cluster,
        ns,
        'busy',
        { status: { printableStatus } },
        'status',
      );
    }
    // A spec change after the status changes: once it shows, the status events
    // (earlier on the same watch) have certainly been handled.
    await patchVm(cluster, ns, 'busy', {
      metadata: { labels: { 'vmportal.io/lifecycle': 'experimental' } },
    });
    await entityWhere(
      name,
      'lifecycle experimental',
      e => e.spec?.lifecycle === 'experimental',
    );
    expect(seen() - before).toBe(1);
  });

  it('keeps the entities through a scheduled full sync, once each', async () => {
    const [east] = clusters;
    const ns = await namespace(east, 'full');
    await applyVms(east, [testVm('a', ns), testVm('b', ns)]);
    await waitFor('both VMs', async () =>
      (await catalog.entitiesIn([ns])).length === 2 ? true : undefined,
    );
    const before = (await catalog.entitiesIn([ns])).map(e => e.metadata.uid);
    await catalog.triggerScheduledSync();
    expect(
      catalog.logger.find(
        'info',
        /^Scheduled sync: \d+ VirtualMachines from 2 of 2 clusters/,
      ),
    ).toHaveLength(1);
    const after = await catalog.entitiesIn([ns]);
    expect(after.map(e => e.metadata.uid).sort()).toEqual([...before].sort());
  });

  it("keeps a cluster's entities while its apiserver is down, then resumes, relists after 410 and reconciles", async () => {
    const dir = plane.dir;
    const cluster = clusters[1];
    const ns = await namespace(cluster, 'outage');
    await applyVms(cluster, [testVm('keep', ns), testVm('gone', ns)]);
    await waitFor('both VMs before the outage', async () =>
      (await catalog.entitiesIn([ns])).length === 2 ? true : undefined,
    );

    const logsBefore = catalog.logger.entries.length;
    const newLogs = () => catalog.logger.entries.slice(logsBefore);
    await compactEtcd(cluster);
    await stopApiserver(dir, cluster.name);
    try {
      await waitFor(
        'the outage warning',
        async () =>
          newLogs().some(
            e =>
              e.level === 'warn' &&
              e.message.startsWith(`Cluster '${cluster.name}' is unavailable`),
          ) || undefined,
      );
      // Let the provider fail a few more times, then check nothing was dropped.
      await waitFor(
        'three more failed attempts',
        async () =>
          newLogs().filter(e => e.message.includes('still unavailable'))
            .length >= 3 || undefined,
        { timeoutMs: 60_000 },
      );
      expect(await catalog.entitiesIn([ns])).toHaveLength(2);
      expect(
        newLogs().filter(
          e => e.level === 'warn' && e.message.includes('unavailable'),
        ),
      ).toHaveLength(1);
    } finally {
      await startApiserver(dir, cluster.name);
    }

    // Changes made at once after the restart, while the provider's watch is still down.
    const restartedAt = Date.now();
    await deleteVm(cluster, ns, 'gone');
    await applyVms(cluster, [testVm('new', ns)]);
    const reconciled = await waitFor(
      'keep and new, without gone',
      async () => {
        const names = (await catalog.entitiesIn([ns]))
          .map(e => e.metadata.title)
          .sort();
        return names.join(',') === 'keep,new' ? names : undefined;
      },
      { since: restartedAt, timeoutMs: 60_000 },
    );
    expect(reconciled.value).toEqual(['keep', 'new']);
    // The resumed watch met the restarted apiserver's fresh watch cache: 410, then a list.
    const logs = newLogs();
    const expired = logs.findIndex(e =>
      e.message.startsWith(
        `Watch on cluster '${cluster.name}' expired (410 Gone)`,
      ),
    );
    expect(expired).toBeGreaterThanOrEqual(0);
    expect(
      logs
        .slice(expired)
        .some(e => e.message.startsWith(`Listed cluster '${cluster.name}' (`)),
    ).toBe(true);

    // The watch is back: a further change shows within the usual bound.
    const t0 = Date.now();
    await patchVm(cluster, ns, 'keep', { spec: { runStrategy: 'Always' } });
    const resumed = await entityWhere(
      nameOf('keep', ns, cluster),
      'run-strategy Always',
      e => e.metadata.labels?.[KUBEVIRT_ENTITY_LABELS.runStrategy] === 'Always',
      t0,
    );
    expect(resumed.elapsedMs).toBeLessThan(CHANGE_VISIBLE_MS);
    process.stdout.write(
      `outage: reconciled ${reconciled.elapsedMs} ms after the restart; next change visible after ${resumed.elapsedMs} ms\n`,
    );
  });
});

describe('a backend restart while a cluster is unreachable', () => {
  it("never drops that cluster's entities, and emits the full mutation once it answers", async () => {
    const dir = plane.dir;
    const [east, west] = clusters;
    const postgres = await startTestPostgres();
    try {
      const database = {
        client: 'pg',
        connection: postgres.connectionString,
        prefix: `${runId}_restart_`,
      };
      const ns = await namespace(east, 'restart');
      await createNamespace(west, ns);
      namespaces.push([west, ns]);
      await applyVms(east, [testVm('a', ns), testVm('stale', ns)]);
      await applyVms(west, [testVm('b', ns)]);
      const providers = { test: { namespaces: { include: [`${runId}-*`] } } };
      const titles = async (harness: CatalogHarness) =>
        (await harness.entitiesIn([ns])).map(e => e.metadata.title).sort();

      const first = await startCatalog({
        clusters: [east, west],
        providers,
        database,
      });
      await waitFor('the first backend ingests all three', async () =>
        (await titles(first)).length === 3 ? true : undefined,
      );
      await first.stop();

      // While no backend runs, a VM goes away; then the second cluster becomes unreachable.
      await deleteVm(east, ns, 'stale');
      await stopApiserver(dir, west.name);
      let second: CatalogHarness | undefined;
      try {
        second = await startCatalog({
          clusters: [east, west],
          providers,
          database,
        });
        const started = second;
        await waitFor(
          'the postponed full mutation',
          async () =>
            started.logger.find(
              'warn',
              `Full mutation postponed until cluster(s) '${west.name}' can be listed`,
            ).length > 0 || undefined,
        );
        // Deltas of the reachable cluster flow; nothing of the other is dropped.
        await applyVms(east, [testVm('fresh', ns)]);
        const during = await waitFor('fresh shows', async () => {
          const names = await titles(started);
          return names.includes('fresh') ? names : undefined;
        });
        expect(during.value).toEqual(['a', 'b', 'fresh', 'stale']);
      } finally {
        await startApiserver(dir, west.name);
      }
      const restarted = second!;
      const after = await waitFor(
        'the full mutation once the cluster answers',
        async () => {
          const names = await titles(restarted);
          return names.join() === 'a,b,fresh' ? names : undefined;
        },
        { timeoutMs: 90_000 },
      );
      expect(after.value).toEqual(['a', 'b', 'fresh']);
      await restarted.stop();
    } finally {
      await postgres.stop();
    }
  });
});
