import { KubernetesValidatorFunctions } from '@backstage/catalog-model';
import { virtualMachineEntityName } from './entityName';

describe('virtualMachineEntityName', () => {
  it('joins VM, namespace and cluster with dots', () => {
    expect(
      virtualMachineEntityName({
        cluster: 'east',
        namespace: 'team-web',
        name: 'web-1',
      }),
    ).toBe('web-1.team-web.east');
  });

  it('keeps names apart that dashes would merge', () => {
    const a = virtualMachineEntityName({
      cluster: 'c',
      namespace: 'team-a',
      name: 'web-1',
    });
    const b = virtualMachineEntityName({
      cluster: 'c',
      namespace: '1-team-a',
      name: 'web',
    });
    expect(a).not.toBe(b);
  });

  it('gives the same VM on two clusters two names', () => {
    const names = ['east', 'west'].map(cluster =>
      virtualMachineEntityName({ cluster, namespace: 'ns', name: 'db' }),
    );
    expect(names).toEqual(['db.ns.east', 'db.ns.west']);
  });

  it('shortens long names with a stable hash suffix, unique per VM', () => {
    const ref = {
      cluster: 'production-europe-west',
      namespace: 'payments-settlement-batch',
      name: 'settlement-reconciliation-worker-1',
    };
    const name = virtualMachineEntityName(ref);
    expect(name).toHaveLength(63);
    expect(name).toMatch(
      /^settlement-reconciliation-worker-1\.payments-settlement-[0-9a-f]{8}$/,
    );
    expect(virtualMachineEntityName({ ...ref })).toBe(name);
    const sibling = virtualMachineEntityName({
      ...ref,
      name: 'settlement-reconciliation-worker-2',
    });
    expect(sibling).not.toBe(name);
    expect(sibling).toMatch(
      /^settlement-reconciliation-worker-2\.payments-settlement-[0-9a-f]{8}$/,
    );
  });

  it('hashes when a part had to change, so lossy clean-ups cannot collide', () => {
    const upper = virtualMachineEntityName({
      cluster: 'East',
      namespace: 'ns',
      name: 'vm',
    });
    const lower = virtualMachineEntityName({
      cluster: 'east',
      namespace: 'ns',
      name: 'vm',
    });
    const dotted = virtualMachineEntityName({
      cluster: 'eu.east',
      namespace: 'ns',
      name: 'vm',
    });
    expect(lower).toBe('vm.ns.east');
    expect(upper).toMatch(/^vm\.ns\.east-[0-9a-f]{8}$/);
    expect(dotted).toMatch(/^vm\.ns\.eu-east-[0-9a-f]{8}$/);
  });

  it('always yields a valid catalog name', () => {
    const cases = [
      { cluster: '--', namespace: 'n', name: 'v' },
      { cluster: 'c', namespace: 'n', name: 'a.b.c' },
      {
        cluster: 'Cluster_One',
        namespace: 'x'.repeat(63),
        name: 'y'.repeat(63),
      },
      { cluster: 'ü', namespace: 'n', name: '9' },
    ];
    for (const ref of cases) {
      const name = virtualMachineEntityName(ref);
      expect(KubernetesValidatorFunctions.isValidObjectName(name)).toBe(true);
    }
  });
});
