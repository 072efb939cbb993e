import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { KUBEVIRT_ENTITY_LABELS } from '@vmportal/plugin-kubevirt-common';
import type { BackendWorker } from './BackendWorker';
import type { BurstChange, MixedBurst } from './mixedBurst';

/** One change of the burst as the floor's static provider applied it. */
export interface FloorDelta {
  change: BurstChange;
  /** When the change was due (as long after the replay's start as it was made after the burst's). */
  dueAt: number;
  /** When the delta holding it was handed to the catalog. */
  sentAt: number;
  /** When the catalog accepted that delta. */
  acceptedAt: number;
}

/** What {@link replayBurstOnFloor} did. */
export interface FloorReplay {
  deltas: FloorDelta[];
  /** Delta mutations applied (several changes can share one). */
  mutations: number;
  startedAt: number;
  /** As long after `startedAt` as the burst's last change was accepted after its start. */
  endedAt: number;
}

/**
 * The entity the provider emits for the VM after `change`: its emitted entity (as it
 * ended, else as it was before the burst) with the owner and run strategy the change
 * left. Those two are all a change alters, so the end state is the provider's own.
 */
function entityAfter(
  change: BurstChange,
  before: Map<string, Entity>,
  after: Map<string, Entity>,
): Entity {
  const base = after.get(change.entityName) ?? before.get(change.entityName);
  if (!base) throw new Error(`no entity for ${change.entityName}`);
  const entity = structuredClone(base);
  entity.spec = {
    ...entity.spec,
    owner: `group:default/${change.after!.owner}`,
  };
  entity.metadata.labels = {
    ...entity.metadata.labels,
    [KUBEVIRT_ENTITY_LABELS.runStrategy]: change.after!.runStrategy,
  };
  return entity;
}

/**
 * The burst through the floor, as an ideal provider would apply it: each change as
 * soon as it is due (at the same offsets as on the clusters), no watch and no batch
 * window; changes that fall due while the catalog takes a delta go into the next one,
 * the latest change of a VM deciding (a recreate is then an upsert, as in ours when
 * its delete and create share a batch). What remains is the catalog's own processing
 * and stitching.
 */
export async function replayBurstOnFloor(
  worker: BackendWorker,
  burst: MixedBurst,
  entities: { before: Entity[]; after: Entity[] },
): Promise<FloorReplay> {
  const byName = (list: Entity[]) =>
    new Map(list.map(e => [e.metadata.name, e]));
  const before = byName(entities.before);
  const after = byName(entities.after);
  const changes = [...burst.changes].sort(
    (a, b) => a.submittedAt - b.submittedAt,
  );
  const startedAt = Date.now();
  const dueAt = (change: BurstChange) =>
    startedAt + (change.submittedAt - burst.startedAt);
  const deltas: FloorDelta[] = [];
  let mutations = 0;
  let next = 0;
  while (next < changes.length) {
    const wait = dueAt(changes[next]) - Date.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
    const group: BurstChange[] = [];
    while (next < changes.length && dueAt(changes[next]) <= Date.now()) {
      group.push(changes[next++]);
    }
    const latest = new Map(group.map(c => [c.entityName, c]));
    const added: Entity[] = [];
    const removed: string[] = [];
    for (const change of latest.values()) {
      const ref = `component:default/${change.entityName}`;
      if (change.kind === 'delete') {
        removed.push(ref);
        continue;
      }
      const entity = entityAfter(change, before, after);
      if (stringifyEntityRef(entity) !== ref) {
        throw new Error(`${ref} is not the ref of the entity it stands for`);
      }
      added.push(entity);
    }
    const sentAt = Date.now();
    await worker.applyDelta(added, removed);
    mutations += 1;
    const acceptedAt = Date.now();
    for (const change of group) {
      deltas.push({ change, dueAt: dueAt(change), sentAt, acceptedAt });
    }
  }
  return {
    deltas,
    mutations,
    startedAt,
    // Not the last delta's time: a catalog slow to take deltas is the floor's own cost.
    endedAt: startedAt + (burst.endedAt - burst.startedAt),
  };
}
