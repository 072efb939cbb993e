import {
  CoreV1Api,
  V1Node,
  V1NodeSelectorRequirement,
  V1NodeSelectorTerm,
  V1Pod,
  V1PodSpec,
} from '@kubernetes/client-node';
import {
  applyPodApiDefaults,
  parseResourceList,
  podContainerResources,
  podResourceTotals,
  Quantity,
  ResourceQuantities,
} from '@vmportal/plugin-kubevirt-common';
import { EventRecorder } from './EventRecorder';
import { orNotFound } from './resources';
import type { ReconcileResult } from './WorkQueue';

/** How often an unschedulable pod is tried again without any other trigger. */
const UNSCHEDULABLE_RETRY_MS = 10_000;

/**
 * Plays kube-scheduler for launcher pods (except those behind a scheduling gate):
 * filters nodes by node selector,
 * required node affinity, taints and free allocatable resources (allocatable
 * minus the requests of the pods already bound there), binds the pod to the
 * least loaded node through `pods/binding`, or marks it `PodScheduled=False`
 * reason `Unschedulable` with the scheduler's kind of message.
 */
export class FakeScheduler {
  /** Scheduling is serial, as in kube-scheduler, so two pods never take the same free room. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly core: CoreV1Api,
    private readonly events: EventRecorder,
    private readonly log: (line: string) => void,
  ) {}

  /** Schedules the pod if it still needs a node. */
  schedule(namespace: string, name: string): Promise<ReconcileResult | void> {
    const run = this.queue.then(() => this.scheduleNow(namespace, name));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async scheduleNow(
    namespace: string,
    name: string,
  ): Promise<ReconcileResult | void> {
    const pod = await orNotFound(
      this.core.readNamespacedPod({ namespace, name }),
    );
    if (!pod || pod.spec?.nodeName || pod.metadata?.deletionTimestamp)
      return undefined;
    // A gated pod waits, unscheduled, until whoever gated it lifts its gates.
    if ((pod.spec?.schedulingGates?.length ?? 0) > 0) return undefined;
    if (
      pod.spec?.schedulerName &&
      pod.spec.schedulerName !== 'default-scheduler'
    )
      return undefined;

    const [nodes, bound] = await Promise.all([
      this.core.listNode(),
      this.core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName!=' }),
    ]);
    const requests = podRequests(pod.spec!);
    const failures = new Map<string, number>();
    const fail = (reason: string) =>
      failures.set(reason, (failures.get(reason) ?? 0) + 1);
    let best: { node: V1Node; score: number } | undefined;

    for (const node of nodes.items) {
      const reason =
        this.misfit(pod, node) ??
        antiAffinityMisfit(pod, node, nodes.items, bound.items);
      if (reason) {
        fail(reason);
        continue;
      }
      const nodeName = node.metadata!.name!;
      let pods = 0;
      const used: ResourceQuantities = {};
      for (const other of bound.items) {
        if (other.spec?.nodeName !== nodeName) continue;
        if (
          other.status?.phase === 'Succeeded' ||
          other.status?.phase === 'Failed'
        )
          continue;
        pods++;
        addInto(used, podRequests(other.spec!));
      }
      const allocatable = parseResourceList(node.status?.allocatable);
      const allocatableOf = (resource: string) =>
        allocatable[resource] ?? Quantity.ZERO;
      const usedOf = (resource: string) => used[resource] ?? Quantity.ZERO;
      const insufficient: string[] = [];
      if (Quantity.fromUnits(pods + 1).cmp(allocatableOf('pods')) > 0)
        insufficient.push('Too many pods');
      for (const [resource, request] of Object.entries(requests)) {
        if (request.isZero()) continue;
        const free = allocatableOf(resource).sub(usedOf(resource));
        if (request.cmp(free) > 0)
          insufficient.push(`Insufficient ${resource}`);
      }
      if (insufficient.length > 0) {
        insufficient.forEach(fail);
        continue;
      }
      // Least allocated, as kube-scheduler's default scoring prefers. Only a ranking:
      // floating point is fine here, unlike in the fit check above.
      const share = (resource: string) => {
        const after = usedOf(resource).add(requests[resource] ?? Quantity.ZERO);
        const capacity = allocatableOf(resource);
        return capacity.isZero() ? 0 : after.toNumber() / capacity.toNumber();
      };
      const score = share('cpu') + share('memory');
      if (!best || score < best.score) best = { node, score };
    }

    if (best) {
      const nodeName = best.node.metadata!.name!;
      await this.core.createNamespacedPodBinding({
        name,
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        },
      });
      this.log(`scheduler: bound pod ${namespace}/${name} to ${nodeName}`);
      await this.events.record(
        podSubject(pod),
        'Normal',
        'Scheduled',
        `Successfully assigned ${namespace}/${name} to ${nodeName}`,
        { component: 'default-scheduler' },
      );
      return undefined;
    }

    const message = unschedulableMessage(nodes.items.length, failures);
    await this.markUnschedulable(pod, message);
    return { requeueAfterMs: UNSCHEDULABLE_RETRY_MS };
  }

