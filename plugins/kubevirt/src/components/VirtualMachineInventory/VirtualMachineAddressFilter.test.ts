import { stringifyEntityRef } from '@backstage/catalog-model';
import { inventoryEntity } from '../../__fixtures__/inventoryEntities';
import { VirtualMachineAddressFilter } from './VirtualMachineAddressFilter';

describe('VirtualMachineAddressFilter', () => {
  const web1 = inventoryEntity({ name: 'web-1' });
  const db1 = inventoryEntity({ name: 'db-1', namespace: 'team-data' });
  const match = (entity: typeof web1) => ({
    entityRef: stringifyEntityRef(entity),
    cluster: 'east',
    namespace: 'team-web',
    name: entity.metadata.title!,
    ipAddresses: ['10.244.1.17'],
  });

  it('restricts the catalog query to the matched entities, and keeps exactly them', () => {
    const filter = new VirtualMachineAddressFilter('10.244.1.', [match(web1)]);
    expect(filter.getCatalogFilters()).toEqual({
      'metadata.name': ['east-team-web-web-1'],
      'metadata.namespace': ['default'],
    });
    expect(filter.filterEntity(web1)).toBe(true);
    expect(filter.filterEntity(db1)).toBe(false);
    expect(filter.toQueryValue()).toBe('10.244.1.');
  });

  it('matches no entity at all when no VM has the address', () => {
    const filter = new VirtualMachineAddressFilter('10.9.', []);
    const names = filter.getCatalogFilters()['metadata.name'];
    // Not an empty list: the catalog would drop it and return every entity.
    expect(names).toHaveLength(1);
    expect(names[0]).not.toMatch(/^[a-z0-9A-Z][-_.a-zA-Z0-9]*$/);
    expect(filter.filterEntity(web1)).toBe(false);
  });
});
