import type { Entity } from '@backstage/catalog-model';
import type { EntityFilter } from '@backstage/plugin-catalog-react';

/**
 * An entity list filter on one label of the VM entities (for example
 * `kubevirt.vmportal.io/os`) with any of several values. It filters on the catalog
 * server (`metadata.labels.<label>`), so it works with cursor pagination at any
 * catalog size; `filterEntity` repeats the test for lists loaded without pagination.
 */
export class VirtualMachineLabelFilter implements EntityFilter {
  constructor(
    /** The label key, e.g. `kubevirt.vmportal.io/cluster`. */
    readonly label: string,
    /** The values any one of which an entity's label must have. */
    readonly values: string[],
  ) {}

  getCatalogFilters(): Record<string, string[]> {
    return { [`metadata.labels.${this.label}`]: this.values };
  }

  filterEntity(entity: Entity): boolean {
    const value = entity.metadata.labels?.[this.label];
    // The catalog compares values case-insensitively; so does this.
    return (
      value !== undefined &&
      this.values.some(v => v.toLowerCase() === value.toLowerCase())
    );
  }

  toQueryValue(): string[] {
    return this.values;
  }
}
