import type { VirtualMachine } from '../kube/kubevirtObjects';
import { parseResourceList, ResourceQuantities } from '../kube/podResources';
import { Quantity } from '../kube/Quantity';
import { formatQuantityForHumans } from '../quota/formatQuantityForHumans';
import { claimQuotaUsage, diskClaimPlan } from '../quota/dataVolumeStorage';
import { launcherPodOfVirtualMachine } from '../quota/launcherPodOfVirtualMachine';
import type { LauncherPodResources } from '../quota/launcherPodResources';
import {
  advice,
  appliesToScopedQuota,
  isPodResource,
  isScoped,
  PlanQuotaInput,
  QuotaPlan,
  QuotaPlanRow,
  scopesMatchPod,
} from '../quota/planQuota';
import { AAQ_MANAGED_QUOTA_SUFFIX } from '../quota/applicationAwareQuota';
import {
  applyVirtualMachineChange,
  VirtualMachineChangeError,
} from './applyVirtualMachineChange';
import type {
  VirtualMachineChangePlan,
  VirtualMachineChangeTiming,
} from './virtualMachineChangePlan';
import type { VirtualMachineChange } from './virtualMachineChangeSchema';
import { describeVirtualMachineSize } from './describeVirtualMachineSize';
import { liveUpdateProblem } from './liveUpdateProblem';

/**
 * What {@link planVirtualMachineChange} needs: the VM as it is in the cluster, the
 * change, and what the caller read of the namespace (as for `planQuota`).
 *
 * @public
 */
export interface PlanVirtualMachineChangeInput
  extends Omit<PlanQuotaInput, 'request'> {
  cluster: string;
  /** The VirtualMachine as the cluster has it (spec and status). */
  vm: VirtualMachine;
  change: VirtualMachineChange;
  /** Whether the VM has a VirtualMachineInstance now (its launcher pod counts in the quota). */
  running: boolean;
  /**
   * The running VMI's `LiveMigratable` condition, when it has one: KubeVirt hot-plugs
   * CPU and memory by moving the VM to a new launcher pod, which a VM that cannot
   * migrate (a bridge on the pod network, a ReadWriteOnce disk) cannot do.
   */
  liveMigratable?: { status: string; reason?: string; message?: string };
}

function add(map: ResourceQuantities, key: string, amount: Quantity) {
  map[key] = map[key] ? map[key].add(amount) : amount;
}

function addAll(map: ResourceQuantities, other: ResourceQuantities) {
  for (const [key, amount] of Object.entries(other)) add(map, key, amount);
}

/** Per resource, what `after` needs beyond `before` (nothing where it needs less). */
function growth(
  before: ResourceQuantities,
  after: ResourceQuantities,
): ResourceQuantities {
  const result: ResourceQuantities = {};
  for (const [key, amount] of Object.entries(after)) {
    const more = amount.sub(before[key] ?? Quantity.ZERO);
    if (more.cmp(Quantity.ZERO) > 0) result[key] = more;
  }
  return result;
}

function runStrategyOf(vm: VirtualMachine): string {
  if (vm.spec.runStrategy) return vm.spec.runStrategy;
  return vm.spec.running ? 'Always' : 'Halted';
}

/**
 * What a day-2 change to a VM adds to its namespace's ResourceQuotas, whether it fits,
 * and when it takes effect. What it counts:
 * - **resize**: the VM's virt-launcher pod before and after, as KubeVirt v1.9 renders
 *   it (overhead included). A running VM adds the difference; a stopped one needs the
 *   whole new pod to start again. A live update moves a running VM to a new launcher
 *   pod, so for a while both pods count: a note says whether that fits too;
 * - **add-disk**: the new disk's claim as CDI sizes it (filesystem overhead), its
 *   DataVolume, and CDI's temporary claim on CSI classes;
 * - **run-strategy**: a stopped VM that the new strategy starts adds its launcher pod;
 * - **decommission** and **adopt** add nothing.
 *
 * ApplicationAwareResourceQuotas are not counted for changes; the plan says so when
 * the namespace has them.
 *
 * @public
 */
