import type { QuotaPlanRequest } from '@vmportal/plugin-kubevirt-common';

/**
 * `ui:options` of the `VirtualMachineSizePicker` field: where in the form it finds
 * the cluster, the namespace and, optionally, the data disk's size.
 *
 * @public
 */
export type VirtualMachineSizePickerUiOptions = {
  /** Form field with the cluster's name (dots for nested fields). Default `cluster`. */
  clusterField?: string;
  /** Form field with the namespace. Default `namespace`. */
  namespaceField?: string;
  /**
   * Form field with the data disk's size, a quantity (`60Gi`) or a number of GiB;
   * when set, the quota plan counts the disk too.
   */
  diskSizeField?: string;
};

function valueAt(data: unknown, path: string): unknown {
  let current: unknown = data;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== ''
    ? value.trim()
    : undefined;
}

/** The cluster, namespace and plan request that a chosen size means in this form. */
export function planTarget(
  formData: unknown,
  options: VirtualMachineSizePickerUiOptions | undefined,
  instancetype: string,
): { cluster?: string; namespace?: string; request: QuotaPlanRequest } {
  const cluster = text(valueAt(formData, options?.clusterField ?? 'cluster'));
  const namespace = text(
    valueAt(formData, options?.namespaceField ?? 'namespace'),
  );
  const request: QuotaPlanRequest = { instancetype };
  if (options?.diskSizeField) {
    const disk = valueAt(formData, options.diskSizeField);
    const size =
      typeof disk === 'number' && disk > 0 ? `${disk}Gi` : text(disk);
    if (size) {
      request.disks = [{ name: 'data', size }];
    }
  }
  return { cluster, namespace, request };
}
