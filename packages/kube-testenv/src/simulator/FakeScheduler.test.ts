import { Quantity } from '@vmportal/plugin-kubevirt-common';
import { podRequests } from './FakeScheduler';

const text = (requests: Record<string, Quantity>) =>
  Object.fromEntries(
    Object.entries(requests).map(([name, q]) => [name, q.toString()]),
  );

describe('podRequests', () => {
  it('adds sidecars to the containers and keeps the larger of that and the init containers', () => {
    const requests = podRequests({
      initContainers: [
        {
          name: 'console',
          restartPolicy: 'Always',
          resources: { requests: { cpu: '5m', memory: '35M' } },
        },
        { name: 'disk', resources: { requests: { cpu: '1m', memory: '1M' } } },
        {
          name: 'big-init',
          resources: { requests: { cpu: '2', memory: '1M' } },
        },
      ],
      containers: [
        {
          name: 'compute',
          resources: { requests: { cpu: '100m', memory: '2316Mi' } },
        },
      ],
    });
    expect(requests.memory.value()).toBe(BigInt(2316 * 1024 ** 2 + 35_000_000));
    // The 2-CPU init container runs beside the console sidecar: 2.005 > 0.105.
    expect(requests.cpu.milliValue()).toBe(2005n);
  });

  it('counts resources given only as limits, and the pod overhead', () => {
    const requests = podRequests({
      containers: [
        {
          name: 'compute',
          resources: {
            requests: { cpu: '100m' },
            limits: { cpu: '1', 'devices.kubevirt.io/kvm': '1' },
          },
        },
      ],
      overhead: { cpu: '250m', memory: '120Mi' },
    });
    expect(text(requests)).toEqual({
      cpu: '350m',
      'devices.kubevirt.io/kvm': '1',
      memory: '120Mi',
    });
  });
});
