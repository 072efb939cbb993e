import {
  formatQuantityForHumans,
  MigrationStatus,
  MigrationTargetNode,
  NodeObject,
  parseResourceList,
  PodObject,
  podContainerResources,
  podQuotaUsage,
  podResourceTotals,
  Quantity,
  ResourceQuotaLike,
  VirtualMachineInstanceMigrationObject,
  VirtualMachineInstanceObject,
  VirtualMachineMigrationPlan,
} from '@vmportal/plugin-kubevirt-common';
import { quotaShortfalls } from './launcherPodQuotaShortfalls';

/** What the migration plan reads of the cluster. */
export interface MigrationPlanInput {
  vmi: VirtualMachineInstanceObject | undefined;
  /** The VMI's running launcher pod: the target pod asks for what it asks for. */
  launcherPod: PodObject | undefined;
  /** The namespace's ResourceQuotas, with their status (used). */
  quotas: ResourceQuotaLike[];
  /** Every node, with the pods scheduled on it that have not ended. */
  nodes: Array<{ node: NodeObject; pods: PodObject[] }>;
  /** The namespace's migrations of this VMI, any age. */
  migrations: VirtualMachineInstanceMigrationObject[];
}

/** Migration phases after which nothing more happens. */
const ENDED = new Set(['Succeeded', 'Failed']);
/** The node label virt-handler sets on nodes that can run VMs. */
const SCHEDULABLE_LABEL = 'kubevirt.io/schedulable';

const f = (resource: string, quantity: Quantity) =>
  formatQuantityForHumans(resource, quantity);

function requestsOf(pod: PodObject) {
  return podResourceTotals(podContainerResources(pod.spec)).requests;
}

/** The latest migration of the VMI, in the words of its status. */
export function migrationStatus(
  migration: VirtualMachineInstanceMigrationObject,
  vmi?: VirtualMachineInstanceObject,
): MigrationStatus {
  // The VMI carries its latest migration's state; the migration object may not yet.
  const onVmi = vmi?.status?.migrationState;
  const state =
    migration.status?.migrationState ??
    (onVmi?.migrationUid && onVmi.migrationUid === migration.metadata.uid
      ? onVmi
      : undefined);
  const waiting = migration.status?.conditions?.find(
    c => c.status === 'True' && c.message,
  );
  const reason = state?.failureReason ?? waiting?.message;
  return {
    name: migration.metadata.name ?? '',
    phase: migration.status?.phase ?? 'Pending',
    ...(state?.sourceNode && { sourceNode: state.sourceNode }),
    ...(state?.targetNode && { targetNode: state.targetNode }),
    ...(reason && { reason }),
    ...(state?.startTimestamp && { startedAt: state.startTimestamp }),
    ...(state?.endTimestamp && { endedAt: state.endTimestamp }),
  };
}

/**
 * Whether the VM can be live-migrated now, and why not: KubeVirt's own verdict
 * (the VMI's `LiveMigratable` condition), a migration already under way, the
 * namespace's ResourceQuotas against a second launcher pod like the running one (the
 * target pod counts while the source still runs: a full quota leaves the migration
 * Pending, KubeVirt's `migrationRejectedByResourceQuota`), and each other
 * schedulable node's room for that pod (allocatable minus its pods' requests, as the
 * scheduler counts). Node selectors, affinity and taints beyond `NoSchedule` are not
 * weighed: a node this says fits may still be refused by them.
 */
