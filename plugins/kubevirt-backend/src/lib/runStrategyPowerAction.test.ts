import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ConflictError, NotImplementedError } from '@backstage/errors';
import {
  ClusterInfo,
  createTestNamespace,
  deleteTestNamespace,
  testClusters,
} from '@vmportal/kube-testenv';
import {
  DefaultKubevirtClustersService,
  KubevirtCluster,
} from '@vmportal/plugin-kubevirt-node';
import {
  applyAsAdmin,
  clustersConfig,
  readVm,
  testVirtualMachine,
  waitForVmStatus,
} from '../__testUtils__/testVirtualMachines';
import {
  runStrategyPatch,
  runStrategyPowerAction,
} from './runStrategyPowerAction';

jest.setTimeout(180_000);

let cluster: ClusterInfo;
let portal: KubevirtCluster;
let namespace: string;

beforeAll(async () => {
  cluster = testClusters()[1];
  // As the portal: its actor may patch VMs but not their status.
  portal = DefaultKubevirtClustersService.fromConfig(
    new ConfigReader(clustersConfig([cluster])),
    { logger: mockServices.logger.mock() },
  ).get(cluster.name);
  namespace = await createTestNamespace(cluster, 'kvb-fallback');
});

afterAll(async () => {
  await deleteTestNamespace(cluster, namespace);
});

describe('runStrategyPowerAction', () => {
  it('stops and starts a real VM by patching spec.runStrategy', async () => {
    await applyAsAdmin(cluster, [testVirtualMachine(namespace, 'fallback-1')]);
    let vm = await waitForVmStatus(cluster, namespace, 'fallback-1', 'Running');

    const stopped = await runStrategyPowerAction(portal, vm, 'stop');
    expect(stopped.spec.runStrategy).toBe('Halted');
    vm = await waitForVmStatus(cluster, namespace, 'fallback-1', 'Stopped');

    await expect(runStrategyPowerAction(portal, vm, 'stop')).rejects.toThrow(
      ConflictError,
    );

    const started = await runStrategyPowerAction(portal, vm, 'start');
    expect(started.spec.runStrategy).toBe('Always');
    vm = await waitForVmStatus(cluster, namespace, 'fallback-1', 'Running');

    await expect(runStrategyPowerAction(portal, vm, 'start')).rejects.toThrow(
      /VM is already running/,
    );
  });

  it('refuses to act when the run strategy changed since the VM was read', async () => {
    await applyAsAdmin(cluster, [
      testVirtualMachine(namespace, 'fallback-2', { runStrategy: 'Halted' }),
    ]);
    const seen = await readVm(cluster, namespace, 'fallback-2');
    // Someone else changes how the VM runs in between.
    await applyAsAdmin(cluster, [
      testVirtualMachine(namespace, 'fallback-2', { runStrategy: 'Manual' }),
    ]);

    const attempt = runStrategyPowerAction(portal, seen, 'start');
    await expect(attempt).rejects.toThrow(ConflictError);
    await expect(attempt).rejects.toThrow(
      'the VM changed meanwhile, try again',
    );
    const vm = await readVm(cluster, namespace, 'fallback-2');
    expect(vm.spec.runStrategy).toBe('Manual');
  });

  it("acts when only the VM's labels or status moved on since it was read", async () => {
    await applyAsAdmin(cluster, [
      testVirtualMachine(namespace, 'fallback-5', { runStrategy: 'Halted' }),
    ]);
    const seen = await readVm(cluster, namespace, 'fallback-5');
    await applyAsAdmin(cluster, [
      {
        ...testVirtualMachine(namespace, 'fallback-5', {
          runStrategy: 'Halted',
        }),
        metadata: { name: 'fallback-5', namespace, labels: { touched: 'yes' } },
      },
    ]);

    const started = await runStrategyPowerAction(portal, seen, 'start');
    expect(started.spec.runStrategy).toBe('Always');
    expect(started.metadata.labels).toEqual({ touched: 'yes' });
  });

  it('replaces the deprecated spec.running with a run strategy', async () => {
    await applyAsAdmin(cluster, [
      testVirtualMachine(namespace, 'fallback-3', { running: false }),
    ]);
    const vm = await readVm(cluster, namespace, 'fallback-3');
    expect(runStrategyPatch(vm, 'Always')).toEqual([
      { op: 'test', path: '/spec/running', value: false },
      { op: 'remove', path: '/spec/running' },
      { op: 'add', path: '/spec/runStrategy', value: 'Always' },
    ]);

    const started = await runStrategyPowerAction(portal, vm, 'start');
    expect(started.spec.running).toBeUndefined();
    expect(started.spec.runStrategy).toBe('Always');
    await waitForVmStatus(cluster, namespace, 'fallback-3', 'Running');
  });

  it('says which actions need the subresource API', async () => {
    await applyAsAdmin(cluster, [
      testVirtualMachine(namespace, 'fallback-4', { runStrategy: 'Manual' }),
    ]);
    const vm = await readVm(cluster, namespace, 'fallback-4');
    for (const action of ['restart', 'pause', 'unpause'] as const) {
      await expect(runStrategyPowerAction(portal, vm, action)).rejects.toThrow(
        NotImplementedError,
      );
    }
    await expect(runStrategyPowerAction(portal, vm, 'start')).rejects.toThrow(
      `runStrategy Manual on cluster '${cluster.name}'`,
    );
  });
});
