import { createServer } from 'node:net';
import {
  adminKubeConfig,
  errorStatus,
  kubeRequest,
  testClusters,
  waitUntil,
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

const vmYaml = (name: string, namespace: string) =>
  [
    'apiVersion: kubevirt.io/v1',
    'kind: VirtualMachine',
    `metadata: {name: ${name}, namespace: ${namespace}}`,
    'spec:',
    '  runStrategy: Halted',
    '  template:',
    '    spec:',
    '      domain: {devices: {}, memory: {guest: 1Gi}}',
    '',
  ].join('\n');

const configMapYaml = (name: string, namespace?: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}${
    namespace ? `, namespace: ${namespace}` : ''
  }}\n`;

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

  it('prunes what the merge removed from the repository, last-applied first, and nothing else', async () => {
    const [cluster] = testClusters();
    const kc = adminKubeConfig(cluster);
    const namespace = `gitops-prune-${Date.now().toString(36)}`;
    const dir = `clusters/${cluster.name}/${namespace}`;
    const vmPath = (name: string) =>
      `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/${name}`;
    const configMapPath = (ns: string, name: string) =>
      `/api/v1/namespaces/${ns}/configmaps/${name}`;
    const exists = (path: string) =>
      kubeRequest(kc, 'GET', path).then(
        () => true,
        error => {
          if (errorStatus(error) === 404) return false;
          throw error;
        },
      );
    // Written with `namespace: default` before the merge and without it after: the
    // same object, which must stay.
    const tidied = `${namespace}-tidied`;
    const repoDir = await env.tempDir();
    const before = await commitFiles(repoDir, {
      [`${dir}/namespace.yaml`]: `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${namespace}}\n`,
      [`${dir}/vm-1.yaml`]: `${vmYaml('vm-1', namespace)}---\n${configMapYaml(
        'vm-1-cloud-init',
        namespace,
      )}`,
      [`${dir}/vm-2.yaml`]: vmYaml('vm-2', namespace),
      [`clusters/${cluster.name}/tidied.yaml`]: configMapYaml(
        tidied,
        'default',
      ),
      'clusters/elsewhere/ns.yaml':
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-b}\n',
    });
    const applier = GitOpsApplier.create({ clusters: [cluster] });
    expect(
      (await applier.applyCommit(before)).map(r => [r.name, r.outcome]),
    ).toEqual([
      [namespace, 'applied'],
      ['vm-1-cloud-init', 'applied'],
      [tidied, 'applied'],
      ['vm-1', 'applied'],
      ['vm-2', 'applied'],
      ['team-b', 'skipped'],
    ]);
    // Made by hand beside the repository's objects: never the applier's to delete.
    await kubeRequest(
      kc,
      'POST',
      `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines`,
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: { name: 'by-hand', namespace },
        spec: {
          runStrategy: 'Halted',
          template: {
            spec: { domain: { devices: {}, memory: { guest: '1Gi' } } },
          },
        },
      },
    );

    // The decommission: vm-1's file goes, and the other cluster's file with it.
    const merged = await commitFiles(
      repoDir,
      {
        [`${dir}/namespace.yaml`]: `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${namespace}}\n`,
        [`${dir}/vm-2.yaml`]: vmYaml('vm-2', namespace),
        [`clusters/${cluster.name}/tidied.yaml`]: configMapYaml(tidied),
      },
      [before.sha],
    );
    const results = await applier.applyCommit(merged);

    expect(
      results.map(r => [r.outcome, r.kind, r.name, r.file, r.message ?? '']),
    ).toEqual([
      ['applied', 'Namespace', namespace, `${dir}/namespace.yaml`, ''],
      [
        'applied',
        'ConfigMap',
        tidied,
        `clusters/${cluster.name}/tidied.yaml`,
        '',
      ],
      ['applied', 'VirtualMachine', 'vm-2', `${dir}/vm-2.yaml`, ''],
      // Reverse of apply order: the VM before the ConfigMap it was applied after.
      ['deleted', 'VirtualMachine', 'vm-1', `${dir}/vm-1.yaml`, ''],
      ['deleted', 'ConfigMap', 'vm-1-cloud-init', `${dir}/vm-1.yaml`, ''],
      [
        'skipped',
        'Namespace',
        'team-b',
        'clusters/elsewhere/ns.yaml',
        'no cluster named elsewhere is configured',
      ],
    ]);
    expect(await exists(configMapPath(namespace, 'vm-1-cloud-init'))).toBe(
      false,
    );
    // The VM carries KubeVirt's finalizer, so it goes once the controller lets it.
    await waitUntil('vm-1 to be deleted', 30_000, async () =>
      (await exists(vmPath('vm-1'))) ? undefined : true,
    );
    expect(await exists(vmPath('vm-2'))).toBe(true);
    expect(await exists(vmPath('by-hand'))).toBe(true);
    expect(await exists(configMapPath('default', tidied))).toBe(true);

    // Synced again, the same merge finds vm-1 already gone: not a failure.
    const again = await applier.applyCommit(merged);
    expect(
      again.filter(r => r.name === 'vm-1').map(r => [r.outcome, r.message]),
    ).toEqual([['deleted', 'already gone']]);

    // A merge that removes vm-2 but breaks another file prunes nothing.
    const broken = await commitFiles(
      repoDir,
      {
        [`${dir}/namespace.yaml`]: `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${namespace}}\n`,
        [`clusters/${cluster.name}/tidied.yaml`]: 'kind: [unterminated\n',
      },
      [merged.sha],
    );
    const refused = await applier.applyCommit(broken);
    expect(refused.map(r => [r.outcome, r.name ?? r.file])).toEqual([
      ['failed', `clusters/${cluster.name}/tidied.yaml`],
      ['applied', namespace],
      ['skipped', 'vm-2'],
      ['skipped', tidied],
    ]);
    expect(refused[2].message).toMatch(/not pruned: a manifest for .* failed/);
    expect(await exists(vmPath('vm-2'))).toBe(true);

    await kubeRequest(kc, 'DELETE', configMapPath('default', tidied));
    await kubeRequest(kc, 'DELETE', `/api/v1/namespaces/${namespace}`);
  }, 60_000);
});
