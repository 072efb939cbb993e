import { parse } from 'yaml';
import type { VirtualMachine } from '../kube/kubevirtObjects';
import { liveVirtualMachine } from './__fixtures__/liveVirtualMachine';
import { cleanVirtualMachineManifest } from './cleanVirtualMachineManifest';
import { toYaml } from './serializeYaml';

describe('cleanVirtualMachineManifest', () => {
  it('keeps what the owner wrote and the guest hardware, and drops what the cluster added', () => {
    const live = liveVirtualMachine();

    const manifest = cleanVirtualMachineManifest(live);

    expect(manifest).toEqual({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: {
        name: 'billing-db',
        namespace: 'team-b',
        labels: { app: 'billing', tier: 'db' },
        annotations: { 'billing.example.com/cost-centre': 'cc-4711' },
      },
      spec: {
        dataVolumeTemplates: [
          {
            metadata: { name: 'billing-db-root' },
            spec: {
              sourceRef: {
                kind: 'DataSource',
                name: 'fedora',
                namespace: 'kubevirt-os-images',
              },
              storage: { resources: { requests: { storage: '30Gi' } } },
            },
          },
        ],
        instancetype: {
          kind: 'virtualmachineclusterinstancetype',
          name: 'u1.medium',
        },
        preference: { kind: 'virtualmachineclusterpreference', name: 'fedora' },
        runStrategy: 'Always',
        template: {
          metadata: {
            annotations: { 'kubevirt.io/pci-topology-version': 'v3' },
            labels: { app: 'billing' },
          },
          spec: {
            architecture: 'amd64',
            domain: {
              devices: {},
              firmware: {
                serial: '5d9d2f1a-7c3e-4b8a-9f6d-0e1c2b3a4d5e',
                uuid: '8e3f1c2a-6b7d-4e9f-a0b1-c2d3e4f5a6b7',
              },
              machine: { type: 'q35' },
              resources: {},
            },
            volumes: [
              { dataVolume: { name: 'billing-db-root' }, name: 'rootdisk' },
            ],
          },
        },
      },
    });
    // The live object is left as it was.
    expect(live).toEqual(liveVirtualMachine());
  });

  it('serialises to the same YAML every time, which reads back as the manifest and holds nothing of the cluster', () => {
    const manifest = cleanVirtualMachineManifest(liveVirtualMachine());
    const yaml = toYaml(manifest);

    expect(parse(yaml)).toEqual(manifest);
    expect(toYaml(cleanVirtualMachineManifest(liveVirtualMachine()))).toBe(
      yaml,
    );
    // Cleaning what was cleaned changes nothing: committing, reading back and
    // adopting again gives the same file.
    expect(
      toYaml(
        cleanVirtualMachineManifest(manifest as unknown as VirtualMachine),
      ),
    ).toBe(yaml);
    for (const clusterText of [
      'managedFields',
      'resourceVersion',
      /\buid:/,
      'generation',
      'creationTimestamp',
      'finalizers',
      'status',
      'revisionName',
      'observed-api-version',
      'last-applied-configuration',
      'lastRestoreUID',
      'printableStatus',
    ]) {
      expect(yaml).not.toMatch(clusterText);
    }
    expect(yaml.split('\n').slice(0, 6)).toEqual([
      'apiVersion: kubevirt.io/v1',
      'kind: VirtualMachine',
      'metadata:',
      '  name: billing-db',
      '  namespace: team-b',
      '  annotations:',
    ]);
  });

  it('keeps the deprecated running field only when it is the one in use', () => {
    const legacy = liveVirtualMachine();
    delete legacy.spec.runStrategy;
    legacy.spec.running = false;
    expect(cleanVirtualMachineManifest(legacy).spec).toMatchObject({
      running: false,
    });
    expect(cleanVirtualMachineManifest(legacy).spec).not.toHaveProperty(
      'runStrategy',
    );

    // KubeVirt v1.9 refuses both on a new write; an old object with both runs by
    // runStrategy in the portal's reading, and that is what is kept.
    const both = liveVirtualMachine();
    both.spec.running = true;
    both.spec.runStrategy = 'Manual';
    const spec = cleanVirtualMachineManifest(both).spec!;
    expect(spec.runStrategy).toBe('Manual');
    expect(spec).not.toHaveProperty('running');
  });

  it('leaves out labels, annotations and template metadata that end up empty', () => {
    // As the apiserver sends it: Go writes an unset creation time as null.
    const vm: VirtualMachine = JSON.parse(`{
      "apiVersion": "kubevirt.io/v1",
      "kind": "VirtualMachine",
      "metadata": {
        "name": "scratch",
        "namespace": "team-c",
        "uid": "5a1d7c3e-0000-4000-8000-000000000001",
        "resourceVersion": "42",
        "annotations": {
          "kubevirt.io/latest-observed-api-version": "v1",
          "kubevirt.io/storage-observed-api-version": "v1",
          "kubemacpool.io/transaction-timestamp": "2025-11-04T09:12:44.12Z"
        },
        "labels": {}
      },
      "spec": {
        "runStrategy": "Halted",
        "template": {
          "metadata": { "creationTimestamp": null },
          "spec": { "domain": { "devices": {}, "memory": { "guest": "1Gi" } } }
        }
      }
    }`);

    expect(cleanVirtualMachineManifest(vm)).toEqual({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'scratch', namespace: 'team-c' },
      spec: {
        runStrategy: 'Halted',
        template: {
          spec: { domain: { devices: {}, memory: { guest: '1Gi' } } },
        },
      },
    });
  });
});
