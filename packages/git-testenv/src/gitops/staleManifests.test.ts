import { ClusterManifest } from './readClusterManifests';
import { staleManifests } from './staleManifests';

const entry = (
  cluster: string,
  file: string,
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
): ClusterManifest => ({
  cluster,
  file,
  manifest: { apiVersion, kind, metadata: { name, namespace } },
});

describe('staleManifests', () => {
  it('finds each object the repository no longer holds once, namespaces last', () => {
    const previous = [
      entry('dev', 'a/ns.yaml', 'v1', 'Namespace', 'a'),
      entry('dev', 'a/vm.yaml', 'v1', 'PersistentVolumeClaim', 'd', 'a'),
      entry(
        'dev',
        'a/old-copy.yaml',
        'kubevirt.io/v1',
        'VirtualMachine',
        'vm',
        'a',
      ),
      entry('dev', 'a/vm.yaml', 'kubevirt.io/v1', 'VirtualMachine', 'vm', 'a'),
      entry(
        'dev',
        'a/dv.yaml',
        'cdi.kubevirt.io/v1alpha1',
        'DataVolume',
        'dv',
        'a',
      ),
      entry('prod', 'b/cm.yaml', 'v1', 'ConfigMap', 'c', 'b'),
    ];
    const current = [
      // A new API version of the same group: the same object.
      entry(
        'dev',
        'a/dv.yaml',
        'cdi.kubevirt.io/v1beta1',
        'DataVolume',
        'dv',
        'a',
      ),
      // The same name on another cluster is another object.
      entry('prod', 'a/ns.yaml', 'v1', 'Namespace', 'a'),
      entry('prod', 'b/cm.yaml', 'v1', 'ConfigMap', 'c', 'b'),
    ];

    expect(
      staleManifests(previous, current).map(m => [
        m.cluster,
        m.manifest.kind,
        m.file,
      ]),
    ).toEqual([
      ['dev', 'VirtualMachine', 'a/old-copy.yaml'],
      ['dev', 'PersistentVolumeClaim', 'a/vm.yaml'],
      ['dev', 'Namespace', 'a/ns.yaml'],
    ]);
  });
});
