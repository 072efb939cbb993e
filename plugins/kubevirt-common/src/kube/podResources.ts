import type {
  LimitRangeItemLike,
  LimitRangeLike,
  PodContainerResourcesLike,
  PodSpecResourcesLike,
  ResourceListLike,
} from './kubernetesObjects';
import { Quantity } from './Quantity';

/**
 * Resource amounts keyed by resource name (`cpu`, `memory`, `ephemeral-storage`,
 * `hugepages-2Mi`, device-plugin resources).
 *
 * @public
 */
export type ResourceQuantities = Record<string, Quantity>;

/**
 * One container of a pod and what it asks for.
 *
 * @public
 */
export interface ContainerResources {
  name: string;
  /**
   * `container` runs for the pod's life; `init` runs to completion before the others;
   * `sidecar` is an init container with `restartPolicy: Always` (runs for the pod's life).
   */
  kind: 'container' | 'init' | 'sidecar';
  requests: ResourceQuantities;
  limits: ResourceQuantities;
}

/**
 * Parses a JSON resource list; throws naming the resource whose amount is not a quantity.
 *
 * @public
 */
export function parseResourceList(
  list: ResourceListLike | undefined,
): ResourceQuantities {
  const result: ResourceQuantities = {};
  for (const [name, text] of Object.entries(list ?? {})) {
    const quantity = Quantity.tryParse(String(text));
    if (!quantity)
      throw new Error(`${name}: '${String(text)}' is not a quantity`);
    result[name] = quantity;
  }
  return result;
}

/**
 * A pod's containers and what each asks for, in pod order: init containers (those
 * with `restartPolicy: Always` as sidecars), then app containers. Throws naming a
 * resource whose amount is not a quantity.
 *
 * @public
 */
export function podContainerResources(
  spec: PodSpecResourcesLike | undefined,
): ContainerResources[] {
  const container = (
    c: PodContainerResourcesLike,
    kind: ContainerResources['kind'],
  ): ContainerResources => ({
    name: c.name,
    kind,
    requests: parseResourceList(c.resources?.requests),
    limits: parseResourceList(c.resources?.limits),
  });
  return [
    ...(spec?.initContainers ?? []).map(c =>
      container(c, c.restartPolicy === 'Always' ? 'sidecar' : 'init'),
    ),
    ...(spec?.containers ?? []).map(c => container(c, 'container')),
  ];
}

/**
 * Prints resource amounts in Kubernetes' canonical form, keys sorted.
 *
 * @public
 */
export function formatResourceList(list: ResourceQuantities): ResourceListLike {
  const result: ResourceListLike = {};
  for (const name of Object.keys(list).sort())
    result[name] = list[name].toString();
  return result;
}

function copyList(list: ResourceQuantities): ResourceQuantities {
  return { ...list };
}

function addInto(target: ResourceQuantities, source: ResourceQuantities) {
  for (const [name, quantity] of Object.entries(source)) {
    target[name] = target[name] ? target[name].add(quantity) : quantity;
  }
}

function maxInto(target: ResourceQuantities, source: ResourceQuantities) {
  for (const [name, quantity] of Object.entries(source)) {
    if (!target[name] || quantity.cmp(target[name]) > 0)
      target[name] = quantity;
  }
}

/** Every amount rounded up to thousandths, as the API server stores resource lists. */
export function roundResourceList(
  list: ResourceQuantities,
): ResourceQuantities {
  const result: ResourceQuantities = {};
  for (const [name, quantity] of Object.entries(list))
    result[name] = quantity.roundUpToMilli();
  return result;
}

/**
 * The API server's defaulting of a Pod: every amount rounded up to thousandths
 * (`SetDefaults_ResourceList`, so a `1333333334n` CPU request is stored as `1334m`), and
 * a container that sets a limit but no request for a resource gets a request equal to
 * the limit (`SetDefaults_Pod`).
 *
 * @public
 */
export function applyPodApiDefaults(
  containers: ContainerResources[],
): ContainerResources[] {
  return containers.map(container => {
    const limits = roundResourceList(container.limits);
    const requests = roundResourceList(container.requests);
    for (const [name, limit] of Object.entries(limits)) {
      if (!requests[name]) requests[name] = limit;
    }
    return { ...container, requests, limits };
  });
}

