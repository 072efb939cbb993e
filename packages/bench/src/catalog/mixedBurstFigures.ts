import { seconds, summarize } from '../lib/stats';
import type { BackendWorker } from './BackendWorker';
import type { FloorReplay } from './burstFloor';
import type { MatchResult, MatchSample } from './catalogMatch';
import type { BurstChange, MixedBurst } from './mixedBurst';

/** Each VM's last change of the burst: the one the catalog must end up showing. */
export function lastChanges(changes: BurstChange[]): BurstChange[] {
  const last = new Map<string, BurstChange>();
  for (const change of changes) last.set(change.entityName, change);
  return [...last.values()];
}

function queueFigures(samples: MatchSample[]) {
  const max = (key: 'processingDue' | 'stitchQueued' | 'stitchDue') =>
    Math.max(0, ...samples.map(s => s[key]));
  return {
    maxProcessingDue: max('processingDue'),
    maxStitchQueued: max('stitchQueued'),
    maxStitchDue: max('stitchDue'),
    /** Entity processings from the burst's start until the match. */
    processed: samples[samples.length - 1]?.processed ?? 0,
    /**
     * About one a second: [seconds from the burst's start, entities wrong, processing
     * due, stitch queued, stitch due, processed so far].
     */
    samples: samples.map(s => [
      s.atSeconds,
      s.wrong,
      s.processingDue,
      s.stitchQueued,
      s.stitchDue,
      s.processed,
    ]),
  };
}

function matched(match: MatchResult, endedAt: number) {
  return {
    matchedAfterSeconds:
      match.matchedAt === undefined
        ? undefined
        : seconds(Math.max(0, match.matchedAt - endedAt)),
    polls: match.polls,
    ...(match.stillWrong && { stillWrong: match.stillWrong }),
  };
}

/**
 * Ours: from the end of the burst until the catalog matched; for each VM's last change,
 * the delay until it showed and where it went (watch event, provider batch + mutation
 * accepted, catalog processing + stitching), from the provider's observer hook.
 */
export function oursBurstFigures(
  burst: MixedBurst,
  match: MatchResult,
  worker: BackendWorker,
) {
  const toWatch: number[] = [];
  const toAccepted: number[] = [];
  const toVisible: number[] = [];
  const latency: number[] = [];
  const slowest: Array<{ ms: number; text: string }> = [];
  for (const change of lastChanges(burst.changes)) {
    const visibleAt = match.rightSince.get(change.entityName);
    // Right before it was made: the VM came back to how it was, with nothing to show.
    if (visibleAt === undefined || visibleAt < change.submittedAt) continue;
    const ref = `component:default/${change.entityName}`;
    latency.push(visibleAt - change.submittedAt);
    // A recreate shows twice on the watch (deleted, added): the last event counts.
    const seen = worker.changes.filter(
      c =>
        c.observedAt >= change.submittedAt &&
        c.refs.some(r => r.toLowerCase() === ref),
    );
    const watchAt = seen[seen.length - 1]?.observedAt;
    const acceptedAt =
      watchAt === undefined
        ? undefined
        : worker.mutations.find(
            m =>
              m.appliedAt >= watchAt &&
              m.refs.some(r => r.toLowerCase() === ref),
          )?.appliedAt;
    if (watchAt !== undefined) toWatch.push(watchAt - change.submittedAt);
    if (watchAt !== undefined && acceptedAt !== undefined) {
      toAccepted.push(acceptedAt - watchAt);
      toVisible.push(Math.max(0, visibleAt - acceptedAt));
    }
    slowest.push({
      ms: visibleAt - change.submittedAt,
      text: `${change.kind} ${change.entityName} at ${seconds(
        change.submittedAt - burst.startedAt,
      )} s: watch ${
        watchAt === undefined ? '?' : seconds(watchAt - change.submittedAt)
      } s, accepted ${
        acceptedAt === undefined
          ? '?'
          : seconds(acceptedAt - change.submittedAt)
      } s, shown ${seconds(visibleAt - change.submittedAt)} s`,
    });
  }
  const deltas = worker.mutations.filter(
    m =>
      m.mutationType === 'delta' &&
      m.appliedAt >= burst.startedAt &&
      m.appliedAt <= (match.matchedAt ?? Date.now()),
  );
  return {
    writeSeconds: seconds(burst.endedAt - burst.startedAt),
    /** How long the apiservers took to accept each change (both requests of a recreate). */
    apiserverRequestMs: summarize(
      burst.changes.map(c => c.doneAt - c.submittedAt),
    ),
    ...matched(match, burst.endedAt),
    lastChangeLatency: summarize(latency),
    split: {
      changeToWatchEvent: summarize(toWatch),
      watchEventToMutationAccepted: summarize(toAccepted),
      mutationAcceptedToVisible: summarize(toVisible),
    },
    deltaMutations: deltas.length,
    deltaMutationMs: summarize(deltas.map(m => m.durationMs)),
    slowest: slowest
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5)
      .map(s => s.text),
    queues: queueFigures(match.samples),
  };
}

/** The floor: the same figures, each change counted from when it was due. */
export function floorBurstFigures(replay: FloorReplay, match: MatchResult) {
  const lastOf = new Set(lastChanges(replay.deltas.map(d => d.change)));
  const latency: number[] = [];
  const toAccepted: number[] = [];
  const toVisible: number[] = [];
  for (const delta of replay.deltas) {
    if (!lastOf.has(delta.change)) continue;
    const visibleAt = match.rightSince.get(delta.change.entityName);
    if (visibleAt === undefined || visibleAt < delta.dueAt) continue;
    latency.push(visibleAt - delta.dueAt);
    toAccepted.push(delta.acceptedAt - delta.dueAt);
    toVisible.push(Math.max(0, visibleAt - delta.acceptedAt));
  }
  return {
    ...matched(match, replay.endedAt),
    lastChangeLatency: summarize(latency),
    split: {
      dueToMutationAccepted: summarize(toAccepted),
      mutationAcceptedToVisible: summarize(toVisible),
    },
    deltaMutations: replay.mutations,
    queues: queueFigures(match.samples),
  };
}
