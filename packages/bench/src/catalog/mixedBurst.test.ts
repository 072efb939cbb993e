import type { ClusterInfo } from '@vmportal/kube-testenv';
import { seededRandom } from '../lib/stats';
import { expectedCatalog } from './catalogMatch';
import { planMixedBurst } from './mixedBurst';
import { lastChanges } from './mixedBurstFigures';
import { benchNamespaces, BenchVm, initialVm } from './virtualMachines';

const layout = {
  clusters: ['cluster-1', 'cluster-2'].map(name => ({ name } as ClusterInfo)),
  namespaces: benchNamespaces(10),
};
const owners = Array.from({ length: 20 }, (_, i) => `team-${i}`);

function plan(seed: number) {
  const vms: BenchVm[] = Array.from({ length: 150 }, (_, i) =>
    initialVm(i, layout),
  );
  const changes = planMixedBurst({
    count: 200,
    seconds: 10,
    random: seededRandom(seed),
    vms,
    owners,
  });
  return { vms, changes };
}

describe('planMixedBurst', () => {
  it('spreads 200 changes of every kind over 10 s, more than the 150 VMs hold', () => {
    const { changes } = plan(3);
    expect(changes).toHaveLength(200);
    expect(changes[0].dueMs).toBe(0);
    expect(changes[199].dueMs).toBeLessThan(10_000);
    expect(new Set(changes.map(c => c.kind))).toEqual(
      new Set(['delete', 'relabel', 'stop', 'recreate']),
    );
    expect(lastChanges(changes).length).toBeLessThan(200);
  });

  it('never changes a VM after deleting it, and moves owners to another group', () => {
    const { changes } = plan(3);
    const deleted = new Set<string>();
    const changedAfterDelete: string[] = [];
    for (const change of changes) {
      if (deleted.has(change.entityName)) {
        changedAfterDelete.push(change.entityName);
      }
      if (change.kind === 'delete') deleted.add(change.entityName);
    }
    expect(changedAfterDelete).toEqual([]);
    const kept = changes.filter(c => c.kind !== 'delete');
    expect(kept.every(c => owners.includes(c.after!.owner))).toBe(true);
    expect(changes.filter(c => c.kind === 'delete').every(c => !c.after)).toBe(
      true,
    );
  });

  it("leaves the VMs as each VM's last change left them: the catalog's expected end state", () => {
    const { vms, changes } = plan(5);
    const expected = expectedCatalog(vms);
    const last = lastChanges(changes);
    expect(last.map(c => expected.get(c.entityName))).toEqual(
      last.map(c =>
        c.after
          ? {
              owner: `group:default/${c.after.owner}`,
              runStrategy: c.after.runStrategy,
            }
          : undefined,
      ),
    );
    expect(expected.size).toBe(
      150 - last.filter(c => c.kind === 'delete').length,
    );
    expect(plan(5).changes.map(c => c.entityName)).toEqual(
      changes.map(c => c.entityName),
    );
  });
});
