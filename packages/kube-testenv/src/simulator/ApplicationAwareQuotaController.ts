import type { V1Pod, V1ResourceQuota } from '@kubernetes/client-node';
import {
  AAQ_MANAGED_QUOTA_SUFFIX,
  AAQ_SCHEDULING_GATE,
  aaqCalculationMode,
  AaqMigration,
  AaqNamespaceState,
  aaqPodUsage,
  formatResourceList,
  isAaqSchedulableResource,
  KubeObjectMeta,
  LabelSelectorLike,
  parseResourceList,
  Quantity,
  ResourceListLike,
  ResourceQuantities,
} from '@vmportal/plugin-kubevirt-common';
import { errorStatus } from '../kubeClient';
import {
  APPLICATION_AWARE_RESOURCE_QUOTAS,
  canonicalJson,
  conflictOnPatchTestFailure,
  VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
} from './resources';
import type { SimulatorContext } from './SimulatorContext';
import type { ReconcileResult } from './WorkQueue';

/*
 * Application Aware Quota v1.8.0 (commit 10ca8b9c31b7486014da103abbece3e30a0cb31f),
 * played from what its source does: pkg/aaq-controller/{rq-controller,arq-controller,
 * aaq-gate-controller}, the gating webhook of pkg/aaq-server, and Kubernetes'
 * ResourceQuota admission (CheckRequest), which AAQ's gate controller runs on its
 * quotas. What a pod counts comes from kubevirt-common's `aaqPodUsage`, the same
 * arithmetic the request plan uses.
 */

const CONTROLLER = { component: 'aaq-controller' };

/** A scope filter of a quota (`spec.scopes` entries read as `Exists`). */
interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

/** An ApplicationAwareResourceQuota as the simulator reads and writes it. */
export interface ApplicationAwareResourceQuotaObject {
  apiVersion?: string;
  kind?: string;
  metadata: KubeObjectMeta;
  spec: {
    hard?: ResourceListLike;
    scopes?: string[];
    scopeSelector?: { matchExpressions?: ScopeRequirement[] };
  };
  status?: { hard?: ResourceListLike; used?: ResourceListLike };
}

/** The AAQ operator's CR, as far as the simulator reads it. */
export interface AaqObject {
  metadata?: { name?: string };
  spec?: {
    namespaceSelector?: LabelSelectorLike;
    configuration?: { vmiCalculatorConfiguration?: { configName?: string } };
  };
}

/** A quota as Kubernetes' admission check sees it: its scopes, its status' hard and used. */
export interface AdmissionQuota {
  name: string;
  scopes: ScopeRequirement[];
  hard: ResourceQuantities;
  used: ResourceQuantities;
}

/** Whether `pod` carries AAQ's gate and no other (the only pods AAQ's gate controller handles). */
export function isAaqGated(pod: V1Pod): boolean {
  const gates = pod.spec?.schedulingGates ?? [];
  return gates.length === 1 && gates[0].name === AAQ_SCHEDULING_GATE;
}

function scopesOf(spec: ApplicationAwareResourceQuotaObject['spec']) {
  return [
    ...(spec.scopes ?? []).map(scopeName => ({
      scopeName,
      operator: 'Exists',
    })),
    ...(spec.scopeSelector?.matchExpressions ?? []),
  ];
}