/** A LimitRange item as the API server stores it (`SetDefaults_LimitRangeItem`). */
function defaultedItem(item: LimitRangeItemLike) {
  const parse = (list: ResourceListLike | undefined) =>
    roundResourceList(parseResourceList(list));
  const parsed = {
    type: item.type,
    default: parse(item.default),
    defaultRequest: parse(item.defaultRequest),
    max: parse(item.max),
    min: parse(item.min),
    maxLimitRequestRatio: parse(item.maxLimitRequestRatio),
  };
  if (item.type === 'Container') {
    for (const [name, value] of Object.entries(parsed.max)) {
      if (!parsed.default[name]) parsed.default[name] = value;
    }
    for (const [name, value] of Object.entries(parsed.default)) {
      if (!parsed.defaultRequest[name]) parsed.defaultRequest[name] = value;
    }
    for (const [name, value] of Object.entries(parsed.min)) {
      if (!parsed.defaultRequest[name]) parsed.defaultRequest[name] = value;
    }
  }
  return parsed;
}

function limitRangeName(limitRange: LimitRangeLike, index: number): string {
  return limitRange.metadata?.name ?? `limitrange-${index}`;
}

/**
 * The result of the LimitRanger admission plugin on a pod's containers: defaults filled
 * in, and the reasons the pod would be refused.
 *
 * @public
 */
export interface LimitRangeOutcome {
  containers: ContainerResources[];
  /** Why the LimitRanger (or the API server's request-vs-limit check) would refuse the pod. */
  problems: string[];
}

function ratio(limit: Quantity, request: Quantity): number {
  // limit/request as a float is what LimitRanger compares (to three decimals).
  return Number((limit.milliValue() * 1000n) / request.milliValue()) / 1000;
}

/**
 * What Kubernetes' LimitRanger admission plugin does to a pod's containers: each
 * Container item's `default` limit and `defaultRequest` fill what a container leaves
 * unset (the first LimitRange by name that sets a default wins), then min, max and
 * maxLimitRequestRatio of Container and Pod items are checked. Containers must already
 * carry the API server's defaults ({@link applyPodApiDefaults}).
 */
export function applyLimitRanges(
  containers: ContainerResources[],
  limitRanges: LimitRangeLike[] = [],
): LimitRangeOutcome {
  const ranges = limitRanges
    .map((range, index) => ({
      name: limitRangeName(range, index),
      items: (range.spec?.limits ?? []).map(defaultedItem),
    }))
    .sort((a, b) => Number(a.name > b.name) - Number(a.name < b.name));

  const result = containers.map(c => ({
    ...c,
    requests: copyList(c.requests),
    limits: copyList(c.limits),
  }));
  const defaultedBy = new Map<string, string>();
  for (const range of ranges) {
    for (const item of range.items) {
      if (item.type !== 'Container') continue;
      for (const container of result) {
        for (const [name, value] of Object.entries(item.default)) {
          if (!container.limits[name]) {
            container.limits[name] = value;
            defaultedBy.set(`${container.name}/limits/${name}`, range.name);
          }
        }
        for (const [name, value] of Object.entries(item.defaultRequest)) {
          if (!container.requests[name]) {
            container.requests[name] = value;
            defaultedBy.set(`${container.name}/requests/${name}`, range.name);
          }
        }
      }
    }
  }

  const problems: string[] = [];
  const origin = (
    container: string,
    which: 'limits' | 'requests',
    name: string,
  ) => {
    const by = defaultedBy.get(`${container}/${which}/${name}`);
    return by ? ` (a default of LimitRange ${by})` : '';
  };
  for (const container of result) {
    for (const [name, limit] of Object.entries(container.limits)) {
      const request = container.requests[name];
      if (request && request.cmp(limit) > 0) {
        problems.push(
          `the ${
            container.name
          } container's ${name} request ${request} is above its limit ${limit}${origin(
            container.name,
            'limits',
            name,
          )}, so the API server would refuse the pod`,
        );
      }
    }
  }
  const totals = podResourceTotals(result);
  for (const range of ranges) {
    for (const item of range.items) {
      if (item.type === 'Container') {
        for (const container of result) {
          checkBounds(
            problems,
            range.name,
            `per container (${container.name})`,
            item,
            container,
          );
        }
      } else if (item.type === 'Pod') {
        checkBounds(problems, range.name, 'per pod', item, {
          requests: totals.requests,
          limits: totals.limits,
        });
      }
    }
  }
  return { containers: result, problems };
}