export function planVirtualMachineChange(
  input: PlanVirtualMachineChangeInput,
): VirtualMachineChangePlan {
  const { vm, change, running, quotas } = input;
  const name = vm.metadata.name;
  const namespace = vm.metadata.namespace ?? '';
  const problems: string[] = [];
  const notes: string[] = [];
  const unknowns: string[] = [];
  const podCluster = {
    kubevirt: input.kubevirt,
    kubevirtAnnotations: input.kubevirtAnnotations,
    defaultArchitecture: input.kubevirtDefaultArchitecture,
    networkAttachmentDefinitions: input.networkAttachmentDefinitions,
    namespaceQuotas: quotas,
    namespaceLabels: input.namespaceLabels,
    limitRanges: input.limitRanges,
  };
  const launcherOf = (which: VirtualMachine, what: string) => {
    const of = launcherPodOfVirtualMachine(which, input.sizes, podCluster);
    if ('problem' in of) {
      problems.push(`The ${what} size cannot be counted: ${of.problem}.`);
      return undefined;
    }
    problems.push(
      ...of.launcher.refusals.map(r => `KubeVirt would refuse the VM: ${r}.`),
    );
    return of.launcher;
  };

  let changed: VirtualMachine = vm;
  try {
    changed = applyVirtualMachineChange(vm, change);
  } catch (error) {
    if (!(error instanceof VirtualMachineChangeError)) throw error;
    problems.push(`${error.message}.`);
  }

  const adds: ResourceQuantities = {};
  let livePeak: ResourceQuantities | undefined;
  let takesEffect: VirtualMachineChangeTiming = 'on-apply';
  let summary = '';
  const disks: QuotaPlan['disks'] = [];
  let launcher: LauncherPodResources | undefined;

  switch (change.kind) {
    case 'resize': {
      const before = describeVirtualMachineSize(vm, input.sizes);
      const after = describeVirtualMachineSize(changed, input.sizes);
      summary = `Resize VM ${name} from ${before} to ${after}`;
      if (changed === vm) break;
      const current = running ? launcherOf(vm, 'current') : undefined;
      launcher = launcherOf(changed, 'new');
      if (!launcher) break;
      if (running && current) {
        addAll(adds, growth(current.quotaUsage, launcher.quotaUsage));
        const migratable = input.liveMigratable;
        const why =
          migratable && migratable.status !== 'True'
            ? `the VM cannot be live-migrated (${
                migratable.reason ?? 'LiveMigratable is not True'
              }), and KubeVirt hot-plugs CPU and memory by migrating it`
            : liveUpdateProblem(vm, changed, input.sizes, input.kubevirt);
        if (why) {
          takesEffect = 'restart';
          notes.push(
            `KubeVirt cannot make this change to the running VM (${why}): after the merge the VM says "restart required" and keeps its current size until it is restarted.`,
          );
        } else {
          takesEffect = 'live';
          livePeak = launcher.quotaUsage;
        }
      } else {
        takesEffect = 'next-start';
        addAll(adds, launcher.quotaUsage);
        notes.push(
          'The VM is stopped: it has the new size when it next starts, and the quota must hold its launcher pod then.',
        );
      }
      break;
    }
    case 'add-disk': {
      summary = `Add a ${change.size} disk ${change.name}${
        change.storageClass ? ` (storage class ${change.storageClass})` : ''
      } to VM ${name}`;
      if (changed === vm) break;
      const disk = diskClaimPlan({
        disk: change.name,
        dataVolume: `${name}-${change.name}`,
        source: 'blank',
        size: change.size,
        storageClass: change.storageClass,
        namespace,
        storageClasses: input.storageClasses,
        cdiConfig: input.cdiConfig,
      });
      disks.push(disk);
      if (!disk.storageClass) {
        problems.push(
          `Disk ${change.name} names no storage class and the cluster has no default one; choose a storage class.`,
        );
      }
      if (disk.problem) problems.push(`Disk ${change.name}: ${disk.problem}.`);
      if (disk.unknown) unknowns.push(`Disk ${change.name}: ${disk.unknown}.`);
      add(adds, 'count/datavolumes.cdi.kubevirt.io', Quantity.fromUnits(1));
      addAll(adds, claimQuotaUsage(disk.storageClass, disk.claim));
      // CDI's temporary claim exists beside the disk's own while it is filled.
      for (const temporary of disk.temporaryClaims) {
        addAll(adds, claimQuotaUsage(temporary.storageClass, temporary.size));
      }
      takesEffect = running ? 'live' : 'next-start';
      if (running) {
        notes.push(
          'The disk is hot-plugged into the running VM (SCSI bus); the guest sees a new disk to partition and mount.',
        );
      }
      break;
    }
    case 'run-strategy': {
      const before = runStrategyOf(vm);
      summary = `Change the run strategy of VM ${name} from ${before} to ${change.runStrategy}`;
      if (changed === vm) break;
      const starts =
        !running &&
        (change.runStrategy === 'Always' ||
          change.runStrategy === 'RerunOnFailure');
      if (starts) {
        launcher = launcherOf(vm, 'current');
        if (launcher) addAll(adds, launcher.quotaUsage);
        notes.push(`With ${change.runStrategy}, KubeVirt starts the VM.`);
      } else if (running && change.runStrategy === 'Halted') {
        notes.push('With Halted, KubeVirt stops the VM.');
      }
      break;
    }
    case 'decommission': {
      const dataVolumes = (vm.spec.dataVolumeTemplates ?? [])
        .map(t => t.metadata?.name)
        .filter((n): n is string => Boolean(n));
      summary = `Delete VM ${name}${
        dataVolumes.length > 0
          ? ` and its DataVolume${
              dataVolumes.length > 1 ? 's' : ''
            } ${dataVolumes.join(', ')}`
          : ''
      }`;
      if (change.confirm !== name) {
        problems.push(
          `Type the VM's name, ${name}, to confirm that it and its disks are deleted.`,
        );
      }
      notes.push(
        'The VM, its DataVolumes and their claims are deleted when the pull request is merged and applied; what is on those disks is lost.',
      );
      break;
    }
    case 'adopt':
      summary = `Adopt VM ${name} into the GitOps repository as it is now`;
      break;
    default:
      break;
  }

  // Quota rows: each ResourceQuota resource the change adds to.
  const rows: QuotaPlanRow[] = [];
  const shortfalls: string[] = [];
  const arqs = input.applicationAwareQuotas ?? [];
  quotas.forEach((quota, index) => {
    const quotaName = quota.metadata?.name ?? `quota-${index}`;
    if (
      arqs.some(
        arq => `${arq.metadata?.name}${AAQ_MANAGED_QUOTA_SUFFIX}` === quotaName,
      )
    )
      return;
    const scoped = isScoped(quota);
    if (scoped && !(appliesToScopedQuota(quota) && scopesMatchPod(quota)))
      return;
    const hard = parseResourceList(quota.spec?.hard ?? quota.status?.hard);
    const used = parseResourceList(quota.status?.used);
    for (const resource of Object.keys(hard).sort()) {
      if (scoped && !isPodResource(resource)) continue;
      const thisVm = adds[resource];
      const usedNow = used[resource] ?? Quantity.ZERO;
      const f = (q: Quantity, up = false) =>
        formatQuantityForHumans(resource, q, up);
      const peak = livePeak?.[resource];
      if (peak && usedNow.add(peak).cmp(hard[resource]) > 0) {
        notes.push(
          `While KubeVirt moves the VM to a launcher pod of the new size, both pods count: ResourceQuota ${quotaName}'s ${resource} would need ${f(
            peak,
          )} more than now and has ${f(
            hard[resource].sub(usedNow),
          )} free, so the live update would wait; restart the VM after the merge instead.`,
        );
      }
      if (!thisVm) continue;
      const after = usedNow.add(thisVm);
      const fits = after.cmp(hard[resource]) <= 0;
      rows.push({
        quota: quotaName,
        quotaKind: 'ResourceQuota',
        resource,
        hard: hard[resource],
        used: usedNow,
        thisVm,
        duringImportOnly: Quantity.ZERO,
        after,
        fits,
      });
      if (!fits) {
        shortfalls.push(
          `ResourceQuota ${quotaName}: ${resource} would be ${f(after)} of ${f(
            hard[resource],
          )} (short by ${f(after.sub(hard[resource]), true)}). ${advice(
            resource,
          )}`,
        );
      }
    }
  });
  if (arqs.length > 0) {
    unknowns.push(
      `The namespace has ApplicationAwareResourceQuotas (${arqs
        .map(q => q.metadata?.name)
        .join(', ')}); changes are not counted against them.`,
    );
  }
  const quota: QuotaPlan = {
    rows,
    fits: shortfalls.length === 0 && problems.length === 0,
    shortfalls,
    problems: [...problems],
    unknowns,
    ...(launcher && { launcher }),
    disks,
  };
  return {
    change,
    vm: { cluster: input.cluster, namespace, name },
    summary,
    quota,
    fits: quota.fits,
    problems: [...shortfalls, ...problems],
    notes,
    takesEffect,
  };
}
