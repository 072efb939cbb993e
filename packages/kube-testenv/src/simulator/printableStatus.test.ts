import { printableStatus, runStrategyOf } from './printableStatus';
import type {
  DataVolumeObject,
  VirtualMachineInstanceObject,
} from '@vmportal/plugin-kubevirt-common';
import type { VirtualMachine } from './types';

const vm = (
  spec: Partial<VirtualMachine['spec']> = {},
  volumes = [{ name: 'root', dataVolume: { name: 'root-dv' } }],
): VirtualMachine => ({
  metadata: { name: 'vm', namespace: 'ns' },
  spec: {
    runStrategy: 'Always',
    template: { spec: { domain: {}, volumes } },
    ...spec,
  },
});
const vmi = (
  phase: string,
  conditions: Array<{
    type: string;
    status: 'True' | 'False';
    reason?: string;
  }> = [],
) =>
  ({
    metadata: { name: 'vm', uid: 'u1' },
    spec: { domain: {} },
    status: { phase, conditions },
  } as VirtualMachineInstanceObject);
const inputs = (dvPhase?: string) => ({
  dataVolumes: () =>
    dvPhase
      ? ({
          metadata: {},
          spec: {},
          status: { phase: dvPhase },
        } as DataVolumeObject)
      : undefined,
  pvcs: () => undefined,
  startExpected: false,
  stopExpected: false,
});

describe('printableStatus', () => {
  it('follows the VMI from Starting to Running, Paused and Stopped', () => {
    expect(printableStatus(vm(), vmi('Pending'), inputs('Succeeded'))).toBe(
      'Starting',
    );
    expect(printableStatus(vm(), vmi('Scheduled'), inputs('Succeeded'))).toBe(
      'Starting',
    );
    expect(printableStatus(vm(), vmi('Running'), inputs('Succeeded'))).toBe(
      'Running',
    );
    expect(
      printableStatus(
        vm(),
        vmi('Running', [{ type: 'Paused', status: 'True' }]),
        inputs('Succeeded'),
      ),
    ).toBe('Paused');
    expect(printableStatus(vm(), vmi('Succeeded'), inputs('Succeeded'))).toBe(
      'Stopped',
    );
    expect(printableStatus(vm(), undefined, inputs('Succeeded'))).toBe(
      'Stopped',
    );
  });

  it('puts Provisioning before Starting and Stopped, and Unschedulable before Provisioning', () => {
    expect(printableStatus(vm(), undefined, inputs('ImportInProgress'))).toBe(
      'Provisioning',
    );
    expect(
      printableStatus(vm(), vmi('Pending'), inputs('ImportInProgress')),
    ).toBe('Provisioning');
    const unschedulable = vmi('Scheduling', [
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable' },
    ]);
    expect(
      printableStatus(vm(), unschedulable, inputs('ImportInProgress')),
    ).toBe('ErrorUnschedulable');
    expect(printableStatus(vm(), undefined, inputs('Failed'))).toBe(
      'DataVolumeError',
    );
  });

  it('shows Stopping for a VMI being deleted and Terminating for a VM being deleted', () => {
    const deleting = {
      ...vmi('Running'),
      metadata: { name: 'vm', deletionTimestamp: new Date().toISOString() },
    };
    expect(printableStatus(vm(), deleting, inputs('Succeeded'))).toBe(
      'Stopping',
    );
    const terminating = {
      ...vm(),
      metadata: { name: 'vm', deletionTimestamp: new Date().toISOString() },
    };
    expect(printableStatus(terminating, deleting, inputs('Succeeded'))).toBe(
      'Terminating',
    );
  });
});

describe('runStrategyOf', () => {
  it('maps the deprecated spec.running and defaults to Halted', () => {
    expect(runStrategyOf(vm({ runStrategy: undefined, running: true }))).toBe(
      'Always',
    );
    expect(runStrategyOf(vm({ runStrategy: undefined, running: false }))).toBe(
      'Halted',
    );
    expect(runStrategyOf(vm({ runStrategy: undefined }))).toBe('Halted');
    expect(runStrategyOf(vm({ runStrategy: 'Manual' }))).toBe('Manual');
    expect(() =>
      runStrategyOf(vm({ runStrategy: 'Always', running: true })),
    ).toThrow('mutually exclusive');
  });
});