function checkBounds(
  problems: string[],
  rangeName: string,
  scope: string,
  item: ReturnType<typeof defaultedItem>,
  subject: { requests: ResourceQuantities; limits: ResourceQuantities },
) {
  for (const [name, min] of Object.entries(item.min)) {
    const request = subject.requests[name];
    if (!request) {
      problems.push(
        `LimitRange ${rangeName}: minimum ${name} ${scope} is ${min}, but no request is set`,
      );
    } else if (request.cmp(min) < 0) {
      problems.push(
        `LimitRange ${rangeName}: minimum ${name} ${scope} is ${min}, but the request is ${request}`,
      );
    }
  }
  for (const [name, max] of Object.entries(item.max)) {
    const limit = subject.limits[name];
    if (!limit) {
      problems.push(
        `LimitRange ${rangeName}: maximum ${name} ${scope} is ${max}, but no limit is set`,
      );
    } else if (limit.cmp(max) > 0) {
      problems.push(
        `LimitRange ${rangeName}: maximum ${name} ${scope} is ${max}, but the limit is ${limit}`,
      );
    }
  }
  for (const [name, maxRatio] of Object.entries(item.maxLimitRequestRatio)) {
    const limit = subject.limits[name];
    const request = subject.requests[name];
    if (!limit || !request || request.isZero()) {
      problems.push(
        `LimitRange ${rangeName}: ${name} limit and request must both be set ${scope} (maximum limit/request ratio ${maxRatio})`,
      );
    } else if (ratio(limit, request) > maxRatio.toNumber()) {
      problems.push(
        `LimitRange ${rangeName}: ${name} limit ${limit} is more than ${maxRatio} times the request ${request} ${scope}`,
      );
    }
  }
}

/**
 * A pod's effective requests and limits as the scheduler and ResourceQuota count them
 * (k8s.io/component-helpers `PodRequests`/`PodLimits`): the sum over app containers and
 * sidecars, raised to what any init container needs while it runs (its own amount plus
 * the sidecars started before it).
 *
 * @public
 */
export function podResourceTotals(containers: ContainerResources[]): {
  requests: ResourceQuantities;
  limits: ResourceQuantities;
} {
  const aggregate = (pick: (c: ContainerResources) => ResourceQuantities) => {
    const result: ResourceQuantities = {};
    for (const container of containers) {
      if (container.kind === 'container') addInto(result, pick(container));
    }
    const sidecars: ResourceQuantities = {};
    const initMax: ResourceQuantities = {};
    for (const container of containers) {
      if (container.kind === 'sidecar') {
        addInto(result, pick(container));
        addInto(sidecars, pick(container));
        maxInto(initMax, sidecars);
      } else if (container.kind === 'init') {
        const running = copyList(pick(container));
        addInto(running, sidecars);
        maxInto(initMax, running);
      }
    }
    maxInto(result, initMax);
    return result;
  };
  return {
    requests: aggregate(c => c.requests),
    limits: aggregate(c => c.limits),
  };
}

function isExtendedResourceName(name: string): boolean {
  return (
    name.includes('/') &&
    !name.includes('kubernetes.io/') &&
    !name.startsWith('requests.')
  );
}

/**
 * What one running pod adds to a namespace's ResourceQuota usage (Kubernetes' pod
 * evaluator): `pods`, `count/pods`, cpu/memory/ephemeral-storage requests (also under
 * their bare names) and limits, hugepages and extended resources (as `requests.<name>`).
 *
 * @public
 */
export function podQuotaUsage(totals: {
  requests: ResourceQuantities;
  limits: ResourceQuantities;
}): ResourceQuantities {
  const one = Quantity.fromUnits(1);
  const usage: ResourceQuantities = { pods: one, 'count/pods': one };
  for (const name of ['cpu', 'memory', 'ephemeral-storage']) {
    const request = totals.requests[name];
    if (request) {
      usage[name] = request;
      usage[`requests.${name}`] = request;
    }
    const limit = totals.limits[name];
    if (limit) usage[`limits.${name}`] = limit;
  }
  for (const [name, request] of Object.entries(totals.requests)) {
    if (name.startsWith('hugepages-')) {
      usage[name] = request;
      usage[`requests.${name}`] = request;
    } else if (isExtendedResourceName(name)) {
      usage[`requests.${name}`] = request;
    }
  }
  return usage;
}

/**
 * The quota resources a container must set for a pod to be admitted by a quota that
 * lists them (Kubernetes requires cpu and memory requests/limits per container when
 * the quota counts them), as `resource → containers missing it`.
 */
export function missingQuotaConstraints(
  containers: ContainerResources[],
  quotaResources: string[],
): Map<string, string[]> {
  const constrained = new Set([
    'cpu',
    'memory',
    'requests.cpu',
    'requests.memory',
    'limits.cpu',
    'limits.memory',
  ]);
  const required = quotaResources.filter(r => constrained.has(r));
  const missing = new Map<string, string[]>();
  for (const container of containers) {
    const usage = podQuotaUsage({
      requests: container.requests,
      limits: container.limits,
    });
    for (const resource of required) {
      if (!usage[resource]) {
        missing.set(resource, [
          ...(missing.get(resource) ?? []),
          container.name,
        ]);
      }
    }
  }
  return missing;
}
