import {
  DataVolumeObject,
  DiagnosisEvidence,
  formatQuantityForHumans,
  KubevirtCondition,
  PersistentVolumeClaimObject,
  podContainerResources,
  PodObject,
  podResourceTotals,
  Quantity,
  QuotaShortfall,
  VirtualMachine,
  VirtualMachineDiagnosis,
  VirtualMachineInstanceObject,
} from '@vmportal/plugin-kubevirt-common';
import { parseQuotaRefusal, QuotaRefusal } from './launcherPodQuotaShortfalls';
import { redactUrlPassword } from './redactVirtualMachine';

/**
 * What {@link diagnoseVirtualMachine} reads: the VM and what belongs to it, as the VM
 * page read them, and what the page reads only when the evidence asks for it.
 *
 * @internal
 */
export interface VirtualMachineFacts {
  cluster: string;
  vm: VirtualMachine;
  vmi?: VirtualMachineInstanceObject;
  launcherPod?: PodObject;
  /** The DataVolumes of the VM's volumes, by name. */
  dataVolumes: ReadonlyMap<string, DataVolumeObject>;
  /** The claims of the VM's volumes (persistentVolumeClaim and dataVolume), by name. */
  claims: ReadonlyMap<string, PersistentVolumeClaimObject>;
  /**
   * For a launcher pod refused by a ResourceQuota: the quota plan's arithmetic of it
   * against that quota (see `launcherPodQuotaShortfalls`). Without it, the diagnosis
   * gives the apiserver's own figures.
   */
  quotaShortfalls?: QuotaShortfall[];
  /** The cluster's StorageClasses, by name, when a DataVolume waits for one. */
  storageClasses?: string[];
}

/** What the diagnosis needs read beyond the VM page's own reads. */
export type DiagnosisRead =
  | { read: 'quota'; quota: string }
  | { read: 'storageClasses' };

function findCondition(
  conditions: KubevirtCondition[] | undefined,
  type: string,
): KubevirtCondition | undefined {
  return conditions?.find(c => c.type === type);
}

function conditionEvidence(
  object: { kind: string; name: string },
  condition: KubevirtCondition,
): DiagnosisEvidence {
  return {
    object,
    what: 'condition',
    name: condition.type,
    ...(condition.reason && { reason: condition.reason }),
    ...(condition.message && { message: condition.message }),
  };
}

