import {
  launcherPodOfVirtualMachine,
  parseResourceList,
  Quantity,
  QuotaShortfall,
  ResourceQuantities,
  ResourceQuotaLike,
  VirtualMachine,
} from '@vmportal/plugin-kubevirt-common';
import type { PlanningState } from '@vmportal/plugin-kubevirt-node';

/**
 * What the apiserver's ResourceQuota admission says when it refuses an object:
 * `exceeded quota: <quota>, requested: <r>=<q>,…, used: …, limited: …`.
 *
 * @internal
 */
export interface QuotaRefusal {
  quota: string;
  requested: Record<string, string>;
  used: Record<string, string>;
  limited: Record<string, string>;
}

function resourceList(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(',')
      .map(pair => pair.split('='))
      .filter(pair => pair.length === 2 && pair[0] && pair[1]),
  );
}

/**
 * The quota refusal in an error message (a pod's or a claim's), if there is one.
 *
 * @internal
 */
export function parseQuotaRefusal(
  message: string | undefined,
): QuotaRefusal | undefined {
  const match =
    /exceeded quota: ([^,\s]+), requested: (\S+), used: (\S+), limited: (\S+)/.exec(
      message ?? '',
    );
  if (!match) return undefined;
  return {
    quota: match[1],
    requested: resourceList(match[2]),
    used: resourceList(match[3]),
    limited: resourceList(match[4]),
  };
}

/**
 * How far the ResourceQuota `quota` is from admitting the VM's launcher pod, with
 * the quota plan's arithmetic: the pod as KubeVirt v1.9 renders it from the VM's
 * template, instancetype and preference in this cluster and namespace
 * (`launcherPodResources`, as `planQuota` counts it), against the quota's hard
 * limit and what the namespace uses now. One row per resource of that quota the pod
 * does not fit in; empty when the arithmetic cannot be done (the VM's instancetype or
 * preference is not in the cluster) or the pod fits now.
 *
 * @internal
 */
export function launcherPodQuotaShortfalls(
  vm: VirtualMachine,
  state: Omit<PlanningState, 'unreadable'>,
  quota: string,
): QuotaShortfall[] {
  const of = launcherPodOfVirtualMachine(vm, state.sizes, {
    kubevirt: state.kubevirt,
    kubevirtAnnotations: state.kubevirtAnnotations,
    defaultArchitecture: state.kubevirtDefaultArchitecture,
    networkAttachmentDefinitions: state.networkAttachmentDefinitions,
    namespaceQuotas: state.quotas,
    namespaceLabels: state.namespaceLabels,
    limitRanges: state.limitRanges,
  });
  if (!('launcher' in of)) return [];
  const { launcher } = of;
  const refusing = state.quotas.find(q => q.metadata?.name === quota);
  return refusing ? quotaShortfalls(refusing, launcher.quotaUsage) : [];
}

/**
 * Where a new pod that adds `usage` would not fit in `quota` now: one row per
 * resource the quota limits, with what it needs, what is free (`hard − used`, at
 * least zero) and the shortfall.
 *
 * @internal
 */
export function quotaShortfalls(
  quota: ResourceQuotaLike,
  usage: ResourceQuantities,
): QuotaShortfall[] {
  const name = quota.metadata?.name ?? '';
  const hard = parseResourceList(quota.spec?.hard ?? quota.status?.hard);
  const used = parseResourceList(quota.status?.used);
  const shortfalls: QuotaShortfall[] = [];
  for (const resource of Object.keys(hard).sort()) {
    const needs = usage[resource];
    if (!needs) continue;
    const left = hard[resource].sub(used[resource] ?? Quantity.ZERO);
    const free = left.cmp(Quantity.ZERO) > 0 ? left : Quantity.ZERO;
    if (needs.cmp(free) <= 0) continue;
    shortfalls.push({
      quota: name,
      resource,
      needs: needs.toString(),
      free: free.toString(),
      short: needs.sub(free).toString(),
    });
  }
  return shortfalls;
}
