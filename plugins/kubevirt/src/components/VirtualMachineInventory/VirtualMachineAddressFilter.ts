import {
  type Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import type { EntityFilter } from '@backstage/plugin-catalog-react';
import type { VirtualMachineAddressMatch } from '@vmportal/plugin-kubevirt-common';

// Not a valid entity name (spaces, parentheses), so no entity has it: the catalog
// drops an empty list of values from a filter, which would match every entity.
const NO_ENTITY_NAME = '(no virtual machine has this address)';

/**
 * An entity list filter that keeps the VMs whose guests have an IP address starting
 * with a searched text, as the kubevirt backend found them (`vmAddress` in the list).
 * It filters on the catalog server by name and namespace, and `filterEntity` keeps
 * exactly the matched refs.
 */
export class VirtualMachineAddressFilter implements EntityFilter {
  private readonly refs: Set<string>;

  constructor(
    /** The searched text, e.g. `10.244.1.` */
    readonly query: string,
    /** The VMs the backend found, only those the user may read. */
    readonly matches: VirtualMachineAddressMatch[],
  ) {
    this.refs = new Set(matches.map(m => m.entityRef.toLowerCase()));
  }

  getCatalogFilters(): Record<string, string[]> {
    if (this.matches.length === 0) {
      return { 'metadata.name': [NO_ENTITY_NAME] };
    }
    const refs = this.matches.map(m => parseEntityRef(m.entityRef));
    return {
      'metadata.name': [...new Set(refs.map(r => r.name))],
      'metadata.namespace': [...new Set(refs.map(r => r.namespace))],
    };
  }

  filterEntity(entity: Entity): boolean {
    return this.refs.has(stringifyEntityRef(entity).toLowerCase());
  }

  toQueryValue(): string {
    return this.query;
  }
}
