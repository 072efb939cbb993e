/**
 * @jest-environment node
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
// Test-only: kube-testenv's build writes the real common-instancetypes objects.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import { ensureBinaries } from '@vmportal/kube-testenv';
import { commonInstancetypes } from './commonInstancetypes';
import { SizeCatalog } from './SizeCatalog';

describe('SizeCatalog', () => {
  let realObjects: any[];

  beforeAll(async () => {
    // crdgen writes KubeVirt v1.9.0's bundled common-instancetypes, one YAML per object.
    const binaries = await ensureBinaries({});
    realObjects = fs
      .readdirSync(binaries.instancetypesDir)
      .filter(f => f.endsWith('.yaml'))
      .map(f =>
        parse(fs.readFileSync(path.join(binaries.instancetypesDir, f), 'utf8')),
      );
  }, 60 * 60_000);

  it('has a fallback equal to the real u1, o1, cx1 and m1 objects KubeVirt v1.9.0 ships', () => {
    const real = realObjects
      .filter(
        o =>
          o.kind === 'VirtualMachineClusterInstancetype' &&
          /^(u1|o1|cx1|m1)\./.test(o.metadata.name),
      )
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const fallback = commonInstancetypes().sort((a, b) =>
      a.metadata.name.localeCompare(b.metadata.name),
    );
    expect(fallback.map(o => o.metadata.name)).toEqual(
      real.map(o => o.metadata.name),
    );
    expect(fallback).toHaveLength(10 + 9 + 12 + 10);
    fallback.forEach((object, i) => {
      expect(object.apiVersion).toBe(real[i].apiVersion);
      expect(object.kind).toBe(real[i].kind);
      expect(object.spec).toEqual(real[i].spec);
      expect(object.metadata.labels).toEqual(real[i].metadata.labels);
      expect(
        object.metadata.annotations?.['instancetype.kubevirt.io/displayName'],
      ).toBe(
        real[i].metadata.annotations['instancetype.kubevirt.io/displayName'],
      );
    });
  });

  it('reads the real objects into sizes and preferences', () => {
    const catalog = SizeCatalog.fromObjects(realObjects);
    expect(catalog.source).toBe('cluster');
    expect(catalog.skipped).toEqual([]);
    expect(catalog.series()).toEqual([
      'cx1',
      'd1',
      'm1',
      'n1',
      'o1',
      'rt1',
      'u1',
    ]);
    const medium = catalog.findInstancetype({ name: 'u1.medium' });
    expect(medium).toMatchObject({
      series: 'u1',
      size: 'medium',
      vcpus: 1,
      displayName: 'General Purpose',
      dedicatedCPUPlacement: false,
    });
    expect(medium?.memory.toString()).toBe('4Gi');
    expect(catalog.findInstancetype({ name: 'cx1.2xlarge1gi' })).toMatchObject({
      series: 'cx1',
      size: '2xlarge1gi',
      vcpus: 8,
      dedicatedCPUPlacement: true,
      isolateEmulatorThread: true,
      hugepages: '1Gi',
      ioThreadsPolicy: 'auto',
      numa: true,
    });
    expect(
      catalog.findInstancetype({ name: 'o1.nano' })?.overcommitPercent,
    ).toBe(50);
    expect(catalog.findInstancetype({ name: 'rt1.medium' })?.realtime).toBe(
      true,
    );
    expect(catalog.sizesOf('u1').map(s => s.size)).toEqual([
      'nano',
      'micro',
      'small',
      'medium',
      '2xmedium',
      'large',
      'xlarge',
      '2xlarge',
      '4xlarge',
      '8xlarge',
    ]);
    const windows = catalog.findPreference({ name: 'windows.11.virtio' });
    expect(windows).toMatchObject({
      osType: 'windows',
      requirements: { vcpus: 2 },
    });
    expect(windows?.requirements.memory?.toString()).toBe('4Gi');
    expect(windows?.displayName).toBe('Microsoft Windows 11 (virtio)');
  });

  it('falls back to the built-in sizes when the cluster has none, keeping its preferences', () => {
    const preferences = realObjects.filter(
      o => o.kind === 'VirtualMachineClusterPreference',
    );
    const catalog = SizeCatalog.fromCluster(preferences);
    expect(catalog.source).toBe('fallback');
    expect(catalog.series()).toEqual(['cx1', 'm1', 'o1', 'u1']);
    expect(catalog.preferences.length).toBe(preferences.length);
    expect(SizeCatalog.fromCluster(realObjects).source).toBe('cluster');
  });

  it('tells cluster-wide and namespaced instancetypes apart', () => {
    const catalog = SizeCatalog.fromObjects([
      {
        kind: 'VirtualMachineInstancetype',
        metadata: { name: 'team.big', namespace: 'team-a' },
        spec: { cpu: { guest: 6 }, memory: { guest: '24Gi' } },
      },
      {
        kind: 'VirtualMachineClusterInstancetype',
        metadata: { name: 'team.big' },
        spec: { cpu: { guest: 2 }, memory: { guest: '2Gi' } },
      },
    ]);
    expect(
      catalog.findInstancetype(
        { name: 'team.big', kind: 'VirtualMachineInstancetype' },
        'team-a',
      )?.vcpus,
    ).toBe(6);
    expect(
      catalog.findInstancetype(
        { name: 'team.big', kind: 'VirtualMachineInstancetype' },
        'team-b',
      ),
    ).toBeUndefined();
    expect(
      catalog.findInstancetype({ name: 'team.big' }, 'team-a')?.vcpus,
    ).toBe(2);
  });

  it('lists objects it cannot use and why', () => {
    const catalog = SizeCatalog.fromObjects([
      {
        kind: 'VirtualMachineClusterInstancetype',
        metadata: { name: 'broken' },
        spec: { cpu: { guest: 0 }, memory: { guest: '1Gi' } },
      },
      {
        kind: 'VirtualMachineClusterInstancetype',
        metadata: { name: 'nomem' },
        spec: { cpu: { guest: 1 }, memory: { guest: 'lots' } },
      },
      { kind: 'ConfigMap', metadata: { name: 'x' } },
      'not an object',
    ]);
    expect(catalog.instancetypes).toEqual([]);
    expect(catalog.skipped.map(s => s.reason)).toEqual([
      'spec.cpu.guest is not a whole number of vCPUs',
      'spec.memory.guest is not a memory size',
      'kind ConfigMap is not an instancetype or preference',
      'it is not a Kubernetes object with a name',
    ]);
  });
});
