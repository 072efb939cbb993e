import {
  DEFAULT_NAMESPACE,
  KubernetesValidatorFunctions,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';

/**
 * Turns `value` into an entity ref of `kind` (`team-web` becomes
 * `group:default/team-web`, `default/team-web` and `group:ops/team-web` are kept), or
 * undefined when it is not a valid ref of that kind. Label values cannot hold `:` or
 * `/`, so a label holds a bare name and an annotation may hold a full ref.
 */
export function toEntityRef(
  value: string | undefined,
  kind: 'group' | 'system',
): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  let ref;
  try {
    ref = parseEntityRef(text, {
      defaultKind: kind,
      defaultNamespace: DEFAULT_NAMESPACE,
    });
  } catch {
    return undefined;
  }
  if (ref.kind.toLocaleLowerCase('en-US') !== kind) return undefined;
  if (
    !KubernetesValidatorFunctions.isValidObjectName(ref.name) ||
    !KubernetesValidatorFunctions.isValidNamespace(ref.namespace)
  ) {
    return undefined;
  }
  return stringifyEntityRef(ref);
}

/** A `spec.lifecycle` value: any short text without spaces. */
export function toLifecycle(value: string | undefined): string | undefined {
  const text = value?.trim();
  if (!text || text.length > 63 || !/^[A-Za-z0-9][-A-Za-z0-9_.]*$/.test(text)) {
    return undefined;
  }
  return text;
}

/** Makes `value` a valid label value (at most 63 characters of `[A-Za-z0-9-_.]`), or undefined. */
export function toLabelValue(
  value: string | number | undefined,
): string | undefined {
  if (value === undefined) return undefined;
  const text = String(value)
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
  return text || undefined;
}

/** Makes `value` a valid tag (`[a-z0-9:+#]` words joined by `-`), or undefined. */
export function toTag(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const text = value
    .toLocaleLowerCase('en-US')
    .replace(/[^a-z0-9:+#]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return text || undefined;
}
