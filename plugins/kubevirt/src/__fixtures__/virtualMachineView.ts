import type { Entity } from '@backstage/catalog-model';
import {
  availablePowerActions,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import type { KubevirtApi } from '../api/KubevirtApi';

/** A `virtual-machine` Component as the KubeVirt catalog provider writes it. */
export const vmEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'web-frontend-1',
    namespace: 'default',
    annotations: {
      'kubevirt.vmportal.io/cluster': 'east',
      'kubevirt.vmportal.io/namespace': 'team-web',
      'kubevirt.vmportal.io/name': 'web-frontend-1',
    },
  },
  spec: {
    type: 'virtual-machine',
    owner: 'group:default/team-web',
    lifecycle: 'production',
  },
};

const MANIFEST = `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: web-frontend-1
  namespace: team-web
spec:
  runStrategy: Always
  instancetype:
    name: u1.small
`;

/** The backend's view of a VM in `printableStatus`, owned by the signed-in user. */
export function vmView(
  printableStatus = 'Running',
  overrides: Partial<VirtualMachineView> = {},
): VirtualMachineView {
  const running = printableStatus === 'Running' || printableStatus === 'Paused';
  return {
    cluster: 'east',
    namespace: 'team-web',
    name: 'web-frontend-1',
    uid: '5c7e1f4a-0000-4000-8000-000000000001',
    printableStatus,
    ready: printableStatus === 'Running',
    runStrategy: printableStatus === 'Stopped' ? 'Halted' : 'Always',
    conditions: [
      {
        type: 'Ready',
        status: running ? 'True' : 'False',
        reason: running ? undefined : 'VMINotExists',
        message: running ? undefined : 'VMI does not exist',
        lastTransitionTime: '2025-01-01T10:00:00Z',
      },
    ],
    size: {
      instancetype: 'u1.small',
      preference: 'ubuntu',
      vcpus: 1,
      memory: '2Gi',
    },
    guestOS: running
      ? {
          id: 'ubuntu',
          name: 'Ubuntu',
          prettyName: 'Ubuntu 24.04 LTS',
          version: '24.04',
          kernelRelease: '6.8.0-31-generic',
        }
      : undefined,
    node: running ? 'node-a' : undefined,
    startedAt: running ? '2025-01-01T10:00:00Z' : undefined,
    interfaces: [
      {
        name: 'default',
        network: 'pod',
        binding: 'masquerade',
        mac: '02:00:00:aa:bb:01',
        ipAddresses: running ? ['10.244.1.17'] : [],
        interfaceName: running ? 'enp1s0' : undefined,
      },
    ],
    disks: [
      {
        name: 'rootdisk',
        bus: 'virtio',
        type: 'dataVolume',
        source: 'web-frontend-1-root',
        // As a claim reports it: bytes.
        size: '32212254720',
        storageClass: 'standard',
        phase: 'Succeeded',
        progress: '100.0%',
      },
      { name: 'cloudinitdisk', bus: 'virtio', type: 'cloudInitNoCloud' },
    ],
    launcherPod: running
      ? {
          name: 'virt-launcher-web-frontend-1-x7k2p',
          phase: 'Running',
          qosClass: 'Burstable',
          // As KubeVirt renders it: an unlimited compute container beside a sidecar
          // with small limits, so the pod has no limit.
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
          ],
          requests: { cpu: '105m', memory: '2440433344' },
          limits: {},
        }
      : undefined,
    events: [
      {
        type: 'Normal',
        reason: 'SuccessfulCreate',
        message:
          'Started the virtual machine by creating the new virtual machine instance web-frontend-1',
        count: 1,
        lastTimestamp: '2025-01-01T10:00:00Z',
        object: { kind: 'VirtualMachine', name: 'web-frontend-1' },
      },
      {
        type: 'Warning',
        reason: 'FailedScheduling',
        message: '0/3 nodes are available: 3 Insufficient memory.',
        count: 2,
        lastTimestamp: '2025-01-01T09:59:00Z',
        object: { kind: 'Pod', name: 'virt-launcher-web-frontend-1-abcde' },
      },
    ],
    manifest: MANIFEST,
    power: {
      allowed: true,
      available: availablePowerActions(printableStatus),
    },
    ...overrides,
  };
}

/** A KubevirtApi whose every method is a jest mock that fails unless given a value. */
export function mockKubevirtApi(): jest.Mocked<KubevirtApi> {
  function unexpected<K extends keyof KubevirtApi>(name: K) {
    return jest.fn<ReturnType<KubevirtApi[K]>, Parameters<KubevirtApi[K]>>(
      () => Promise.reject(new Error(`unexpected call to ${name}`)) as never,
    );
  }
  return {
    getVirtualMachine: unexpected('getVirtualMachine'),
    powerAction: unexpected('powerAction'),
    getNamespaceQuota: unexpected('getNamespaceQuota'),
    getTeamQuota: unexpected('getTeamQuota'),
    listClusters: unexpected('listClusters'),
    listSizes: unexpected('listSizes'),
    listOwnedNamespaces: unexpected('listOwnedNamespaces'),
    listOsImages: unexpected('listOsImages'),
    planRequest: unexpected('planRequest'),
    planVirtualMachineChange: unexpected('planVirtualMachineChange'),
    listSnapshots: unexpected('listSnapshots'),
    takeSnapshot: unexpected('takeSnapshot'),
    restoreSnapshot: unexpected('restoreSnapshot'),
    deleteSnapshot: unexpected('deleteSnapshot'),
    getMigrationPlan: unexpected('getMigrationPlan'),
    startMigration: unexpected('startMigration'),
    listRequests: unexpected('listRequests'),
    getRequest: unexpected('getRequest'),
    getVirtualMachineStates: unexpected('getVirtualMachineStates'),
    searchVirtualMachineAddresses: unexpected('searchVirtualMachineAddresses'),
    getConsoleConnection: unexpected('getConsoleConnection'),
  };
}
