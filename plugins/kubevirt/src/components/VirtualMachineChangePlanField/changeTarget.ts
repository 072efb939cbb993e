import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import type { VirtualMachineChange } from '@vmportal/plugin-kubevirt-common';
import {
  formDiskSize,
  formText as text,
  formValueAt as valueAt,
} from '../../lib/formValues';

/**
 * `ui:options` of the `VirtualMachineChangePlanField`: which change it plans, and
 * where in the form it finds the VM and (for a disk) the disk.
 *
 * @public
 */
export type VirtualMachineChangePlanFieldUiOptions = {
  /**
   * `resize`: the field picks the new size (its value is the instancetype's name);
   * `custom-size`: it plans a resize to the vCPUs and memory the form's other fields
   * give, for a VM without an instancetype (its value is the plan's summary);
   * `add-disk`: it plans the disk the form's other fields describe (its value is the
   * plan's summary).
   */
  kind: 'resize' | 'custom-size' | 'add-disk';
  /** Form field with the VM's entity ref (dots for nested fields). Default `vm`. */
  entityField?: string;
  /** For `add-disk`: form field with the disk's size, a quantity or a number of GiB. Default `size`. */
  sizeField?: string;
  /** For `add-disk`: form field with the storage class (blank: the cluster's default). Default `storageClass`. */
  storageClassField?: string;
  /** For `add-disk`: form field with the disk's name. Default `name`. */
  nameField?: string;
  /** For `custom-size`: form field with the number of vCPUs. Default `cpu`. */
  cpuField?: string;
  /** For `custom-size`: form field with the guest memory, a quantity or a number of GiB. Default `memory`. */
  memoryField?: string;
};

/** The change a form asks for, as far as it is filled in. */
export interface ChangeTarget {
  kind?: VirtualMachineChangePlanFieldUiOptions['kind'];
  /** The VM's entity ref, normalised (`component:default/web-1`). */
  entityRef?: string;
  /** The change, once the form says enough to plan it. */
  change?: VirtualMachineChange;
  /** Why the template cannot work as configured (a template author's mistake). */
  misconfigured?: string;
}

function entityRefAt(value: unknown): string | undefined {
  const ref = text(value);
  if (!ref) {
    return undefined;
  }
  try {
    return stringifyEntityRef(
      parseEntityRef(ref, {
        defaultKind: 'component',
        defaultNamespace: 'default',
      }),
    );
  } catch {
    return undefined;
  }
}

/** The VM and the change a change template's form asks for, with `value` the field's. */
export function changeTarget(
  formData: unknown,
  options: Partial<VirtualMachineChangePlanFieldUiOptions> | undefined,
  value: string | undefined,
): ChangeTarget {
  const kind = options?.kind;
  if (kind !== 'resize' && kind !== 'custom-size' && kind !== 'add-disk') {
    return {
      misconfigured: `The template must set ui:options.kind of this field to resize, custom-size or add-disk (it is ${
        kind === undefined ? 'not set' : JSON.stringify(kind)
      }).`,
    };
  }
  const entityRef = entityRefAt(
    valueAt(formData, options?.entityField ?? 'vm'),
  );
  if (!entityRef) {
    return { kind };
  }
  if (kind === 'resize') {
    const instancetype = text(value);
    return {
      kind,
      entityRef,
      change: instancetype ? { kind, instancetype } : undefined,
    };
  }
  if (kind === 'custom-size') {
    const cpu = Number(valueAt(formData, options?.cpuField ?? 'cpu'));
    const memory = formDiskSize(
      valueAt(formData, options?.memoryField ?? 'memory'),
    );
    return {
      kind,
      entityRef,
      change:
        Number.isInteger(cpu) && cpu > 0 && memory
          ? { kind: 'resize', cpu, memory }
          : undefined,
    };
  }
  const name = text(valueAt(formData, options?.nameField ?? 'name'));
  const size = formDiskSize(valueAt(formData, options?.sizeField ?? 'size'));
  const storageClass = text(
    valueAt(formData, options?.storageClassField ?? 'storageClass'),
  );
  return {
    kind,
    entityRef,
    change:
      name && size
        ? { kind, name, size, ...(storageClass ? { storageClass } : {}) }
        : undefined,
  };
}
