import type { KubevirtCondition } from '@vmportal/plugin-kubevirt-common';
import { now } from './resources';

/** The condition of `type`, if present. */
export function findCondition(
  conditions: KubevirtCondition[] | undefined,
  type: string,
): KubevirtCondition | undefined {
  return conditions?.find(c => c.type === type);
}

/** Whether the condition of `type` has `status` (and `reason`, if given). */
export function hasCondition(
  conditions: KubevirtCondition[] | undefined,
  type: string,
  status: KubevirtCondition['status'],
  reason?: string,
): boolean {
  const condition = findCondition(conditions, type);
  return (
    condition?.status === status &&
    (reason === undefined || condition.reason === reason)
  );
}

/**
 * Sets a condition as KubeVirt's condition managers do: an existing one is
 * replaced only when its status, reason or message changes, so timestamps
 * keep meaning "since when".
 */
export function updateCondition(
  conditions: KubevirtCondition[],
  condition: KubevirtCondition,
): KubevirtCondition[] {
  const index = conditions.findIndex(c => c.type === condition.type);
  if (index < 0) return [...conditions, condition];
  const current = conditions[index];
  if (
    current.status === condition.status &&
    (current.reason ?? '') === (condition.reason ?? '') &&
    (current.message ?? '') === (condition.message ?? '')
  ) {
    return conditions;
  }
  return conditions.map((c, i) => (i === index ? condition : c));
}

/** The conditions without the one of `type`. */
export function removeCondition(
  conditions: KubevirtCondition[],
  type: string,
): KubevirtCondition[] {
  return conditions.filter(c => c.type !== type);
}

/**
 * Sets a condition as CDI's `updateConditionState` does: a new status moves
 * `lastTransitionTime`, any change of status, reason or message moves
 * `lastHeartbeatTime`, and an unchanged condition is left as it was (so that
 * writing it again changes nothing).
 */
export function setCdiCondition(
  conditions: KubevirtCondition[] | undefined,
  condition: Pick<KubevirtCondition, 'type' | 'status'> & {
    reason: string;
    message: string;
  },
): KubevirtCondition[] {
  const list = conditions ?? [];
  const current = findCondition(list, condition.type);
  if (
    current &&
    current.status === condition.status &&
    (current.reason ?? '') === condition.reason &&
    (current.message ?? '') === condition.message
  ) {
    return list;
  }
  const timestamp = now();
  const next: KubevirtCondition = {
    ...condition,
    lastTransitionTime:
      current?.status === condition.status
        ? current.lastTransitionTime
        : timestamp,
    lastHeartbeatTime: timestamp,
  };
  return current ? list.map(c => (c === current ? next : c)) : [...list, next];
}
