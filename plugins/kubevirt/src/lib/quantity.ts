import {
  formatQuantityForHumans,
  Quantity,
} from '@vmportal/plugin-kubevirt-common';

/**
 * A quota quantity for people, as kubevirt-common's `formatQuantityForHumans` writes
 * it (the backend's quota sentences use the same): `12 GiB`, `2.5 CPUs`, `8`.
 * Text that is not a quantity comes back as is.
 */
export function formatQuantity(quantity: string, resource: string): string {
  const parsed = Quantity.tryParse(quantity);
  return parsed ? formatQuantityForHumans(resource, parsed) : quantity;
}

/** What a quota resource counts, in words: `requests.cpu` → `CPU requests`. */
export function describeResource(resource: string): string {
  const known: Record<string, string> = {
    'requests.cpu': 'CPU requests',
    cpu: 'CPU requests',
    'limits.cpu': 'CPU limits',
    'requests.memory': 'Memory requests',
    memory: 'Memory requests',
    'limits.memory': 'Memory limits',
    'requests.storage': 'Storage requests',
    'count/virtualmachines.kubevirt.io': 'Virtual machines',
    persistentvolumeclaims: 'Volume claims',
    pods: 'Pods',
  };
  return known[resource] ?? resource;
}
