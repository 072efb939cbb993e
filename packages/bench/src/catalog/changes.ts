import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  ClusterInfo,
  kubeConfigFor,
  kubeRequest,
} from '@vmportal/kube-testenv';
import { KUBEVIRT_ENTITY_LABELS } from '@vmportal/plugin-kubevirt-common';
import {
  BenchVm,
  OWNER_LABEL,
  vmCollectionPath,
  vmManifest,
} from './virtualMachines';

/** What a change does to a VM (stop: `spec.runStrategy: Halted`). */
export type ChangeKind = 'create' | 'relabel' | 'stop' | 'delete';

/** How one catalog names VMs and shows each kind of change. */
export interface CatalogView {
  /** Change kinds this catalog's entities can show at all. */
  kinds: ChangeKind[];
  /** The Component's name (namespace `default`). */
  entityName(vm: BenchVm): string;
  /** Whether `entity` (undefined: not found) shows the change made to `vm`. */
  shows(kind: ChangeKind, vm: BenchVm, entity: Entity | undefined): boolean;
}

/** Our provider: `<vm>.<namespace>.<cluster>`, owner from the label, run strategy as a label. */
export const oursView: CatalogView = {
  kinds: ['create', 'relabel', 'stop', 'delete'],
  entityName: vm => `${vm.name}.${vm.namespace}.${vm.cluster}`,
  shows(kind, vm, entity) {
    if (kind === 'delete') return entity === undefined;
    if (kind === 'stop') {
      return (
        entity?.metadata.labels?.[KUBEVIRT_ENTITY_LABELS.runStrategy] ===
        'Halted'
      );
    }
    return entity?.spec?.owner === `group:default/${vm.owner}`;
  },
};

/**
 * TeraSky's ingestor: named after the VM; its entity carries neither our owner label
 * nor the run strategy, so only creations and deletions can show.
 */
export const peerView: CatalogView = {
  kinds: ['create', 'delete'],
  entityName: vm => vm.name,
  shows: (kind, _vm, entity) =>
    kind === 'delete' ? entity === undefined : entity !== undefined,
};

/** One change and when the catalog showed it. */
export interface ChangeOutcome {
  index: number;
  kind: ChangeKind;
  vm: string;
  /** `component:default/<name>` */
  entityRef: string;
  /** Just before the request to the apiserver. */
  submittedAt: number;
  /** How long the apiserver took to accept it. */
  requestMs: number;
  /** When a catalog read first showed it; undefined if it never did in time. */
  seenAt?: number;
  latencyMs?: number;
  error?: string;
}

/** Options of {@link runChanges}. */
export interface RunChangesOptions {
  count: number;
  ratePerSecond: number;
  random: () => number;
  vms: BenchVm[];
  clusters: ClusterInfo[];
  namespaces: string[];
  catalogUrl: string;
  view: CatalogView;
  /** Give up on one change after this long. */
  timeoutMs: number;
  pollMs: number;
  log: (line: string) => void;
}

async function readEntity(
  catalogUrl: string,
  name: string,
): Promise<Entity | undefined> {
  const response = await fetch(
    `${catalogUrl}/api/catalog/entities/by-name/component/default/${encodeURIComponent(
      name,
    )}`,
    { headers: { Authorization: mockCredentials.user.header() } },
  );
  if (response.status === 404) return undefined;
  if (!response.ok) {
    throw new Error(`catalog answered ${response.status} for ${name}`);
  }
  return (await response.json()) as Entity;
}

function pick<T>(items: T[], random: () => number): T | undefined {
  return items.length === 0
    ? undefined
    : items[Math.floor(random() * items.length)];
}

/**
 * Makes `count` random changes, started `1 / ratePerSecond` apart whether or not the
 * earlier ones show yet (as users would make them), each to a VM no other change is
 * touching. After each, polls the catalog for that one entity (one indexed read by
 * name) until it shows the change. Returns one outcome per change; `vms` is updated
 * to what the clusters hold afterwards.
 */