/** A quantity of a quota resource as people read it (`4.3 GiB`, `0.105 CPU`). */
function human(resource: string, quantity: string, roundUp = false): string {
  const parsed = Quantity.tryParse(quantity);
  return parsed ? formatQuantityForHumans(resource, parsed, roundUp) : quantity;
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The DataVolumes the VM's volumes name, in volume order. */
function templateDataVolumes(facts: VirtualMachineFacts): DataVolumeObject[] {
  return (facts.vm.spec.template?.spec?.volumes ?? []).flatMap(volume => {
    const dv =
      volume.dataVolume && facts.dataVolumes.get(volume.dataVolume.name);
    return dv ? [dv] : [];
  });
}

function dataVolumeObject(dv: DataVolumeObject) {
  return { kind: 'DataVolume', name: dv.metadata.name };
}

/** Where a DataVolume copies its disk from, for people. */
function dataVolumeSource(dv: DataVolumeObject): {
  verb: 'import' | 'clone' | 'upload';
  from: string;
} {
  const source = dv.spec.source;
  if (source?.upload) return { verb: 'upload', from: 'an upload' };
  if (source?.blank) return { verb: 'import', from: 'a blank image' };
  if (source?.http)
    return { verb: 'import', from: redactUrlPassword(source.http.url) };
  if (source?.registry)
    return {
      verb: 'import',
      from: source.registry.url ?? source.registry.imageStream ?? 'a registry',
    };
  if (source?.pvc)
    return {
      verb: 'clone',
      from: `claim ${source.pvc.namespace}/${source.pvc.name}`,
    };
  if (source?.snapshot)
    return {
      verb: 'clone',
      from: `snapshot ${source.snapshot.namespace}/${source.snapshot.name}`,
    };
  if (dv.spec.sourceRef)
    return { verb: 'clone', from: `golden image ${dv.spec.sourceRef.name}` };
  return { verb: 'import', from: 'its source' };
}

function paused(
  facts: VirtualMachineFacts,
): VirtualMachineDiagnosis | undefined {
  const { vm } = facts;
  if (vm.status?.printableStatus !== 'Paused') return undefined;
  const onVm = findCondition(vm.status.conditions, 'Paused');
  const condition =
    onVm ?? findCondition(facts.vmi?.status?.conditions, 'Paused');
  const since = condition?.lastTransitionTime
    ? ` since ${condition.lastTransitionTime}`
    : '';
  return {
    cause: 'paused',
    title: 'The VM is paused',
    detail: `The guest of ${vm.metadata.name} is paused${since}: its vCPUs do not run and it does not answer on the network, but it keeps its memory and its launcher pod, which still count against the namespace's quota.`,
    fix: 'Unpause it to let it run again, or stop it to free its share of the quota.',
    evidence: condition
      ? conditionEvidence(
          {
            kind: onVm ? 'VirtualMachine' : 'VirtualMachineInstance',
            name: vm.metadata.name,
          },
          condition,
        )
      : {
          object: { kind: 'VirtualMachine', name: vm.metadata.name },
          what: 'status',
          name: 'printableStatus',
          message: 'Paused',
        },
  };
}

function missingSize(
  facts: VirtualMachineFacts,
): VirtualMachineDiagnosis | undefined {
  const { vm, cluster } = facts;
  const failure = findCondition(vm.status?.conditions, 'Failure');
  if (failure?.status !== 'True') return undefined;
  const what =
    (failure.reason === 'FailedFindInstancetype' && 'instancetype') ||
    (failure.reason === 'FailedFindPreference' && 'preference') ||
    undefined;
  const ref = what && vm.spec[what];
  if (!what || !ref) return undefined;
  const namespace = vm.metadata.namespace ?? '';
  const namespaced = (ref.kind ?? '')
    .toLowerCase()
    .startsWith(`virtualmachine${what}`);
  const kind = namespaced
    ? `VirtualMachine${what === 'instancetype' ? 'Instancetype' : 'Preference'}`
    : `VirtualMachineCluster${
        what === 'instancetype' ? 'Instancetype' : 'Preference'
      }`;
  const where = namespaced
    ? `in namespace ${namespace}`
    : `on cluster ${cluster}`;
  const ask = namespaced
    ? `Create ${what} ${ref.name} in ${namespace}`
    : `Ask the platform team to create cluster ${what} ${ref.name}`;
  const instead =
    what === 'instancetype'
      ? 'resize the VM to an instancetype the cluster offers'
      : 'change the VM to a preference the cluster has, or to none';
  return {
    cause:
      what === 'instancetype' ? 'missing-instancetype' : 'missing-preference',
    title: `The VM's ${what} does not exist`,
    detail: `${vm.metadata.name} names ${kind} ${ref.name}, which does not exist ${where}; KubeVirt creates nothing for the VM until it does.`,
    fix: `${ask}, or ${instead}; KubeVirt carries on by itself once the VM names one that exists.`,
    evidence: conditionEvidence(
      { kind: 'VirtualMachine', name: vm.metadata.name },
      failure,
    ),
  };
}

function importFailed(
  facts: VirtualMachineFacts,
): VirtualMachineDiagnosis | undefined {
  for (const dv of templateDataVolumes(facts)) {
    const running = findCondition(dv.status?.conditions, 'Running');
    const erring =
      running?.status === 'False' &&
      (running.reason === 'Error' || running.reason === 'ImagePullFailed');
    const failed = dv.status?.phase === 'Failed';
    if (!erring && !failed) continue;
    const { verb, from } = dataVolumeSource(dv);
    const restarts = dv.status?.restartCount ?? 0;
    const tries = restarts > 0 ? ` CDI has tried ${restarts + 1} times.` : '';
    const why = running?.message || `its DataVolume is ${dv.status?.phase}`;
    const check =
      verb === 'import'
        ? `Check that ${from} is right and reachable from the cluster (and, for a registry, that its credentials are)`
        : `Check that the ${from} exists and that the namespace may clone it`;
    return {
      cause: 'import-failed',
      title: `A disk of the VM cannot be ${
        verb === 'clone' ? 'cloned' : 'imported'
      }`,
      detail: `DataVolume ${dv.metadata.name} cannot ${verb} from ${from}: ${why}.${tries}`,
      fix: failed
        ? `${check}, then have the disk recreated from a working source (CDI has given up on this one).`
        : `${check}; CDI keeps retrying, so the VM starts once the ${verb} succeeds. If the source is wrong, have the disk changed to a working one.`,
      evidence: running
        ? conditionEvidence(dataVolumeObject(dv), running)
        : {
            object: dataVolumeObject(dv),
            what: 'status',
            name: 'phase',
            message: dv.status?.phase,
          },
    };
  }
  return undefined;
}

function storageClassOf(dv: DataVolumeObject): string | undefined {
  return dv.spec.storage?.storageClassName ?? dv.spec.pvc?.storageClassName;
}

/** A DataVolume CDI cannot make a claim for because its StorageClass is missing. */
function waitingForStorageClass(
  facts: VirtualMachineFacts,
): { dv: DataVolumeObject; bound: KubevirtCondition } | undefined {
  for (const dv of templateDataVolumes(facts)) {
    const bound = findCondition(dv.status?.conditions, 'Bound');
    if (
      bound?.status !== 'True' &&
      bound?.reason === 'ErrClaimNotValid' &&
      /storageClass/i.test(bound.message ?? '')
    )
      return { dv, bound };
  }
  return undefined;
}

function storageClass(
  facts: VirtualMachineFacts,
): VirtualMachineDiagnosis | undefined {
  const waiting = waitingForStorageClass(facts);
  if (!waiting) return undefined;
  const { dv, bound } = waiting;
  const named = storageClassOf(dv);
  const classes = facts.storageClasses ?? [];
  const has =
    classes.length > 0 ? ` (it has ${list([...classes].sort())})` : '';
  return {
    cause: 'storage-class',
    title: named
      ? "A disk's storage class does not exist"
      : 'A disk names no storage class and the cluster has no default one',
    detail: named
      ? `DataVolume ${dv.metadata.name} asks for storage class ${named}, which cluster ${facts.cluster} does not have${has}, so CDI cannot create its claim.`
      : `DataVolume ${dv.metadata.name} names no storage class and cluster ${facts.cluster} marks none as its default${has}, so CDI cannot create its claim.`,
    fix: named
      ? `Ask the platform team to create storage class ${named}, or have the disk changed to a class the cluster has; CDI creates the disk as soon as its class exists.`
      : `Have the disk name one of the cluster's storage classes, or ask the platform team to mark one as the default; CDI creates the disk as soon as it can.`,
    evidence: conditionEvidence(dataVolumeObject(dv), bound),
  };
}

/** Rows from the apiserver's own figures in its refusal. */
function refusalShortfalls(refusal: QuotaRefusal): QuotaShortfall[] {
  return Object.entries(refusal.requested).flatMap(([resource, requested]) => {
    const needs = Quantity.tryParse(requested);
    const limited = Quantity.tryParse(refusal.limited[resource] ?? '');
    const used = Quantity.tryParse(refusal.used[resource] ?? '0');
    if (!needs || !limited || !used) return [];
    const left = limited.sub(used);
    const free = left.cmp(Quantity.ZERO) > 0 ? left : Quantity.ZERO;
    if (needs.cmp(free) <= 0) return [];
    return [
      {
        quota: refusal.quota,
        resource,
        needs: needs.toString(),
        free: free.toString(),
        short: needs.sub(free).toString(),
      },
    ];
  });
}

function shortfallText(row: QuotaShortfall): string {
  return `${row.resource} short by ${human(
    row.resource,
    row.short,
    true,
  )} (needs ${human(row.resource, row.needs)}, ${human(
    row.resource,
    row.free,
  )} free)`;
}

function quotaDiagnosis(
  facts: VirtualMachineFacts,
  what: 'pod' | 'disk',
  refusal: QuotaRefusal,
  shortfalls: QuotaShortfall[],
  evidence: DiagnosisEvidence,
  subject: string,
): VirtualMachineDiagnosis {
  const namespace = facts.vm.metadata.namespace ?? '';
  const rows = shortfalls.length > 0 ? shortfalls : refusalShortfalls(refusal);
  const raise = rows.map(
    r => `${r.resource} by at least ${human(r.resource, r.short, true)}`,
  );
  const detail =
    rows.length > 0
      ? `ResourceQuota ${refusal.quota}: ${rows.map(shortfallText).join('; ')}.`
      : `ResourceQuota ${refusal.quota} refuses ${subject}.`;
  const free =
    what === 'pod'
      ? `Stop or delete a VM you no longer need in ${namespace}`
      : `Delete disks or VMs you no longer need in ${namespace}`;
  return {
    cause: 'quota',
    title:
      what === 'pod'
        ? "The namespace's quota has no room for this VM"
        : "The namespace's quota has no room for this VM's disk",
    detail: what === 'pod' ? detail : `${subject}: ${detail}`,
    fix: `${free}, or ask the namespace's owners to raise ${
      raise.length > 0 ? list(raise) : 'the quota'
    } in ResourceQuota ${refusal.quota}; ${
      what === 'pod' ? 'KubeVirt' : 'CDI'
    } retries by itself and the VM starts once it fits.`,
    ...(rows.length > 0 && { shortfalls: rows }),
    evidence,
  };
}

/** The VM's (or VMI's) `Synchronized=False` condition when the launcher pod was refused by a quota. */
function podQuotaRefusal(
  facts: VirtualMachineFacts,
):
  | { condition: KubevirtCondition; kind: string; refusal: QuotaRefusal }
  | undefined {
  const sources: Array<[string, KubevirtCondition[] | undefined]> = [
    ['VirtualMachine', facts.vm.status?.conditions],
    ['VirtualMachineInstance', facts.vmi?.status?.conditions],
  ];
  for (const [kind, conditions] of sources) {
    const condition = findCondition(conditions, 'Synchronized');
    if (condition?.status !== 'False' || condition.reason !== 'FailedCreate')
      continue;
    const refusal = parseQuotaRefusal(condition.message);
    if (refusal) return { condition, kind, refusal };
  }
  return undefined;
}

function podQuota(
  facts: VirtualMachineFacts,
): VirtualMachineDiagnosis | undefined {
  const refused = podQuotaRefusal(facts);
  if (!refused) return undefined;
  return quotaDiagnosis(
    facts,
    'pod',
    refused.refusal,
    facts.quotaShortfalls ?? [],
    conditionEvidence(
      { kind: refused.kind, name: facts.vm.metadata.name },
      refused.condition,
    ),
    'its launcher pod',
  );
}

function diskQuota(
  facts: VirtualMachineFacts,
): VirtualMachineDiagnosis | undefined {
  for (const dv of templateDataVolumes(facts)) {
    const bound = findCondition(dv.status?.conditions, 'Bound');
    if (bound?.status === 'True' || bound?.reason !== 'ErrExceededQuota')
      continue;
    const refusal = parseQuotaRefusal(bound.message);
    if (!refusal) continue;
    return quotaDiagnosis(
      facts,
      'disk',
      refusal,
      [],
      conditionEvidence(dataVolumeObject(dv), bound),
      `DataVolume ${dv.metadata.name}'s claim`,
    );
  }
  return undefined;
}

function missingDisk(
  facts: VirtualMachineFacts,
): VirtualMachineDiagnosis | undefined {
  const { vm } = facts;
  const sources: Array<[string, KubevirtCondition[] | undefined]> = [
    ['VirtualMachine', vm.status?.conditions],
    ['VirtualMachineInstance', facts.vmi?.status?.conditions],
  ];
  for (const [kind, conditions] of sources) {
    const condition = findCondition(conditions, 'Synchronized');
    if (
      condition?.status !== 'False' ||
      condition.reason !== 'FailedPvcNotFound'
    )
      continue;
    const namespace = vm.metadata.namespace ?? '';
    const missing = (vm.spec.template?.spec?.volumes ?? []).flatMap(volume => {
      const claim = volume.persistentVolumeClaim?.claimName;
      if (claim && !facts.claims.has(claim)) return [`claim ${claim}`];
      const dv = volume.dataVolume?.name;
      if (dv && !facts.claims.has(dv) && !facts.dataVolumes.has(dv))
        return [`DataVolume ${dv}`];
      return [];
    });
    return {
      cause: 'missing-disk',
      title: 'A disk the VM uses does not exist',
      detail:
        missing.length > 0
          ? `${vm.metadata.name} uses ${list(
              missing,
            )}, which does not exist in namespace ${namespace}; KubeVirt does not start the VM without it.`
          : condition.message ?? 'A claim of the VM does not exist.',
      fix: `Create or restore ${
        missing.length > 0 ? list(missing) : 'the claim'
      } in ${namespace}, or have the VM's volume changed to one that exists; KubeVirt starts the VM by itself once it is there.`,
      evidence: conditionEvidence({ kind, name: vm.metadata.name }, condition),
    };
  }
  return undefined;
}

/** What the launcher pod asks of a node, for people. */
function podAsks(pod: PodObject | undefined): string | undefined {
  if (!pod) return undefined;
  const { requests } = podResourceTotals(podContainerResources(pod.spec));
  const parts = (['memory', 'cpu'] as const).flatMap(resource =>
    requests[resource]
      ? [
          `${formatQuantityForHumans(resource, requests[resource])} of ${
            resource === 'cpu' ? 'CPU' : 'memory'
          }`,
        ]
      : [],
  );
  return parts.length > 0 ? list(parts) : undefined;
}

function unschedulable(
  facts: VirtualMachineFacts,
): VirtualMachineDiagnosis | undefined {
  const sources: Array<[string, KubevirtCondition[] | undefined]> = [
    ['VirtualMachine', facts.vm.status?.conditions],
    ['VirtualMachineInstance', facts.vmi?.status?.conditions],
  ];
  for (const [kind, conditions] of sources) {
    const condition = findCondition(conditions, 'PodScheduled');
    if (condition?.status !== 'False' || condition.reason !== 'Unschedulable')
      continue;
    const message = condition.message ?? '';
    const asks = podAsks(facts.launcherPod);
    const room = /Insufficient|Too many pods/.test(message);
    const placement = /affinity|selector/.test(message);
    const taints = /taint/.test(message);
    let fix =
      'Ask the platform team why no node can take it; the scheduler keeps trying by itself.';
    if (room)
      fix =
        'Choose a smaller size, or ask the platform team to free or add room on the nodes; the scheduler keeps trying and starts the VM once a node has room.';
    else if (placement)
      fix =
        "No node matches the VM's node selector or affinity: have them changed to match the cluster's nodes, or ask the platform team which nodes the VM may use.";
    else if (taints)
      fix =
        'Every node that could take it is tainted: have the VM tolerate the taint, or ask the platform team for a node without it.';
    return {
      cause: 'unschedulable',
      title: room ? 'No node has room for this VM' : 'No node can take this VM',
      detail: `${
        asks ? `Its launcher pod asks for ${asks}; ` : ''
      }the scheduler says: ${message}`,
      fix,
      evidence: conditionEvidence(
        { kind, name: facts.vm.metadata.name },
        condition,
      ),
    };
  }
  return undefined;
}

function otherFailure(
  facts: VirtualMachineFacts,
): VirtualMachineDiagnosis | undefined {
  const { vm } = facts;
  const object = { kind: 'VirtualMachine', name: vm.metadata.name };
  const failure = findCondition(vm.status?.conditions, 'Failure');
  const sync = findCondition(vm.status?.conditions, 'Synchronized');
  let condition: KubevirtCondition | undefined;
  if (failure?.status === 'True') condition = failure;
  else if (sync?.status === 'False') condition = sync;
  if (!condition) return undefined;
  return {
    cause: 'failure',
    title: 'KubeVirt cannot start the VM',
    detail: `${condition.reason ? `${condition.reason}: ` : ''}${
      condition.message ?? 'no message'
    }`,
    fix: 'Change what the message names (in the file that holds the VM), or ask the platform team; KubeVirt keeps retrying by itself.',
    evidence: conditionEvidence(object, condition),
  };
}

const READY_PHASES = new Set(['Succeeded', 'PendingPopulation']);

function disksPreparing(
  facts: VirtualMachineFacts,
): VirtualMachineDiagnosis | undefined {
  // KubeVirt's Provisioning: a DataVolume not ready, other than an unbound
  // WaitForFirstConsumer one (which waits for the VM, not the other way round).
  if (facts.vm.status?.printableStatus !== 'Provisioning') return undefined;
  const preparing = templateDataVolumes(facts).filter(
    dv => !READY_PHASES.has(dv.status?.phase ?? ''),
  );
  if (preparing.length === 0) return undefined;
  const describe = (dv: DataVolumeObject) => {
    const phase = dv.status?.phase || 'waiting for CDI';
    const progress = dv.status?.progress;
    const percent = progress && progress !== 'N/A' ? ` ${progress}` : '';
    const { verb, from } = dataVolumeSource(dv);
    if (verb === 'upload')
      return `DataVolume ${dv.metadata.name} waits for its disk image to be uploaded (${phase})`;
    return `DataVolume ${dv.metadata.name} (${verb} from ${from}): ${phase}${percent}`;
  };
  const uploads = preparing.filter(
    dv => dataVolumeSource(dv).verb === 'upload',
  );
  const [first] = preparing;
  return {
    cause: 'import-waiting',
    title: "The VM's disks are still being prepared",
    detail: `${preparing.map(describe).join('; ')}.`,
    fix:
      uploads.length > 0
        ? `Upload the disk image into ${list(
            uploads.map(dv => `DataVolume ${dv.metadata.name}`),
          )} (for example with virtctl image-upload); KubeVirt starts the VM by itself once its disks are ready.`
        : 'Nothing to do: KubeVirt starts the VM by itself once its disks are ready.',
    evidence: {
      object: dataVolumeObject(first),
      what: 'status',
      name: 'phase',
      ...(first.status?.phase && { message: first.status.phase }),
    },
  };
}

/** printableStatus values in which nothing keeps the VM from running, or KubeVirt is busy. */
const SETTLED = new Set([
  'Running',
  'Migrating',
  'Stopping',
  'Terminating',
  'WaitingForReceiver',
]);

/**
 * Why a VM is not running, in its owner's words, with the fix, read from the status
 * and conditions KubeVirt, CDI and the scheduler write (whose messages carry what
 * their events say). Undefined when the
 * VM runs, is stopped on purpose, or is on its way with nothing in its way. In order:
 * paused; a missing instancetype or preference (KubeVirt's `Failure` condition,
 * `FailedFindInstancetype`/`FailedFindPreference`); a DataVolume whose import or
 * clone fails, whose StorageClass is missing, or whose claim a quota refuses; the
 * launcher pod refused by a ResourceQuota (`Synchronized=False`, `FailedCreate`,
 * `exceeded quota`), with the quota plan's arithmetic when given; a claim the VM
 * names that does not exist (`FailedPvcNotFound`); no node for the launcher pod
 * (`PodScheduled=False`, `Unschedulable`); another failure KubeVirt reports; disks
 * still being imported, cloned or uploaded.
 *
 * @internal
 */
export function diagnoseVirtualMachine(
  facts: VirtualMachineFacts,
): VirtualMachineDiagnosis | undefined {
  const status = facts.vm.status?.printableStatus ?? 'Unknown';
  const pausedVm = paused(facts);
  if (pausedVm) return pausedVm;
  const missing = missingSize(facts);
  if (missing) return missing;
  if (SETTLED.has(status)) return undefined;
  return (
    importFailed(facts) ??
    storageClass(facts) ??
    diskQuota(facts) ??
    podQuota(facts) ??
    missingDisk(facts) ??
    unschedulable(facts) ??
    otherFailure(facts) ??
    disksPreparing(facts)
  );
}

/**
 * What the diagnosis of these facts needs read before it can say how much or what
 * instead: the refusing quota (for the plan's arithmetic), or the cluster's storage
 * classes. Undefined when the page's own reads are enough.
 *
 * @internal
 */
export function diagnosisNeeds(
  facts: VirtualMachineFacts,
): DiagnosisRead | undefined {
  const diagnosis = diagnoseVirtualMachine(facts);
  if (diagnosis?.cause === 'quota') {
    const refused = podQuotaRefusal(facts);
    return refused
      ? { read: 'quota', quota: refused.refusal.quota }
      : undefined;
  }
  if (diagnosis?.cause === 'storage-class') return { read: 'storageClasses' };
  return undefined;
}
