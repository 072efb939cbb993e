import { describeResource, formatQuantity } from './quantity';

describe('formatQuantity', () => {
  it('shows memory and storage in binary units, CPU in cores, counts whole', () => {
    expect(formatQuantity('12884901888', 'requests.memory')).toBe('12 GiB');
    expect(formatQuantity('2294Mi', 'memory')).toBe('2.2 GiB');
    expect(formatQuantity('500Gi', 'requests.storage')).toBe('500 GiB');
    expect(formatQuantity('2Ti', 'requests.storage')).toBe('2 TiB');
    expect(formatQuantity('5500m', 'requests.cpu')).toBe('5.5 CPUs');
    expect(formatQuantity('100m', 'cpu')).toBe('0.1 CPU');
    expect(formatQuantity('8', 'count/virtualmachines.kubevirt.io')).toBe('8');
  });

  it('gives back what is not a quantity as it is', () => {
    expect(formatQuantity('n/a', 'requests.cpu')).toBe('n/a');
    expect(formatQuantity('4GB', 'requests.memory')).toBe('4GB');
  });

  it('names the resources in words', () => {
    expect(describeResource('requests.cpu')).toBe('CPU requests');
    expect(describeResource('example.com/gpus')).toBe('example.com/gpus');
  });
});
