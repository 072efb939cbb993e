import type { SnapshotCondition } from '@vmportal/plugin-kubevirt-common';
import { now } from './resources';

/*
 * The constants and condition helpers of KubeVirt v1.9's
 * `kubevirt.io/api/snapshot/v1beta1` that the simulator's snapshot and restore
 * controllers use; the object types are the portal's (`@vmportal/plugin-kubevirt-common`).
 */

/** `snapshot.kubevirt.io/v1beta1`. */
export const SNAPSHOT_API_VERSION = 'snapshot.kubevirt.io/v1beta1';

/** `snapshotv1.DefaultFailureDeadline` and `DefaultGracePeriod`: five minutes each. */
export const DEFAULT_SNAPSHOT_DEADLINE_MS = 5 * 60_000;

/** A condition as KubeVirt's snapshot `newXCondition` helpers build it. */
export function snapshotCondition(
  type: SnapshotCondition['type'],
  status: SnapshotCondition['status'],
  reason: string,
): SnapshotCondition {
  return {
    type,
    status,
    reason,
    lastProbeTime: null,
    lastTransitionTime: now(),
  };
}

/**
 * KubeVirt's snapshot `updateCondition`: a condition is replaced only when its
 * status or reason changes, so its transition time keeps meaning "since when".
 */
export function setSnapshotCondition(
  conditions: SnapshotCondition[] | undefined,
  condition: SnapshotCondition,
): SnapshotCondition[] {
  const list = conditions ?? [];
  const index = list.findIndex(c => c.type === condition.type);
  if (index < 0) return [...list, condition];
  const current = list[index];
  if (
    current.status === condition.status &&
    current.reason === condition.reason
  )
    return list;
  return list.map((c, i) => (i === index ? condition : c));
}

/**
 * Milliseconds in a Go `time.Duration` string as `metav1.Duration` writes it
 * ("5m0s", "1h30m", "90s", "250ms"); `undefined` for anything else.
 */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * units[match[2]];
    index = part.lastIndex;
  }
  return index > 0 ? total : undefined;
}
