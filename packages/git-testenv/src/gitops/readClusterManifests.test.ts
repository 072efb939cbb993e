import { commitFiles } from '../__testUtils__/commitFiles';
import { useTestEnv } from '../__testUtils__/testEnv';
import { readClusterManifests } from './readClusterManifests';

describe('readClusterManifests', () => {
  const env = useTestEnv();

  it('reads every document under clusters/<cluster>/ of a commit, in apply order', async () => {
    const { repoPath, sha } = await commitFiles(await env.tempDir(), {
      'README.md': '# not a manifest\n',
      'docs/example.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ignored}\n',
      'clusters/dev/kustomization.yaml': 'resources: [team-a/vm-1.yaml]\n',
      'clusters/dev/team-a/vm-1.yaml': [
        'apiVersion: kubevirt.io/v1',
        'kind: VirtualMachine',
        'metadata: {name: vm-1, namespace: team-a}',
        '---',
        'apiVersion: cdi.kubevirt.io/v1beta1',
        'kind: DataVolume',
        'metadata: {name: vm-1-root, namespace: team-a}',
        '---',
        '',
      ].join('\n'),
      'clusters/dev/namespace.yml':
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n',
      'clusters/prod/team-b/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: team-b}\n',
    });

    const { manifests, problems } = await readClusterManifests(repoPath, sha);

    expect(problems).toEqual([]);
    expect(
      manifests.map(m => [
        m.cluster,
        m.file,
        m.manifest.kind,
        m.manifest.metadata.name,
      ]),
    ).toEqual([
      ['dev', 'clusters/dev/namespace.yml', 'Namespace', 'team-a'],
      ['dev', 'clusters/dev/team-a/vm-1.yaml', 'DataVolume', 'vm-1-root'],
      ['dev', 'clusters/dev/team-a/vm-1.yaml', 'VirtualMachine', 'vm-1'],
      ['prod', 'clusters/prod/team-b/cm.yaml', 'ConfigMap', 'c'],
    ]);
  });

  it('reports broken YAML and documents that are not objects, naming the file', async () => {
    const { repoPath, sha } = await commitFiles(await env.tempDir(), {
      'clusters/dev/broken.yaml': 'apiVersion: v1\nkind: [unclosed\n',
      'clusters/dev/list.yaml': '- a\n- b\n',
      'clusters/dev/ok.yaml':
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n',
    });

    const { manifests, problems } = await readClusterManifests(repoPath, sha);

    expect(manifests.map(m => m.manifest.metadata.name)).toEqual(['ok']);
    expect(problems).toEqual([
      expect.objectContaining({
        cluster: 'dev',
        file: 'clusters/dev/broken.yaml',
      }),
      {
        cluster: 'dev',
        file: 'clusters/dev/list.yaml',
        message:
          'document 1 is not a Kubernetes object with apiVersion, kind and metadata.name',
      },
    ]);
  });
});
