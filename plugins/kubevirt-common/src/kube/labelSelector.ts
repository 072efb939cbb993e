import type { LabelSelectorLike } from './kubernetesObjects';

/**
 * Whether `labels` match `selector` as Kubernetes' `metav1.LabelSelectorAsSelector`
 * would: all matchLabels and all matchExpressions must hold; an empty selector
 * matches everything. An expression with an unknown operator matches nothing.
 */
export function matchesLabelSelector(
  selector: LabelSelectorLike,
  labels: Record<string, string> = {},
): boolean {
  const has = (key: string) =>
    Object.prototype.hasOwnProperty.call(labels, key);
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!has(key) || labels[key] !== value) return false;
  }
  for (const expression of selector.matchExpressions ?? []) {
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
        if (!has(expression.key) || !values.includes(labels[expression.key])) {
          return false;
        }
        break;
      case 'NotIn':
        if (has(expression.key) && values.includes(labels[expression.key])) {
          return false;
        }
        break;
      case 'Exists':
        if (!has(expression.key)) return false;
        break;
      case 'DoesNotExist':
        if (has(expression.key)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