  /** Why `pod` cannot go to `node` at all, whatever the resources; undefined if it can. */
  private misfit(pod: V1Pod, node: V1Node): string | undefined {
    const ready =
      node.status?.conditions?.find(c => c.type === 'Ready')?.status === 'True';
    if (!ready)
      return 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }';
    if (node.spec?.unschedulable) return 'node(s) were unschedulable';
    for (const taint of node.spec?.taints ?? []) {
      if (taint.effect === 'PreferNoSchedule') continue;
      const tolerated = (pod.spec?.tolerations ?? []).some(
        t =>
          (!t.effect || t.effect === taint.effect) &&
          (t.operator === 'Exists'
            ? !t.key || t.key === taint.key
            : t.key === taint.key && (t.value ?? '') === (taint.value ?? '')),
      );
      if (!tolerated)
        return `node(s) had untolerated taint {${taint.key}: ${
          taint.value ?? ''
        }}`;
    }
    const labels = node.metadata?.labels ?? {};
    const selector = pod.spec?.nodeSelector ?? {};
    const selectorMatches = Object.entries(selector).every(
      ([key, value]) => labels[key] === value,
    );
    const terms =
      pod.spec?.affinity?.nodeAffinity
        ?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    const affinityMatches =
      !terms || terms.some(term => termMatches(term, labels));
    if (!selectorMatches || !affinityMatches)
      return "node(s) didn't match Pod's node affinity/selector";
    return undefined;
  }

  private async markUnschedulable(pod: V1Pod, message: string) {
    const existing = pod.status?.conditions?.find(
      c => c.type === 'PodScheduled',
    );
    if (
      existing?.status === 'False' &&
      existing.reason === 'Unschedulable' &&
      existing.message === message
    )
      return;
    const conditions = (pod.status?.conditions ?? []).filter(
      c => c.type !== 'PodScheduled',
    );
    conditions.push({
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastTransitionTime: new Date(),
      lastProbeTime: undefined,
    });
    await this.core.replaceNamespacedPodStatus({
      namespace: pod.metadata!.namespace!,
      name: pod.metadata!.name!,
      body: { ...pod, status: { ...pod.status, phase: 'Pending', conditions } },
    });
    this.log(
      `scheduler: pod ${pod.metadata!.namespace}/${
        pod.metadata!.name
      } is unschedulable: ${message}`,
    );
    await this.events.record(
      podSubject(pod),
      'Warning',
      'FailedScheduling',
      message,
      {
        component: 'default-scheduler',
      },
    );
  }
}

function addInto(target: ResourceQuantities, source: ResourceQuantities) {
  for (const [name, amount] of Object.entries(source)) {
    target[name] = target[name] ? target[name].add(amount) : amount;
  }
}

/**
 * What a pod asks of a node, as kube-scheduler and the ResourceQuota admission count
 * it: kubevirt-common's `podResourceTotals` of its containers (restartable init
 * containers as sidecars, in pod order), after the apiserver's defaulting (a request
 * left unset takes the limit), plus the pod overhead.
 */
export function podRequests(spec: V1PodSpec): ResourceQuantities {
  const containers = applyPodApiDefaults(podContainerResources(spec));
  const { requests } = podResourceTotals(containers);
  addInto(requests, parseResourceList(spec.overhead));
  return requests;
}

/**
 * The required pod anti-affinity terms (`InterPodAffinity`'s filter): `pod` may not
 * go where a running pod of its namespace matches a term's label selector in the
 * term's topology domain (the hostname here, as for KubeVirt's migration targets).
 */
function antiAffinityMisfit(
  pod: V1Pod,
  node: V1Node,
  nodes: V1Node[],
  bound: V1Pod[],
): string | undefined {
  const terms =
    pod.spec?.affinity?.podAntiAffinity
      ?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const labelsOf = (name: string | undefined) =>
    nodes.find(n => n.metadata?.name === name)?.metadata?.labels ?? {};
  for (const term of terms) {
    const domain = node.metadata?.labels?.[term.topologyKey];
    if (domain === undefined) continue;
    const namespaces = term.namespaces?.length
      ? term.namespaces
      : [pod.metadata?.namespace];
    const clash = bound.some(other => {
      if (
        other.status?.phase === 'Succeeded' ||
        other.status?.phase === 'Failed'
      )
        return false;
      if (!namespaces.includes(other.metadata?.namespace)) return false;
      if (labelsOf(other.spec?.nodeName)[term.topologyKey] !== domain)
        return false;
      const labels = other.metadata?.labels ?? {};
      const selector = term.labelSelector ?? {};
      return (
        Object.entries(selector.matchLabels ?? {}).every(
          ([key, value]) => labels[key] === value,
        ) &&
        (selector.matchExpressions ?? []).every(requirement =>
          requirementMatches(requirement, labels),
        )
      );
    });
    if (clash) return "node(s) didn't match pod anti-affinity rules";
  }
  return undefined;
}

function podSubject(pod: V1Pod) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata! };
}

function requirementMatches(
  requirement: V1NodeSelectorRequirement,
  labels: Record<string, string>,
): boolean {
  const value = labels[requirement.key];
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

function termMatches(
  term: V1NodeSelectorTerm,
  labels: Record<string, string>,
): boolean {
  const expressions = term.matchExpressions ?? [];
  if (expressions.length === 0 && (term.matchFields ?? []).length === 0)
    return false;
  return expressions.every(requirement =>
    requirementMatches(requirement, labels),
  );
}

/**
 * kube-scheduler's FitError message, e.g. "0/3 nodes are available: 3
 * Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption
 * victims found for incoming pod."
 */
export function unschedulableMessage(
  nodeCount: number,
  failures: Map<string, number>,
): string {
  const reasons = [...failures.entries()]
    .map(([reason, count]) => `${count} ${reason}`)
    .sort();
  const resourceShort = [...failures.keys()].some(
    r => r.startsWith('Insufficient') || r === 'Too many pods',
  );
  const preemption = resourceShort
    ? `${nodeCount} No preemption victims found for incoming pod`
    : `${nodeCount} Preemption is not helpful for scheduling`;
  return `0/${nodeCount} nodes are available: ${reasons.join(
    ', ',
  )}. preemption: 0/${nodeCount} nodes are available: ${preemption}.`;
}
