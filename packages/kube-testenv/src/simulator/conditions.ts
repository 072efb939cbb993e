import type { KubevirtCondition } from '@vmportal/plugin-kubevirt-common';

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
