import type { VirtualMachine } from './kube/kubevirtObjects';
import {
  CONFIG_VOLUME_SOURCES,
  virtualMachineRunStrategy,
  volumeSourceType,
} from './virtualMachine';

function vm(spec: VirtualMachine['spec']): VirtualMachine {
  return { metadata: { name: 'vm' }, spec };
}

describe('virtualMachineRunStrategy', () => {
  it('prefers spec.runStrategy', () => {
    expect(virtualMachineRunStrategy(vm({ runStrategy: 'Manual' }))).toBe(
      'Manual',
    );
  });

  it('maps the deprecated spec.running the way KubeVirt does', () => {
    expect(virtualMachineRunStrategy(vm({ running: true }))).toBe('Always');
    expect(virtualMachineRunStrategy(vm({ running: false }))).toBe('Halted');
    expect(virtualMachineRunStrategy(vm({}))).toBe('Halted');
  });
});

describe('volumeSourceType', () => {
  it('names the source KubeVirt builds the volume from', () => {
    expect(
      volumeSourceType({ name: 'root', containerDisk: { image: 'fedora' } }),
    ).toBe('containerDisk');
    expect(volumeSourceType({ name: 'data', dataVolume: { name: 'd' } })).toBe(
      'dataVolume',
    );
    expect(volumeSourceType({ name: 'init', cloudInitNoCloud: {} })).toBe(
      'cloudInitNoCloud',
    );
    expect(volumeSourceType({ name: 'scratch', emptyDisk: {} })).toBe(
      'emptyDisk',
    );
  });

  it('falls back to the first field of a source it does not know, then unknown', () => {
    expect(volumeSourceType({ name: 'x', futureSource: {} })).toBe(
      'futureSource',
    );
    expect(volumeSourceType({ name: 'x' })).toBe('unknown');
  });

  it('counts configuration sources as configuration, not data', () => {
    expect(CONFIG_VOLUME_SOURCES).toContain('cloudInitNoCloud');
    expect(CONFIG_VOLUME_SOURCES).toContain('sysprep');
    expect(CONFIG_VOLUME_SOURCES).not.toContain('dataVolume');
    expect(CONFIG_VOLUME_SOURCES).not.toContain('containerDisk');
  });
});