export async function runChanges(
  options: RunChangesOptions,
): Promise<ChangeOutcome[]> {
  const { random, vms, view } = options;
  const clusters = new Map(options.clusters.map(c => [c.name, c]));
  const startedAt = Date.now();
  const outcomes: ChangeOutcome[] = [];
  let done = 0;
  const running: Array<Promise<void>> = [];

  const one = async (index: number) => {
    let kind = view.kinds[Math.floor(random() * view.kinds.length)];
    let vm: BenchVm | undefined;
    const idle = vms.filter(v => v.exists && !v.busy);
    if (kind === 'stop') {
      vm = pick(
        idle.filter(v => v.runStrategy === 'Always'),
        random,
      );
      if (!vm) kind = 'relabel';
    }
    if (kind === 'create') {
      vm = {
        name: `chg-${String(index).padStart(6, '0')}`,
        namespace: pick(options.namespaces, random)!,
        cluster: pick(options.clusters, random)!.name,
        owner: `new-${index % 20}`,
        runStrategy: 'Always',
        exists: false,
        busy: true,
      };
      vms.push(vm);
    } else if (kind !== 'stop') {
      vm = pick(idle, random);
    }
    if (!vm) throw new Error(`no VM left to ${kind}`);
    vm.busy = true;

    const kc = kubeConfigFor(clusters.get(vm.cluster)!);
    const path = `${vmCollectionPath(vm.namespace)}/${vm.name}`;
    const outcome: ChangeOutcome = {
      index,
      kind,
      vm: `${vm.cluster}/${vm.namespace}/${vm.name}`,
      entityRef: `component:default/${view.entityName(vm)}`.toLowerCase(),
      submittedAt: Date.now(),
      requestMs: 0,
    };
    outcomes.push(outcome);
    try {
      if (kind === 'create') {
        await kubeRequest(
          kc,
          'POST',
          vmCollectionPath(vm.namespace),
          vmManifest(vm),
        );
        vm.exists = true;
      } else if (kind === 'relabel') {
        vm.owner = `moved-${index}`;
        await kubeRequest(
          kc,
          'PATCH',
          path,
          { metadata: { labels: { [OWNER_LABEL]: vm.owner } } },
          'application/merge-patch+json',
        );
      } else if (kind === 'stop') {
        vm.runStrategy = 'Halted';
        await kubeRequest(
          kc,
          'PATCH',
          path,
          { spec: { runStrategy: 'Halted' } },
          'application/merge-patch+json',
        );
      } else {
        await kubeRequest(kc, 'DELETE', path);
        vm.exists = false;
      }
      outcome.requestMs = Date.now() - outcome.submittedAt;

      const deadline = outcome.submittedAt + options.timeoutMs;
      const name = view.entityName(vm);
      for (;;) {
        const entity = await readEntity(options.catalogUrl, name);
        if (view.shows(kind, vm, entity)) {
          outcome.seenAt = Date.now();
          outcome.latencyMs = outcome.seenAt - outcome.submittedAt;
          break;
        }
        if (Date.now() > deadline) {
          outcome.error = `not shown after ${options.timeoutMs / 1000} s`;
          break;
        }
        await new Promise(r => setTimeout(r, options.pollMs));
      }
    } catch (error) {
      outcome.error = error instanceof Error ? error.message : String(error);
    } finally {
      vm.busy = false;
      done += 1;
    }
  };

  let lastReport = Date.now();
  for (let i = 0; i < options.count; i++) {
    const due = startedAt + (i * 1000) / options.ratePerSecond;
    const wait = due - Date.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
    running.push(one(i));
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      options.log(`changes: ${i + 1} made, ${done} shown or given up`);
    }
  }
  await Promise.all(running);
  return outcomes.sort((a, b) => a.index - b.index);
}
