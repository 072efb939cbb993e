import {
  ClusterInfo,
  kubeConfigFor,
  kubeRequest,
  waitUntil,
} from '@vmportal/kube-testenv';
import { oursView } from './changes';
import {
  BenchVm,
  OWNER_LABEL,
  vmCollectionPath,
  vmManifest,
} from './virtualMachines';

/** What one change of a mixed burst does to a VM. */
export type BurstChangeKind = 'delete' | 'relabel' | 'stop' | 'recreate';

/** The kinds a mixed burst draws from, equally likely. */
export const BURST_CHANGE_KINDS: readonly BurstChangeKind[] = [
  'delete',
  'relabel',
  'stop',
  'recreate',
];

/** One change of a mixed burst, as made on the apiserver. */
export interface BurstChange {
  index: number;
  kind: BurstChangeKind;
  vm: BenchVm;
  /** The VM's entity name (namespace `default`). */
  entityName: string;
  /** When the change was due, from the burst's start. */
  dueMs: number;
  /** Just before its first request. */
  submittedAt: number;
  /** recreate: when the apiserver accepted the delete. */
  deletedAt?: number;
  /** When the apiserver accepted its last request. */
  doneAt: number;
  /** What the VM is after this change; undefined when deleted. */
  after?: { owner: string; runStrategy: string };
  error?: string;
}

/** Options of {@link planMixedBurst}. */
export interface MixedBurstPlanOptions {
  count: number;
  seconds: number;
  random: () => number;
  /** The VMs as they are; updated to what the clusters will hold afterwards. */
  vms: BenchVm[];
  /** Owners a relabel or a recreate moves a VM to. */
  owners: string[];
}

/** What {@link makeMixedBurst} did. */
export interface MixedBurst {
  changes: BurstChange[];
  startedAt: number;
  /** When the apiservers had accepted every change. */
  endedAt: number;
}

function pick<T>(items: T[], random: () => number): T | undefined {
  return items.length === 0
    ? undefined
    : items[Math.floor(random() * items.length)];
}

/**
 * Draws `count` random changes due evenly over `seconds`: delete, owner relabel, stop
 * (`spec.runStrategy: Halted`), or delete and create again under another owner. A VM
 * can be changed more than once. Drawn up front, so that the end state (and the
 * floor's replay) does not depend on how fast the apiservers answer.
 */
export function planMixedBurst(options: MixedBurstPlanOptions): BurstChange[] {
  const { random, vms } = options;
  const changes: BurstChange[] = [];
  for (let index = 0; index < options.count; index++) {
    const existing = vms.filter(v => v.exists);
    let kind = pick([...BURST_CHANGE_KINDS], random)!;
    let vm: BenchVm | undefined;
    if (kind === 'stop') {
      vm = pick(
        existing.filter(v => v.runStrategy !== 'Halted'),
        random,
      );
      if (!vm) kind = 'relabel';
    }
    vm ??= pick(existing, random);
    if (!vm) throw new Error(`no VM left to ${kind} (change ${index})`);
    if (kind === 'relabel' || kind === 'recreate') {
      vm.owner =
        pick(
          options.owners.filter(o => o !== vm!.owner),
          random,
        ) ?? vm.owner;
    }
    if (kind === 'stop') vm.runStrategy = 'Halted';
    if (kind === 'delete') vm.exists = false;
    changes.push({
      index,
      kind,
      vm,
      entityName: oursView.entityName(vm),
      dueMs: (index * options.seconds * 1000) / options.count,
      submittedAt: 0,
      doneAt: 0,
      ...(vm.exists && {
        after: { owner: vm.owner, runStrategy: vm.runStrategy },
      }),
    });
  }
  return changes;
}

/**
 * Makes the planned changes on the clusters, each started when due without waiting
 * for the others (as many users, or a GitOps sync, would), but after the change
 * before it to the same VM. Fills in each change's times.
 */
export async function makeMixedBurst(
  changes: BurstChange[],
  clusterList: ClusterInfo[],
): Promise<MixedBurst> {
  const clusters = new Map(clusterList.map(c => [c.name, c]));
  const lastOnVm = new Map<BenchVm, Promise<void>>();

  const one = async (change: BurstChange) => {
    const { vm } = change;
    const after = change.after;
    const kc = kubeConfigFor(clusters.get(vm.cluster)!);
    const path = `${vmCollectionPath(vm.namespace)}/${vm.name}`;
    change.submittedAt = Date.now();
    try {
      if (change.kind === 'relabel') {
        await kubeRequest(
          kc,
          'PATCH',
          path,
          { metadata: { labels: { [OWNER_LABEL]: after!.owner } } },
          'application/merge-patch+json',
        );
      } else if (change.kind === 'stop') {
        await kubeRequest(
          kc,
          'PATCH',
          path,
          { spec: { runStrategy: 'Halted' } },
          'application/merge-patch+json',
        );
      } else {
        await kubeRequest(kc, 'DELETE', path);
        if (change.kind === 'recreate') {
          change.deletedAt = Date.now();
          // The same name at once, as a GitOps tool replacing an object does (retried
          // while the old one may still be going: the test VM has no finalizers).
          await waitUntil(
            `${vm.name} created again`,
            30_000,
            async () => {
              await kubeRequest(
                kc,
                'POST',
                vmCollectionPath(vm.namespace),
                vmManifest({ ...vm, ...after! }),
              );
              return true;
            },
            100,
          );
        }
      }
    } catch (error) {
      change.error = error instanceof Error ? error.message : String(error);
    } finally {
      change.doneAt = Date.now();
    }
  };

  const startedAt = Date.now();
  const running: Array<Promise<void>> = [];
  for (const change of changes) {
    const wait = startedAt + change.dueMs - Date.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
    const previous = lastOnVm.get(change.vm) ?? Promise.resolve();
    const done = previous.then(() => one(change));
    lastOnVm.set(change.vm, done);
    running.push(done);
  }
  await Promise.all(running);
  return {
    changes,
    startedAt,
    endedAt: Math.max(...changes.map(c => c.doneAt)),
  };
}