export function planMigration(
  input: MigrationPlanInput,
): VirtualMachineMigrationPlan {
  const { vmi, launcherPod } = input;
  const problems: string[] = [];
  const latestMigration = [...input.migrations].sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(
      a.metadata.creationTimestamp ?? '',
    ),
  )[0];
  const latest = latestMigration
    ? migrationStatus(latestMigration, vmi)
    : undefined;
  const currentNode = vmi?.status?.nodeName;
  const plan = (
    rest: Partial<VirtualMachineMigrationPlan>,
  ): VirtualMachineMigrationPlan => ({
    fits: problems.length === 0,
    problems,
    quotaShortfalls: [],
    nodes: [],
    ...(currentNode && { currentNode }),
    ...(latest && { latest }),
    ...rest,
  });

  if (!vmi || vmi.status?.phase !== 'Running' || !launcherPod) {
    problems.push(
      'The VM is not running: only a running VM is live-migrated. Start it first, or let it start on any node.',
    );
    return plan({});
  }
  const migratable = vmi.status?.conditions?.find(
    c => c.type === 'LiveMigratable',
  );
  if (migratable?.status === 'False') {
    problems.push(
      `KubeVirt cannot live-migrate this VM (${
        migratable.reason ?? 'LiveMigratable is False'
      }${migratable.message ? `: ${migratable.message}` : ''}).`,
    );
  }
  if (latest && !ENDED.has(latest.phase)) {
    problems.push(
      `A migration (${latest.name}) is already ${latest.phase}${
        latest.reason ? `: ${latest.reason}` : ''
      }. Wait for it to end.`,
    );
  }

  const requests = requestsOf(launcherPod);
  const cpu = requests.cpu ?? Quantity.ZERO;
  const memory = requests.memory ?? Quantity.ZERO;
  const usage = podQuotaUsage(
    podResourceTotals(podContainerResources(launcherPod.spec)),
  );

  const shortfalls = input.quotas.flatMap(quota =>
    quotaShortfalls(quota, usage),
  );
  for (const shortfall of shortfalls) {
    const { quota, resource } = shortfall;
    problems.push(
      `ResourceQuota ${quota}: the target launcher pod needs ${f(
        resource,
        Quantity.parse(shortfall.needs),
      )} of ${resource} while the running one keeps its own, and ${f(
        resource,
        Quantity.parse(shortfall.free),
      )} is free (short by ${f(
        resource,
        Quantity.parse(shortfall.short),
      )}). KubeVirt would leave the migration Pending: free quota in the namespace or ask its owners for more.`,
    );
  }

  const nodes: MigrationTargetNode[] = input.nodes
    .filter(({ node }) => node.metadata.name !== currentNode)
    .map(({ node, pods }) => nodeRoom(node, pods, cpu, memory))
    .sort(
      (a, b) =>
        Number(b.fits) - Number(a.fits) ||
        Quantity.parse(b.memoryFree).cmp(Quantity.parse(a.memoryFree)),
    );
  if (!nodes.some(n => n.fits)) {
    problems.push(
      nodes.length === 0
        ? 'There is no other node to move the VM to.'
        : `No other node has room for the target launcher pod (${f(
            'cpu',
            cpu,
          )} CPU, ${f('memory', memory)} memory): ${nodes
            .map(n => `${n.name}: ${n.reason}`)
            .join('; ')}.`,
    );
  }
  return plan({
    targetPod: { cpu: cpu.toString(), memory: memory.toString() },
    quotaShortfalls: shortfalls,
    nodes,
  });
}

function nodeRoom(
  node: NodeObject,
  pods: PodObject[],
  cpu: Quantity,
  memory: Quantity,
): MigrationTargetNode {
  const name = node.metadata.name ?? '';
  const allocatable = parseResourceList(node.status?.allocatable);
  let cpuFree = allocatable.cpu ?? Quantity.ZERO;
  let memoryFree = allocatable.memory ?? Quantity.ZERO;
  for (const pod of pods) {
    const requested = requestsOf(pod);
    if (requested.cpu) cpuFree = cpuFree.sub(requested.cpu);
    if (requested.memory) memoryFree = memoryFree.sub(requested.memory);
  }
  const room = {
    name,
    cpuFree: cpuFree.toString(),
    memoryFree: memoryFree.toString(),
  };
  const ready = node.status?.conditions?.find(c => c.type === 'Ready');
  let reason: string | undefined;
  if (ready?.status !== 'True') reason = 'not Ready';
  else if (node.spec?.unschedulable) reason = 'cordoned (unschedulable)';
  else if (node.metadata.labels?.[SCHEDULABLE_LABEL] !== 'true') {
    reason = `not labelled ${SCHEDULABLE_LABEL}=true by KubeVirt`;
  } else if (node.spec?.taints?.some(t => t.effect === 'NoSchedule')) {
    reason = 'tainted NoSchedule';
  } else if (cpuFree.cmp(cpu) < 0) {
    reason = `${f('cpu', cpuFree)} CPU free of ${f('cpu', cpu)} needed`;
  } else if (memoryFree.cmp(memory) < 0) {
    reason = `${f('memory', memoryFree)} memory free of ${f(
      'memory',
      memory,
    )} needed`;
  }
  return reason ? { ...room, fits: false, reason } : { ...room, fits: true };
}
