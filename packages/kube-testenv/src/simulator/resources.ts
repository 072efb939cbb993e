import type { CustomObjectsApi } from '@kubernetes/client-node';
import { describeError, errorStatus } from '../kubeClient';

/** Group, version and plural of a custom resource, as CustomObjectsApi takes them. */
export interface CustomResource {
  group: string;
  version: string;
  plural: string;
}

/** `kubevirt.io/v1` virtualmachines. */
export const VIRTUAL_MACHINES: CustomResource = {
  group: 'kubevirt.io',
  version: 'v1',
  plural: 'virtualmachines',
};

/** `kubevirt.io/v1` virtualmachineinstances. */
export const VIRTUAL_MACHINE_INSTANCES: CustomResource = {
  group: 'kubevirt.io',
  version: 'v1',
  plural: 'virtualmachineinstances',
};

/** `kubevirt.io/v1` kubevirts (the operator's CR: cluster configuration). */
export const KUBEVIRTS: CustomResource = {
  group: 'kubevirt.io',
  version: 'v1',
  plural: 'kubevirts',
};

/** `cdi.kubevirt.io/v1beta1` datavolumes. */
export const DATA_VOLUMES: CustomResource = {
  group: 'cdi.kubevirt.io',
  version: 'v1beta1',
  plural: 'datavolumes',
};

/** `cdi.kubevirt.io/v1beta1` datasources. */
export const DATA_SOURCES: CustomResource = {
  group: 'cdi.kubevirt.io',
  version: 'v1beta1',
  plural: 'datasources',
};

/** `kubevirt.io/v1` virtualmachineinstancemigrations. */
export const VIRTUAL_MACHINE_INSTANCE_MIGRATIONS: CustomResource = {
  group: 'kubevirt.io',
  version: 'v1',
  plural: 'virtualmachineinstancemigrations',
};

/** Application Aware Quota's `aaq.kubevirt.io/v1alpha1` applicationawareresourcequotas. */
export const APPLICATION_AWARE_RESOURCE_QUOTAS: CustomResource = {
  group: 'aaq.kubevirt.io',
  version: 'v1alpha1',
  plural: 'applicationawareresourcequotas',
};

/** Application Aware Quota's operator CR, `aaq.kubevirt.io/v1alpha1` aaqs (one per cluster). */
export const AAQS: CustomResource = {
  group: 'aaq.kubevirt.io',
  version: 'v1alpha1',
  plural: 'aaqs',
};

/** `cdi.kubevirt.io/v1beta1` dataimportcrons. */
export const DATA_IMPORT_CRONS: CustomResource = {
  group: 'cdi.kubevirt.io',
  version: 'v1beta1',
  plural: 'dataimportcrons',
};

/** The instancetype API's group and version. */
export const INSTANCETYPE_API = {
  group: 'instancetype.kubevirt.io',
  version: 'v1beta1',
};

/** The finalizer virt-api's webhook puts on every VMI. */
export const VMI_FINALIZER = 'kubevirt.io/foregroundDeleteVirtualMachine';
/** The finalizer the VM controller puts on VMs and on the VMIs it creates. */
export const VM_CONTROLLER_FINALIZER =
  'kubevirt.io/virtualMachineControllerFinalize';

/** Label on launcher pods naming the VMI's UID. */
export const CREATED_BY_LABEL = 'kubevirt.io/created-by';
/** Label selecting every virt-launcher pod. */
export const LAUNCHER_SELECTOR = 'kubevirt.io=virt-launcher';
/** Label selecting the pods KubeVirt creates for VMIs: virt-launcher and hot-plug attachment pods. */
export const KUBEVIRT_POD_SELECTOR =
  'kubevirt.io in (virt-launcher,hotplug-disk)';

/** `call()`'s result, or `undefined` when the apiserver answers 404. */
export async function orNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (errorStatus(error) === 404) return undefined;
    throw error;
  }
}

/** A namespaced custom object as the caller types it, or `undefined` when there is none (404). */
export async function readCustomObject<T>(
  custom: CustomObjectsApi,
  resource: CustomResource,
  namespace: string,
  name: string,
): Promise<T | undefined> {
  return (await orNotFound(
    custom.getNamespacedCustomObject({ ...resource, namespace, name }),
  )) as T | undefined;
}

/** An RFC 3339 timestamp with second precision, as Kubernetes writes `metav1.Time`. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** A Date-typed field from client-node's deserializer or a raw string, as a string. */
export function timeString(
  value: Date | string | undefined | null,
): string | undefined {
  if (!value) return undefined;
  return value instanceof Date
    ? value.toISOString().replace(/\.\d+Z$/, 'Z')
    : value;
}

/** JSON with object keys sorted, so equal objects compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a.localeCompare(b),
          ),
        )
      : v,
  );
}

/**
 * Whether a JSON patch failed on one of its `test` operations (someone changed
 * the object since we read it): the apiserver answers 422 Invalid with only
 * its generic message and no causes, unlike a real validation error.
 */
export function isPatchTestFailure(error: unknown): boolean {
  return (
    errorStatus(error) === 422 &&
    describeError(error) ===
      'the server rejected our request due to an error in our request'
  );
}

/** Rethrows a failed `test` of a JSON patch as a conflict, which the work queue retries quietly. */
export function conflictOnPatchTestFailure(error: unknown): never {
  if (isPatchTestFailure(error)) {
    throw Object.assign(new Error('the object changed since it was read'), {
      code: 409,
    });
  }
  throw error;
}
