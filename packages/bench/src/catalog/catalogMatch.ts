import type { Entity } from '@backstage/catalog-model';
import { KUBEVIRT_ENTITY_LABELS } from '@vmportal/plugin-kubevirt-common';
import { seconds } from '../lib/stats';
import type { BackendWorker } from './BackendWorker';
import { oursView } from './changes';
import type { BenchVm } from './virtualMachines';

/** What the catalog must show for one VM. */
export interface ExpectedComponent {
  /** `group:default/<owner>` */
  owner: string;
  runStrategy: string;
}

/** Every existing VM's entity, by entity name; nothing else may be there. */
export function expectedCatalog(
  vms: BenchVm[],
): Map<string, ExpectedComponent> {
  return new Map(
    vms
      .filter(vm => vm.exists)
      .map(vm => [
        oursView.entityName(vm),
        { owner: `group:default/${vm.owner}`, runStrategy: vm.runStrategy },
      ]),
  );
}

/** What the catalog must show when it holds exactly `entities` (as a provider emitted them). */
export function expectedFromEntities(
  entities: Entity[],
): Map<string, ExpectedComponent> {
  return new Map(
    entities.map(entity => [
      entity.metadata.name,
      {
        owner: String(entity.spec?.owner ?? ''),
        runStrategy:
          entity.metadata.labels?.[KUBEVIRT_ENTITY_LABELS.runStrategy] ?? '',
      },
    ]),
  );
}

/** One poll of the catalog while it caught up. */
export interface MatchSample {
  /** Seconds from `from`. */
  atSeconds: number;
  /** Entities missing, extra or showing a wrong owner or run strategy. */
  wrong: number;
  processingDue: number;
  stitchQueued: number;
  stitchDue: number;
  /** Entities the catalog processed since the first poll. */
  processed: number;
}

/** What {@link waitForMatch} saw. */
export interface MatchResult {
  /** When a poll first found the catalog exactly as expected; undefined: timed out. */
  matchedAt?: number;
  /** For each watched name, the first poll after which it stayed right. */
  rightSince: Map<string, number>;
  polls: number;
  /** About one sample a second, and the last. */
  samples: MatchSample[];
  /** At the last poll, if it never matched: what was still wrong (a few of each). */
  stillWrong?: { missing: string[]; extra: string[]; wrong: string[] };
}

/**
 * Polls the worker's final Components (its database, not the API: a read of a few
 * rows per entity) until they are exactly `expected`: every name present with its
 * owner and run strategy, no other Component. Records when each name of `watch`
 * became right for good, and the catalog's queues on the way.
 */
export async function waitForMatch(
  worker: BackendWorker,
  expected: Map<string, ExpectedComponent>,
  options: {
    watch: Iterable<string>;
    /** Sample times count from here. */
    from: number;
    timeoutMs: number;
    /** A match counts only once this holds (every change is made). */
    ready?: () => boolean;
  },
): Promise<MatchResult> {
  const pollMs = expected.size <= 2000 ? 250 : 1000;
  const watch = new Set(options.watch);
  const rightSince = new Map<string, number>();
  const samples: MatchSample[] = [];
  const deadline = Date.now() + options.timeoutMs;
  let polls = 0;
  let last: MatchSample | undefined;
  let processedAtFirst: number | undefined;
  for (;;) {
    const state = await worker.catalogState();
    const now = Date.now();
    polls += 1;
    const seen = new Set<string>();
    const missing: string[] = [];
    const extra: string[] = [];
    const wrong: string[] = [];
    for (const [name, owner, runStrategy] of state.components) {
      seen.add(name);
      const want = expected.get(name);
      if (!want) extra.push(name);
      else if (want.owner !== owner || want.runStrategy !== runStrategy) {
        wrong.push(name);
      }
    }
    for (const name of expected.keys()) {
      if (!seen.has(name)) missing.push(name);
    }
    const bad = new Set([...missing, ...extra, ...wrong]);
    for (const name of watch) {
      if (bad.has(name)) rightSince.delete(name);
      else if (!rightSince.has(name)) rightSince.set(name, now);
    }
    const sample: MatchSample = {
      atSeconds: seconds(now - options.from),
      wrong: bad.size,
      processingDue: state.processingDue,
      stitchQueued: state.stitchQueued,
      stitchDue: state.stitchDue,
      processed: state.processed - (processedAtFirst ??= state.processed),
    };
    if (!last || sample.atSeconds - last.atSeconds >= 1 || bad.size === 0) {
      samples.push(sample);
      last = sample;
    }
    const ready = options.ready?.() ?? true;
    if (bad.size === 0 && ready) {
      return { matchedAt: now, rightSince, polls, samples };
    }
    if (now > deadline) {
      return {
        rightSince,
        polls,
        samples,
        stillWrong: {
          missing: missing.slice(0, 5),
          extra: extra.slice(0, 5),
          wrong: wrong.slice(0, 5),
        },
      };
    }
    await new Promise(r => setTimeout(r, pollMs));
  }
}
