import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1Node,
} from '@kubernetes/client-node';
import { orNotFound } from './resources';

/** The simulated nodes' names. */
export const NODE_NAMES = ['sim-node-1', 'sim-node-2', 'sim-node-3'];

/** Taints the node lifecycle controller manages from node conditions. */
const CONDITION_TAINTS = new Set([
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.kubernetes.io/memory-pressure',
  'node.kubernetes.io/disk-pressure',
  'node.kubernetes.io/pid-pressure',
]);

/** Kubernetes version the simulated kubelets claim (the control plane's). */
const KUBELET_VERSION = 'v1.37.2';

/**
 * What each simulated node offers. Besides cpu/memory/pods, the resources
 * virt-handler's device plugins advertise (the launcher pod asks for kvm, tun
 * and vhost-net) and some huge pages, so that cx1/m1 instancetypes can run.
 */
export const NODE_CAPACITY: Record<string, string> = {
  cpu: '32',
  memory: '128Gi',
  pods: '250',
  'ephemeral-storage': '500Gi',
  'hugepages-2Mi': '32Gi',
  'hugepages-1Gi': '16Gi',
  'devices.kubevirt.io/kvm': '1k',
  'devices.kubevirt.io/tun': '1k',
  'devices.kubevirt.io/vhost-net': '1k',
};

/** The labels virt-handler's node labeller and the kubelet put on a KVM-capable node. */
function nodeLabels(name: string): Record<string, string> {
  return {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': 'amd64',
    'node-role.kubernetes.io/worker': '',
    'kubevirt.io/schedulable': 'true',
    'kubevirt.io/simulated': 'true',
    cpumanager: 'true',
    'machine-type.node.kubevirt.io/q35': 'true',
    'machine-type.node.kubevirt.io/pc-q35-rhel9.6.0': 'true',
    'cpu-model.node.kubevirt.io/Skylake-Server': 'true',
    'host-model-cpu.node.kubevirt.io/Skylake-Server': 'true',
    'cpu-vendor.node.kubevirt.io/Intel': 'true',
    'kubevirt.io/ksm-enabled': 'false',
  };
}

/**
 * Creates (or refreshes) the simulated nodes: Ready, schedulable, with the
 * capacity the fake scheduler shares out. Node `sim-node-N` owns pod CIDR
 * 10.244.N.0/24, from which the fake kubelet hands out pod IPs.
 */
export async function ensureFakeNodes(core: CoreV1Api): Promise<V1Node[]> {
  const nodes: V1Node[] = [];
  for (const [index, name] of NODE_NAMES.entries()) {
    const labels = nodeLabels(name);
    let node = await orNotFound(core.readNode({ name }));
    if (!node) {
      node = await core.createNode({
        body: {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name, labels },
          spec: {
            podCIDR: `10.244.${index + 1}.0/24`,
            podCIDRs: [`10.244.${index + 1}.0/24`],
          },
        },
      });
    } else {
      node = await core.patchNode(
        { name, body: { metadata: { labels } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
    const heartbeat = new Date();
    const condition = (
      type: string,
      status: string,
      reason: string,
      message: string,
    ) => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: heartbeat,
      lastTransitionTime: heartbeat,
    });
    node.status = {
      capacity: NODE_CAPACITY,
      allocatable: NODE_CAPACITY,
      conditions: [
        condition(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        condition(
          'DiskPressure',
          'False',
          'KubeletHasNoDiskPressure',
          'kubelet has no disk pressure',
        ),
        condition(
          'PIDPressure',
          'False',
          'KubeletHasSufficientPID',
          'kubelet has sufficient PID available',
        ),
        condition(
          'Ready',
          'True',
          'KubeletReady',
          'kubelet is posting ready status',
        ),
      ],
      addresses: [
        { type: 'InternalIP', address: `192.168.122.${11 + index}` },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: `5177c4f2b8f04c3c9d5e0a1b2c3d4e0${index}`,
        systemUUID: `4c4c4544-0042-3510-8051-b3c04f5a0${index}31`,
        bootID: `b1c2d3e4-0000-4000-8000-00000000000${index}`,
        kernelVersion: '5.14.0-570.el9.x86_64',
        osImage: 'CentOS Stream 9',
        containerRuntimeVersion: 'containerd://2.1.4',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    };
    node = await core.replaceNodeStatus({ name, body: node });
    // The NodeRestriction/TaintNodesByCondition admission taints new nodes not-ready; the
    // node lifecycle controller (not run here) lifts it once the node reports Ready.
    const taints = node.spec?.taints ?? [];
    const kept = taints.filter(t => !CONDITION_TAINTS.has(t.key));
    if (kept.length !== taints.length) {
      node = await core.patchNode(
        { name, body: [{ op: 'replace', path: '/spec/taints', value: kept }] },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
    }
    nodes.push(node);
  }
  return nodes;
}
