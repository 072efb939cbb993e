/** The value at a dotted `path` (`where.cluster`) of a scaffolder form's data. */
export function formValueAt(data: unknown, path: string): unknown {
  let current: unknown = data;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Non-blank text, trimmed; undefined for anything else. */
export function formText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== ''
    ? value.trim()
    : undefined;
}

/**
 * A disk size from a form field: a quantity (`60Gi`), or a number of GiB as a
 * number field gives it; undefined when blank or not positive.
 */
export function formDiskSize(value: unknown): string | undefined {
  if (typeof value === 'number') {
    return value > 0 ? `${value}Gi` : undefined;
  }
  return formText(value);
}
