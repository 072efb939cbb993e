import type {
  DataVolumeObject,
  KubeEventObject,
  PodContainerResourcesLike,
  PodObject,
  PersistentVolumeClaimObject,
  VirtualMachine,
  VirtualMachineInstanceObject,
} from '@vmportal/plugin-kubevirt-common';
import { parse } from 'yaml';
import {
  launcherPodOf,
  launcherPodSummary,
  manifestYaml,
  pickLauncherPod,
  viewDisks,
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
  // KubeVirt's launcher pod for a VM without limits: the compute container has none,
  // its small helper containers have theirs.
  const compute = {
    name: 'compute',
    resources: { requests: { cpu: '100m', memory: '2294Mi' } },
  };
  const consoleLog = {
    name: 'guest-console-log',
    restartPolicy: 'Always',
    resources: {
      requests: { cpu: '5m', memory: '35M' },
      limits: { cpu: '15m', memory: '60M' },
    },
  };
  const diskBinary = {
    name: 'container-disk-binary',
    resources: {
      requests: { cpu: '200m', memory: '1M' },
      limits: { cpu: '210m', memory: '40M' },
    },
  };
  const launcher = (containers: PodContainerResourcesLike[]): PodObject => ({
    metadata: { name: 'virt-launcher-vm-abcde' },
    spec: { containers, initContainers: [consoleLog, diskBinary] },
    status: { phase: 'Running', qosClass: 'Burstable' },
  });

  it('shows each container, and no pod limit where a container has none', () => {
    const summary = launcherPodSummary(launcher([compute]));
    // The sidecars' limits are theirs, not the pod's: the compute container is unlimited.
    expect(summary.limits).toEqual({});
    expect(summary).toEqual({
      name: 'virt-launcher-vm-abcde',
      phase: 'Running',
      qosClass: 'Burstable',
      containers: [
        {
          name: 'compute',
          kind: 'container',
          requests: { cpu: '100m', memory: '2294Mi' },
          limits: {},
        },
        {
          name: 'guest-console-log',
          kind: 'sidecar',
          requests: { cpu: '5m', memory: '35M' },
          limits: { cpu: '15m', memory: '60M' },
        },
        {
          name: 'container-disk-binary',
          kind: 'init',
          requests: { cpu: '200m', memory: '1M' },
          limits: { cpu: '210m', memory: '40M' },
        },
      ],
      // cpu: the init container runs beside the sidecar started before it (200m + 5m)
      // and needs more than compute + sidecar (105m); memory: 2294Mi + 35M.
      requests: { cpu: '205m', memory: '2440433344' },
      limits: {},
    });
  });

  it('limits the pod where every container, init containers too, has a limit', () => {
    const summary = launcherPodSummary(
      launcher([
        {
          ...compute,
          resources: { ...compute.resources, limits: { memory: '2294Mi' } },
        },
      ]),
    );
    // memory: 2294Mi + 60M for compute and sidecar, more than 40M + 60M while the
    // init container runs; cpu: compute has no cpu limit, so the pod has none.
    expect(summary.limits).toEqual({ memory: '2465433344' });
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

  it("shows the pod on the VMI's node while a live migration's source pod still runs", () => {
    const vmi = {
      metadata: { name: 'vm', namespace: 'ns', uid: 'vmi-uid' },
      status: { phase: 'Running', nodeName: 'node-b' },
    } as VirtualMachineInstanceObject;
    const pod = (name: string, nodeName: string): PodObject => ({
      metadata: { name, labels: { 'kubevirt.io/created-by': 'vmi-uid' } },
      spec: { nodeName, containers: [] },
      status: { phase: 'Running' },
    });
    const pods = [pod('source', 'node-a'), pod('target', 'node-b')];
    expect(launcherPodOf(vmi, pods)?.metadata.name).toBe('target');
    // Before the hand-over the VMI is still on the source's node.
    const before = { ...vmi, status: { ...vmi.status, nodeName: 'node-a' } };
    expect(launcherPodOf(before, pods)?.metadata.name).toBe('source');
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

describe('viewDisks', () => {
  const vm = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web-1', namespace: 'team-web' },
    spec: {
      template: {
        spec: {
          domain: {
            devices: {
              disks: [
                { name: 'root', disk: { bus: 'virtio' } },
                { name: 'data2', disk: { bus: 'scsi' } },
              ],
            },
          },
          volumes: [
            { name: 'root', containerDisk: { image: 'fedora' } },
            {
              name: 'data2',
              dataVolume: { name: 'web-1-data2', hotpluggable: true },
            },
          ],
        },
      },
    },
  } as VirtualMachine;
  const dataVolumes = new Map<string, DataVolumeObject>();
  const claims = new Map<string, PersistentVolumeClaimObject>();

  it('says how far a hot-plugged disk is attached to the running VM', () => {
    const vmi = (phase?: string) =>
      ({
        metadata: { name: 'web-1' },
        spec: { domain: {} },
        status: {
          volumeStatus: [
            { name: 'root', phase: 'Ready' },
            ...(phase ? [{ name: 'data2', phase, hotplugVolume: {} }] : []),
          ],
        },
      } as VirtualMachineInstanceObject);
    const hotplug = (v?: VirtualMachineInstanceObject) =>
      viewDisks(vm, dataVolumes, claims, v).map(d => [d.name, d.hotplug]);
    expect(hotplug(vmi())).toEqual([
      ['root', undefined],
      ['data2', 'Not attached'],
    ]);
    expect(hotplug(vmi('AttachedToNode'))).toEqual([
      ['root', undefined],
      ['data2', 'AttachedToNode'],
    ]);
    expect(hotplug(vmi('Ready'))[1]).toEqual(['data2', 'Ready']);
    // A stopped VM attaches the disk at its next start: nothing to say.
    expect(hotplug(undefined)[1]).toEqual(['data2', undefined]);
  });
});
