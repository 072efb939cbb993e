import { createHash } from 'node:crypto';
import {
  CoreV1Api,
  V1Container,
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
} from '@kubernetes/client-node';
import { errorStatus } from '../kubeClient';
import { orNotFound } from './resources';
import type { ReconcileResult } from './WorkQueue';

/** How long the simulated kubelet takes; defaults are short but visible. */
export interface KubeletTiming {
  /** From binding to containers running. Default 300 ms. */
  containerStartMs: number;
  /** From a pod's deletion to its containers having exited. Default 500 ms. */
  shutdownMs: number;
}

const KUBELET_MANAGED = new Set([
  'PodReadyToStartContainers',
  'Initialized',
  'Ready',
  'ContainersReady',
]);

/**
 * Plays the kubelet of the simulated nodes for launcher pods: once a pod is
 * bound it starts its containers (status Running, a pod IP from the node's pod
 * CIDR, container statuses), keeps `Ready` in line with the readiness gates
 * virt-controller sets, and finishes graceful deletions (containers exit, then
 * the pod object is removed with grace period 0, as a real kubelet confirms).
 */
export class FakeKubelet {
  private readonly seen = new Map<string, number>();
  private readonly terminating = new Map<string, number>();
  private readonly reservedIps = new Set<string>();
  private ipLock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly core: CoreV1Api,
    private readonly timing: KubeletTiming,
    private readonly log: (line: string) => void,
  ) {}

  /** Brings the pod's status in line with what a kubelet would report now. */
  async sync(namespace: string, name: string): Promise<ReconcileResult | void> {
    const pod = await orNotFound(
      this.core.readNamespacedPod({ namespace, name }),
    );
    if (!pod) return undefined;
    const uid = pod.metadata!.uid!;
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return undefined;

    if (pod.metadata?.deletionTimestamp) return this.terminate(pod);
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed')
      return undefined;

    if (pod.status?.phase !== 'Running') {
      const since = this.seen.get(uid) ?? Date.now();
      this.seen.set(uid, since);
      const wait = since + this.timing.containerStartMs - Date.now();
      if (wait > 0) return { requeueAfterMs: wait };
    }
    const status = await this.runningStatus(pod, nodeName);
    if (!sameStatus(pod.status, status)) {
      await this.writeStatus(pod, status);
      if (pod.status?.phase !== 'Running') {
        this.log(
          `kubelet ${nodeName}: pod ${namespace}/${name} running with IP ${status.podIP}`,
        );
      }
    }
    this.seen.delete(uid);
    return undefined;
  }

  /**
   * The pod's containers exit on their own (virt-launcher ends after its guest
   * migrated away): phase Succeeded, the pod object stays, as `restartPolicy: Never`
   * leaves it.
   */
  async exit(pod: V1Pod): Promise<void> {
    const current = await orNotFound(
      this.core.readNamespacedPod({
        namespace: pod.metadata!.namespace!,
        name: pod.metadata!.name!,
      }),
    );
    if (!current || current.status?.phase !== 'Running') return;
    await this.writeStatus(current, exitedStatus(current));
    this.log(
      `kubelet ${current.spec!.nodeName}: pod ${current.metadata!.namespace}/${
        current.metadata!.name
      } containers exited`,
    );
  }

  /** Forgets a pod that is gone (frees its reserved IP). */
  forget(pod: V1Pod): void {
    this.seen.delete(pod.metadata?.uid ?? '');
    this.terminating.delete(pod.metadata?.uid ?? '');
    if (pod.status?.podIP) this.reservedIps.delete(pod.status.podIP);
  }

  private async terminate(pod: V1Pod): Promise<ReconcileResult | void> {
    const uid = pod.metadata!.uid!;
    const namespace = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const since = this.terminating.get(uid) ?? Date.now();
    this.terminating.set(uid, since);
    const exited =
      pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (!exited && pod.status?.phase === 'Running') {
      const wait = since + this.timing.shutdownMs - Date.now();
      if (wait > 0) return { requeueAfterMs: wait };
      await this.writeStatus(pod, exitedStatus(pod));
      this.log(
        `kubelet ${
          pod.spec!.nodeName
        }: pod ${namespace}/${name} containers exited`,
      );
      // Delete on the next round, so watchers see the pod's final status first.
      return { requeueAfterMs: 50 };
    }
    try {
      await this.core.deleteNamespacedPod({
        namespace,
        name,
        // With a body, the apiserver ignores query parameters: the grace period goes in it.
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
      this.log(
        `kubelet ${pod.spec!.nodeName}: pod ${namespace}/${name} deleted`,
      );
    } catch (error) {
      if (errorStatus(error) !== 404 && errorStatus(error) !== 409) throw error;
    }
    this.forget(pod);
    return undefined;
  }

  private async writeStatus(pod: V1Pod, status: V1PodStatus) {
    // A conflict (virt-controller set the readiness gate meanwhile) is retried by the queue.
    await this.core.replaceNamespacedPodStatus({
      namespace: pod.metadata!.namespace!,
      name: pod.metadata!.name!,
      body: { ...pod, status },
    });
  }

  private async runningStatus(
    pod: V1Pod,
    nodeName: string,
  ): Promise<V1PodStatus> {
    const node = await this.core.readNode({ name: nodeName });
    const hostIP =
      node.status?.addresses?.find(a => a.type === 'InternalIP')?.address ??
      '192.168.122.10';
    const podIP =
      pod.status?.podIP ??
      (await this.allocateIp(nodeName, node.spec?.podCIDR));
    const startedAt = pod.status?.startTime ?? new Date();

    const gates = (pod.spec?.readinessGates ?? []).map(
      gate => gate.conditionType,
    );
    const conditions = pod.status?.conditions ?? [];
    let gateProblem: string | undefined;
    for (const gate of gates) {
      const condition = conditions.find(c => c.type === gate);
      if (!condition) {
        gateProblem = `corresponding condition of pod readiness gate "${gate}" does not exist.`;
      } else if (condition.status !== 'True') {
        gateProblem = `the status of pod readiness gate "${gate}" is not "True", but ${condition.status}`;
      }
      if (gateProblem) break;
    }
    const managed: V1PodCondition[] = [
      { type: 'PodReadyToStartContainers', status: 'True' },
      { type: 'Initialized', status: 'True' },
      gateProblem
        ? {
            type: 'Ready',
            status: 'False',
            reason: 'ReadinessGatesNotReady',
            message: gateProblem,
          }
        : { type: 'Ready', status: 'True' },
      { type: 'ContainersReady', status: 'True' },
    ];
    return {
      ...pod.status,
      phase: 'Running',
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: startedAt,
      conditions: mergeConditions(conditions, managed),
      // Sidecars (restartable init containers) keep running; the others have completed.
      initContainerStatuses: (pod.spec?.initContainers ?? []).map(c =>
        containerStatus(pod, c, startedAt, c.restartPolicy === 'Always'),
      ),
      containerStatuses: pod.spec!.containers.map(c =>
        containerStatus(pod, c, startedAt, true),
      ),
    };
  }

  /** The lowest free address of the node's /24, serialised so two pods never share one. */
  private allocateIp(
    nodeName: string,
    podCIDR: string | undefined,
  ): Promise<string> {
    const allocate = async () => {
      const prefix = (podCIDR ?? '10.244.0.0/24').replace(/\.\d+\/\d+$/, '');
      const pods = await this.core.listPodForAllNamespaces({
        fieldSelector: `spec.nodeName=${nodeName}`,
      });
      const used = new Set(
        pods.items.map(p => p.status?.podIP).filter(Boolean),
      );
      for (let host = 2; host < 255; host++) {
        const ip = `${prefix}.${host}`;
        if (!used.has(ip) && !this.reservedIps.has(ip)) {
          this.reservedIps.add(ip);
          return ip;
        }
      }
      throw new Error(`node ${nodeName} has no free pod IP left in ${podCIDR}`);
    };
    const result = this.ipLock.then(allocate);
    this.ipLock = result.catch(() => undefined);
    return result;
  }
}

function mergeConditions(
  existing: V1PodCondition[],
  managed: V1PodCondition[],
): V1PodCondition[] {
  const now = new Date();
  const kept = existing.filter(c => !KUBELET_MANAGED.has(c.type));
  const updated = managed.map(condition => {
    const previous = existing.find(c => c.type === condition.type);
    const unchanged =
      previous?.status === condition.status &&
      (previous?.reason ?? '') === (condition.reason ?? '');
    return {
      ...condition,
      lastProbeTime: undefined,
      lastTransitionTime: unchanged ? previous!.lastTransitionTime : now,
    };
  });
  return [...kept, ...updated];
}

function containerIds(pod: V1Pod, container: V1Container) {
  const hash = (text: string) =>
    createHash('sha256').update(text).digest('hex');
  const image = container.image ?? '';
  return {
    image,
    imageID: `${image.split('@')[0].replace(/:[^/:]+$/, '')}@sha256:${hash(
      image,
    )}`,
    containerID: `containerd://${hash(
      `${pod.metadata!.uid}/${container.name}`,
    )}`,
  };
}

/** A container started at `startedAt`, still running or (`running` false) exited 0 at once. */
function containerStatus(
  pod: V1Pod,
  container: V1Container,
  startedAt: Date,
  running: boolean,
): V1ContainerStatus {
  return {
    name: container.name,
    ...containerIds(pod, container),
    ready: true,
    started: running,
    restartCount: 0,
    state: running
      ? { running: { startedAt } }
      : {
          terminated: {
            exitCode: 0,
            reason: 'Completed',
            startedAt,
            finishedAt: startedAt,
          },
        },
  };
}

function exitedStatus(pod: V1Pod): V1PodStatus {
  const finishedAt = new Date();
  const exit = (s: V1ContainerStatus): V1ContainerStatus => ({
    ...s,
    ready: false,
    started: false,
    state: {
      terminated: {
        exitCode: 0,
        reason: 'Completed',
        startedAt:
          s.state?.running?.startedAt ??
          s.state?.terminated?.startedAt ??
          finishedAt,
        finishedAt: s.state?.terminated?.finishedAt ?? finishedAt,
        containerID: s.containerID,
      },
    },
  });
  const conditions = (pod.status?.conditions ?? []).map(c => {
    if (c.type === 'Ready' || c.type === 'ContainersReady') {
      return {
        ...c,
        status: 'False',
        reason: 'PodCompleted',
        message: undefined,
        lastTransitionTime: finishedAt,
      };
    }
    if (c.type === 'PodReadyToStartContainers')
      return { ...c, status: 'False', lastTransitionTime: finishedAt };
    return c;
  });
  return {
    ...pod.status,
    phase: 'Succeeded',
    conditions,
    initContainerStatuses: pod.status?.initContainerStatuses?.map(exit),
    containerStatuses: pod.status?.containerStatuses?.map(exit),
  };
}

/** Whether two statuses say the same, ignoring timestamps. */
function sameStatus(a: V1PodStatus | undefined, b: V1PodStatus): boolean {
  const strip = (status: V1PodStatus | undefined) =>
    JSON.stringify({
      phase: status?.phase,
      podIP: status?.podIP,
      conditions: (status?.conditions ?? [])
        .map(c => `${c.type}=${c.status}/${c.reason ?? ''}`)
        .sort(),
      containers: (status?.containerStatuses ?? []).map(
        c => `${c.name}:${c.ready}`,
      ),
      init: (status?.initContainerStatuses ?? []).map(
        c => `${c.name}:${c.ready}`,
      ),
    });
  return strip(a) === strip(b);
}
