import type { VirtualMachine } from '@vmportal/plugin-kubevirt-common';
import type {
  KubeEventObject,
  PodObject,
} from '@vmportal/plugin-kubevirt-node';
import { parse } from 'yaml';
import {
  launcherPodSummary,
  manifestYaml,
  pickLauncherPod,
  viewEvents,
} from './virtualMachineView';

function event(name: string, at: string, extra: Partial<KubeEventObject> = {}) {
  return {
    metadata: { name, namespace: 'ns', uid: name },
    involvedObject: { kind: 'VirtualMachine', name: 'vm' },
    type: 'Normal',
    reason: 'Tick',
    message: name,
    count: 1,
    lastTimestamp: at,
    ...extra,
  } as KubeEventObject;
}

describe('viewEvents', () => {
  it('shows the newest 30 events first, each once', () => {
    const events = Array.from({ length: 40 }, (_, i) =>
      event(`e${i}`, new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString()),
    );
    const view = viewEvents([...events, events[39]], 30);
    expect(view).toHaveLength(30);
    expect(view[0].message).toBe('e39');
    expect(view[29].message).toBe('e10');
  });

  it('takes the time and count of event series', () => {
    const [view] = viewEvents(
      [
        event('series', '', {
          lastTimestamp: undefined,
          eventTime: '2026-01-01T00:00:00.000000Z',
          series: { count: 7, lastObservedTime: '2026-01-01T01:00:00.000000Z' },
        }),
      ],
      30,
    );
    expect(view).toMatchObject({
      count: 7,
      lastTimestamp: '2026-01-01T01:00:00.000000Z',
    });
  });
});

describe('launcherPodSummary', () => {
  it('counts containers and sidecars, or the largest init container when more', () => {
    const pod: PodObject = {
      metadata: { name: 'virt-launcher-vm-abcde' },
      spec: {
        containers: [
          {
            name: 'compute',
            resources: {
              requests: { cpu: '100m', memory: '2294Mi' },
              limits: { cpu: '1' },
            },
          },
        ],
        initContainers: [
          {
            name: 'guest-console-log',
            restartPolicy: 'Always',
            resources: { requests: { cpu: '5m', memory: '35M' } },
          },
          {
            name: 'container-disk-binary',
            resources: { requests: { cpu: '200m', memory: '1M' } },
          },
        ],
      },
      status: { phase: 'Running', qosClass: 'Burstable' },
    };
    expect(launcherPodSummary(pod)).toEqual({
      name: 'virt-launcher-vm-abcde',
      phase: 'Running',
      qosClass: 'Burstable',
      requests: { cpu: '200m', memory: '2440433344' },
      limits: { cpu: '1' },
    });
  });

  it('prefers the running pod over one being deleted', () => {
    const pods: PodObject[] = [
      {
        metadata: { name: 'old', deletionTimestamp: '2026-01-01T00:00:00Z' },
        status: { phase: 'Running' },
      },
      { metadata: { name: 'new' }, status: { phase: 'Running' } },
    ];
    expect(pickLauncherPod(pods)?.metadata.name).toBe('new');
  });
});

describe('manifestYaml', () => {
  it('leaves out status, managed fields and the last applied copy', () => {
    const vm = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: {
        name: 'vm',
        namespace: 'ns',
        managedFields: [{ manager: 'kubectl' }],
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{"big":1}',
          note: 'kept',
        },
      },
      spec: { runStrategy: 'Always' },
      status: { printableStatus: 'Running' },
    } as unknown as VirtualMachine;
    expect(parse(manifestYaml(vm))).toEqual({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'vm', namespace: 'ns', annotations: { note: 'kept' } },
      spec: { runStrategy: 'Always' },
    });
  });
});