/** Kubernetes' pod scope functions (`podMatchesScopeFunc`), which AAQ's evaluator copies. */
function podMatchesScope(pod: V1Pod, scope: ScopeRequirement): boolean {
  const spec = pod.spec;
  switch (scope.scopeName) {
    case 'Terminating':
    case 'NotTerminating': {
      const terminating = (spec?.activeDeadlineSeconds ?? -1) >= 0;
      return scope.scopeName === 'Terminating' ? terminating : !terminating;
    }
    case 'BestEffort':
    case 'NotBestEffort': {
      const containers = [
        ...(spec?.initContainers ?? []),
        ...(spec?.containers ?? []),
      ];
      const bestEffort = containers.every(c =>
        ['cpu', 'memory'].every(
          r => !c.resources?.requests?.[r] && !c.resources?.limits?.[r],
        ),
      );
      return scope.scopeName === 'BestEffort' ? bestEffort : !bestEffort;
    }
    case 'PriorityClass': {
      const name = spec?.priorityClassName ?? '';
      switch (scope.operator) {
        case 'Exists':
          return name !== '';
        case 'DoesNotExist':
          return name === '';
        case 'In':
          return name !== '' && (scope.values ?? []).includes(name);
        case 'NotIn':
          return name === '' || !(scope.values ?? []).includes(name);
        default:
          return false;
      }
    }
    case 'CrossNamespacePodAffinity': {
      const affinity = spec?.affinity;
      const terms = [
        ...(affinity?.podAffinity
          ?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
        ...(affinity?.podAntiAffinity
          ?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
        ...(
          affinity?.podAffinity
            ?.preferredDuringSchedulingIgnoredDuringExecution ?? []
        ).map(w => w.podAffinityTerm),
        ...(
          affinity?.podAntiAffinity
            ?.preferredDuringSchedulingIgnoredDuringExecution ?? []
        ).map(w => w.podAffinityTerm),
      ];
      return terms.some(
        t => (t.namespaces?.length ?? 0) > 0 || t.namespaceSelector,
      );
    }
    default:
      return false;
  }
}

/** Resources Kubernetes' pod evaluator matches (`podEvaluator.MatchingResources`). */
function podEvaluatorMatches(resource: string): boolean {
  return (
    [
      'pods',
      'count/pods',
      'cpu',
      'memory',
      'ephemeral-storage',
      'requests.cpu',
      'requests.memory',
      'requests.ephemeral-storage',
      'limits.cpu',
      'limits.memory',
      'limits.ephemeral-storage',
    ].includes(resource) ||
    resource.startsWith('hugepages-') ||
    resource.startsWith('requests.hugepages-') ||
    // Extended resources: `requests.<name>` where the name is not kubernetes.io's.
    (resource.startsWith('requests.') &&
      resource.includes('/') &&
      !resource.includes('kubernetes.io/'))
  );
}

function pick(list: ResourceQuantities, names: string[]): ResourceQuantities {
  const result: ResourceQuantities = {};
  for (const name of names) if (list[name]) result[name] = list[name];
  return result;
}

function sum(a: ResourceQuantities, b: ResourceQuantities): ResourceQuantities {
  const result = { ...a };
  for (const [name, amount] of Object.entries(b))
    result[name] = result[name] ? result[name].add(amount) : amount;
  return result;
}

/** Kubernetes' `quota.Equals`: the same resources, each with an equal amount. */
function sameAmounts(a: ResourceQuantities, b: ResourceQuantities): boolean {
  const names = Object.keys(a);
  return (
    names.length === Object.keys(b).length &&
    names.every(name => b[name] && a[name].equals(b[name]))
  );
}

/** Kubernetes' `prettyPrint` of a resource list: `name=amount`, sorted, comma-joined. */
function prettyPrint(list: ResourceQuantities): string {
  return Object.keys(list)
    .sort()
    .map(name => `${name}=${list[name].toString()}`)
    .join(',');
}

/**
 * Kubernetes' ResourceQuota admission (`resourcequota.CheckRequest`) of a pod whose
 * usage is `usage`, against `quotas` as AAQ's gate controller builds them from its
 * ApplicationAwareResourceQuotas (status hard and used). Returns the quotas with the
 * pod's usage added, or the refusal in Kubernetes' words (without the
 * `pods "<name>" is forbidden: ` prefix, which AAQ strips for its event).
 */
export function checkAaqQuotas(
  quotas: AdmissionQuota[],
  pod: V1Pod,
  usage: ResourceQuantities,
): { quotas: AdmissionQuota[] } | { refusal: string } {
  const interesting: number[] = [];
  for (const [index, quota] of quotas.entries()) {
    const hardNames = Object.keys(quota.hard);
    const matches =
      hardNames.some(podEvaluatorMatches) &&
      quota.scopes.every(scope => podMatchesScope(pod, scope));
    if (!matches) continue;
    // AAQ's evaluator matches every resource, so each needs a counted usage.
    if (hardNames.some(name => !quota.used[name])) {
      return {
        refusal: `status unknown for quota: ${quota.name}, resources: ${[
          ...hardNames,
        ]
          .sort()
          .join(',')}`,
      };
    }
    interesting.push(index);
  }
  const delta: ResourceQuantities = {};
  for (const [name, amount] of Object.entries(usage)) {
    if (!amount.isZero()) delta[name] = amount;
  }
  if (Object.keys(delta).length === 0 || interesting.length === 0)
    return { quotas };
  const result = quotas.map(q => ({ ...q }));
  for (const index of interesting) {
    const quota = result[index];
    const requested = pick(delta, Object.keys(quota.hard));
    const used = sum(quota.used, requested);
    const exceeded = Object.keys(requested).filter(
      name => used[name].cmp(quota.hard[name]) > 0,
    );
    if (exceeded.length > 0) {
      return {
        refusal: `exceeded quota: ${quota.name}, requested: ${prettyPrint(
          pick(requested, exceeded),
        )}, used: ${prettyPrint(
          pick(quota.used, exceeded),
        )}, limited: ${prettyPrint(pick(quota.hard, exceeded))}`,
      };
    }
    quota.used = used;
  }
  return { quotas: result };
}

/** An ARQ as AAQ's gate controller checks pods against it: its status' hard and used. */
export function admissionQuotaOf(
  arq: ApplicationAwareResourceQuotaObject,
): AdmissionQuota {
  return {
    name: arq.metadata.name,
    scopes: scopesOf(arq.spec),
    hard: parseResourceList(arq.status?.hard),
    used: parseResourceList(arq.status?.used),
  };
}

/**
 * The gate controller's round over a namespace: each pod behind AAQ's gate alone,
 * oldest first, checked against the quotas with the pods let through before it
 * counted; a pod that does not fit keeps its gate, with the refusal.
 */
export function decideAaqGates(
  quotas: AdmissionQuota[],
  pods: V1Pod[],
  usageOf: (ungated: V1Pod) => ResourceQuantities,
): Array<{ pod: V1Pod; refusal?: string }> {
  const created = (pod: V1Pod) =>
    new Date(pod.metadata?.creationTimestamp ?? 0).getTime();
  const gated = pods
    .filter(isAaqGated)
    .sort(
      (a, b) =>
        created(a) - created(b) ||
        (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
    );
  let current = quotas;
  return gated.map(pod => {
    const ungated: V1Pod = {
      ...pod,
      spec: { ...pod.spec!, schedulingGates: [] },
    };
    const checked = checkAaqQuotas(current, ungated, usageOf(ungated));
    if ('refusal' in checked) return { pod, refusal: checked.refusal };
    current = checked.quotas;
    return { pod };
  });
}

/**
 * Plays Application Aware Quota's aaq-controller for one namespace at a time: keeps the
 * ResourceQuota AAQ makes for each ApplicationAwareResourceQuota's non-schedulable
 * resources (rq-controller), writes each ARQ's `status.hard` and `status.used` as AAQ
 * counts them in the AAQ CR's calculation mode (arq-controller), and takes the
 * `ApplicationAwareQuotaGate` off each gated pod that fits every ARQ, oldest first,
 * leaving the others Pending with a Warning event (reason `Warning`, AAQ's own) saying
 * which quota they exceed (gate controller). The gate itself is put on launcher pods by
 * the VMI controller, as AAQ's webhook would (kubevirt-common's `aaqGatesNamespace`).
 */
export class ApplicationAwareQuotaController {
  constructor(
    private readonly ctx: SimulatorContext,
    private readonly aaq: () => AaqObject | undefined,
  ) {}

  async reconcile(namespace: string): Promise<ReconcileResult | void> {
    const aaq = this.aaq();
    // Without an AAQ CR, AAQ's operator deploys nothing: no controller runs.
    if (!aaq) return undefined;
    const [arqs, pods, migrations, quotas, kubevirt] = await Promise.all([
      this.listArqs(namespace),
      this.ctx.core.listNamespacedPod({ namespace }).then(l => l.items),
      this.listMigrations(namespace),
      this.ctx.core
        .listNamespacedResourceQuota({ namespace })
        .then(l => l.items),
      this.ctx.kubevirtConfiguration(),
    ]);
    const state: AaqNamespaceState = {
      mode: aaqCalculationMode(
        aaq.spec?.configuration?.vmiCalculatorConfiguration?.configName,
      ),
      pods,
      vmis: [...this.ctx.caches.virtualMachineInstances(namespace)],
      migrations,
      kubevirt,
    };
    for (const arq of arqs) await this.syncManagedQuota(arq, quotas);
    const counted: AdmissionQuota[] = [];
    for (const arq of arqs)
      counted.push(await this.syncStatus(arq, quotas, pods, state));
    await this.releaseGatedPods(namespace, counted, pods, state);
    return undefined;
  }

  private async listArqs(
    namespace: string,
  ): Promise<ApplicationAwareResourceQuotaObject[]> {
    try {
      const list = (await this.ctx.custom.listNamespacedCustomObject({
        ...APPLICATION_AWARE_RESOURCE_QUOTAS,
        namespace,
      })) as { items?: ApplicationAwareResourceQuotaObject[] };
      return (list.items ?? []).sort((a, b) =>
        a.metadata.name.localeCompare(b.metadata.name),
      );
    } catch (error) {
      if (errorStatus(error) === 404) return [];
      throw error;
    }
  }

  private async listMigrations(namespace: string): Promise<AaqMigration[]> {
    try {
      const list = (await this.ctx.custom.listNamespacedCustomObject({
        ...VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
        namespace,
      })) as { items?: AaqMigration[] };
      return list.items ?? [];
    } catch (error) {
      if (errorStatus(error) === 404) return [];
      throw error;
    }
  }

  /** rq-controller: the ResourceQuota that holds the ARQ's non-schedulable resources. */
  private async syncManagedQuota(
    arq: ApplicationAwareResourceQuotaObject,
    quotas: V1ResourceQuota[],
  ) {
    const namespace = arq.metadata.namespace!;
    const name = `${arq.metadata.name}${AAQ_MANAGED_QUOTA_SUFFIX}`;
    const hard = Object.fromEntries(
      Object.entries(arq.spec.hard ?? {}).filter(
        ([resource]) => !isAaqSchedulableResource(resource),
      ),
    );
    const existing = quotas.find(q => q.metadata?.name === name);
    if (Object.keys(hard).length === 0) {
      if (existing) {
        await this.ctx.core
          .deleteNamespacedResourceQuota({ namespace, name })
          .catch(error => {
            if (errorStatus(error) !== 404) throw error;
          });
      }
      return;
    }
    const spec = {
      hard,
      ...(arq.spec.scopes && { scopes: arq.spec.scopes }),
      ...(arq.spec.scopeSelector && {
        scopeSelector: arq.spec.scopeSelector,
      }),
    };
    if (!existing) {
      await this.ctx.core.createNamespacedResourceQuota({
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'ResourceQuota',
          metadata: {
            name,
            labels: { 'aaq.kubevirt.io': 'true' },
            ownerReferences: [
              {
                apiVersion: 'aaq.kubevirt.io/v1alpha1',
                kind: 'ApplicationAwareResourceQuota',
                name: arq.metadata.name,
                uid: arq.metadata.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec,
        },
      });
      return;
    }
    const same =
      sameAmounts(
        parseResourceList(existing.spec?.hard),
        parseResourceList(hard),
      ) &&
      canonicalJson(existing.spec?.scopes ?? null) ===
        canonicalJson(arq.spec.scopes ?? null) &&
      canonicalJson(existing.spec?.scopeSelector ?? null) ===
        canonicalJson(arq.spec.scopeSelector ?? null) &&
      existing.metadata?.labels?.['aaq.kubevirt.io'] !== undefined;
    if (same) return;
    await this.ctx.core.replaceNamespacedResourceQuota({
      namespace,
      name,
      body: {
        ...existing,
        metadata: {
          ...existing.metadata,
          labels: { ...existing.metadata?.labels, 'aaq.kubevirt.io': 'true' },
        },
        spec,
      },
    });
  }

  /**
   * arq-controller's `syncResourceQuota`: hard from the spec; used as AAQ's evaluator
   * counts the namespace's pods, then what the managed ResourceQuota counts for the
   * non-schedulable resources.
   */
  private async syncStatus(
    arq: ApplicationAwareResourceQuotaObject,
    quotas: V1ResourceQuota[],
    pods: V1Pod[],
    state: AaqNamespaceState,
  ): Promise<AdmissionQuota> {
    const hard = parseResourceList(arq.spec.hard);
    const names = Object.keys(hard);
    const scopes = scopesOf(arq.spec);
    let used: ResourceQuantities = Object.fromEntries(
      names.map(name => [name, Quantity.ZERO]),
    );
    for (const pod of pods) {
      if (!scopes.every(scope => podMatchesScope(pod, scope))) continue;
      used = sum(used, pick(aaqPodUsage(pod, state), names));
    }
    const managed = quotas.find(
      q =>
        q.metadata?.name === `${arq.metadata.name}${AAQ_MANAGED_QUOTA_SUFFIX}`,
    );
    const statusHard = arq.status?.hard && parseResourceList(arq.status.hard);
    if (managed?.status?.hard && statusHard && managed.status.used) {
      const nonSchedulable = Object.fromEntries(
        Object.entries(statusHard).filter(
          ([name]) => !isAaqSchedulableResource(name),
        ),
      );
      if (sameAmounts(parseResourceList(managed.spec?.hard), nonSchedulable)) {
        used = {
          ...used,
          ...pick(parseResourceList(managed.status.used), names),
        };
      }
    }
    const status = {
      hard: formatResourceList(hard),
      used: formatResourceList(used),
    };
    const changed =
      !arq.status?.hard ||
      !arq.status.used ||
      !sameAmounts(parseResourceList(arq.status.hard), hard) ||
      !sameAmounts(parseResourceList(arq.status.used), used);
    if (changed) {
      await this.ctx.custom.replaceNamespacedCustomObjectStatus({
        ...APPLICATION_AWARE_RESOURCE_QUOTAS,
        namespace: arq.metadata.namespace!,
        name: arq.metadata.name,
        body: { ...arq, status },
      });
    }
    return { name: arq.metadata.name, scopes, hard, used };
  }

  /** The gate controller: lifts the gate of each pod {@link decideAaqGates} lets through. */
  private async releaseGatedPods(
    namespace: string,
    quotas: AdmissionQuota[],
    pods: V1Pod[],
    state: AaqNamespaceState,
  ) {
    const decisions = decideAaqGates(quotas, pods, pod =>
      aaqPodUsage(pod, state),
    );
    for (const { pod, refusal } of decisions) {
      const name = pod.metadata!.name!;
      if (refusal) {
        await this.ctx.events.record(
          { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata! },
          'Warning',
          'Warning',
          refusal,
          CONTROLLER,
        );
        continue;
      }
      try {
        await this.ctx.core.patchNamespacedPod({
          namespace,
          name,
          body: [
            {
              op: 'test',
              path: '/spec/schedulingGates',
              value: [{ name: AAQ_SCHEDULING_GATE }],
            },
            { op: 'remove', path: '/spec/schedulingGates' },
          ],
        });
      } catch (error) {
        if (errorStatus(error) === 404) continue;
        conflictOnPatchTestFailure(error);
      }
      this.ctx.log(
        `${namespace}/${name}: aaq-controller removed ${AAQ_SCHEDULING_GATE}`,
      );
    }
  }
}
