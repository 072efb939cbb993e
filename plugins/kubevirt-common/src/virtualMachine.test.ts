import { VirtualMachine, virtualMachineRunStrategy } from './virtualMachine';

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
