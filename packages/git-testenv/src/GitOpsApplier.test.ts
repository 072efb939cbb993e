import { createServer } from 'node:net';
import {
  adminKubeConfig,
  kubeRequest,
  testClusters,
} from '@vmportal/kube-testenv';
import { commitFiles } from './__testUtils__/commitFiles';
import { useTestEnv } from './__testUtils__/testEnv';
import { GitOpsApplier } from './GitOpsApplier';

// A port nothing listens on: taken from the OS, then released.
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise(resolve => server.close(resolve));
  return port;
}

describe('GitOpsApplier', () => {
  const env = useTestEnv();

  it('reports each object: skipped for an unknown cluster, failed with the file for an unreachable one', async () => {
    const commit = await commitFiles(await env.tempDir(), {
      'clusters/dev/team-a/vm-1.yaml':
        'apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: vm-1, namespace: team-a}\n',
      'clusters/dev/app.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: team-a}\n',
      'clusters/elsewhere/ns.yaml':
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-b}\n',
    });
    const applier = GitOpsApplier.create({
      clusters: [
        {
          name: 'dev',
          url: `https://127.0.0.1:${await closedPort()}`,
          token: 't',
        },
      ],
    });

    const results = await applier.applyCommit(commit);

    expect(results).toEqual([
      expect.objectContaining({
        cluster: 'dev',
        file: 'clusters/dev/team-a/vm-1.yaml',
        kind: 'VirtualMachine',
        namespace: 'team-a',
        name: 'vm-1',
        outcome: 'failed',
        message: expect.stringMatching(/ECONNREFUSED/),
      }),
      expect.objectContaining({
        file: 'clusters/dev/app.yaml',
        outcome: 'failed',
        // The applier finds REST paths through discovery, which fails the same way.
        message: expect.stringMatching(/ECONNREFUSED/),
      }),
      expect.objectContaining({
        cluster: 'elsewhere',
        outcome: 'skipped',
        message: 'no cluster named elsewhere is configured',
      }),
    ]);
    await expect(
      applier.mergeHandler()({
        ...commit,
        owner: 'acme',
        repo: 'gitops',
        pullNumber: 1,
        baseBranch: 'main',
        files: [],
      }),
    ).rejects.toThrow(
      /clusters\/dev\/team-a\/vm-1\.yaml VirtualMachine team-a\/vm-1: .*ECONNREFUSED/,
    );
  });

  it('applies a commit to a real cluster in sync order, and names a kind the cluster does not serve', async () => {
    const [cluster] = testClusters();
    const namespace = `gitops-${Date.now().toString(36)}`;
    const dir = `clusters/${cluster.name}/${namespace}`;
    // Listed in the reverse of the order they must be applied in.
    const commit = await commitFiles(await env.tempDir(), {
      [`${dir}/vm/virtualmachine.yaml`]: [
        'apiVersion: kubevirt.io/v1',
        'kind: VirtualMachine',
        `metadata: {name: vm-1, namespace: ${namespace}}`,
        'spec:',
        '  runStrategy: Halted',
        '  template:',
        '    spec:',
        '      domain: {devices: {}, memory: {guest: 1Gi}}',
        '',
      ].join('\n'),
      [`${dir}/widget.yaml`]: `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: ${namespace}}\n`,
      [`${dir}/namespace.yaml`]: `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${namespace}}\n`,
    });
    const applier = GitOpsApplier.create({ clusters: [cluster] });

    const results = await applier.applyCommit(commit);

    expect(results.map(r => [r.kind, r.outcome, r.message ?? ''])).toEqual([
      ['Namespace', 'applied', ''],
      ['VirtualMachine', 'applied', ''],
      [
        'Widget',
        'failed',
        expect.stringMatching(/does not serve kind Widget in example\.com\/v1/),
      ],
    ]);
    const vm = await kubeRequest<{ spec: { runStrategy: string } }>(
      adminKubeConfig(cluster),
      'GET',
      `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/vm-1`,
    );
    expect(vm.spec.runStrategy).toBe('Halted');
    await kubeRequest(
      adminKubeConfig(cluster),
      'DELETE',
      `/api/v1/namespaces/${namespace}`,
    );
  }, 60_000);
});
