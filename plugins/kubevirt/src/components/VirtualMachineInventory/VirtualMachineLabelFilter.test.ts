import { KUBEVIRT_ENTITY_LABELS } from '@vmportal/plugin-kubevirt-common';
import { inventoryEntity } from '../../__fixtures__/inventoryEntities';
import { VirtualMachineLabelFilter } from './VirtualMachineLabelFilter';

describe('VirtualMachineLabelFilter', () => {
  const filter = new VirtualMachineLabelFilter(KUBEVIRT_ENTITY_LABELS.os, [
    'fedora',
    'windows',
  ]);

  it('asks the catalog server for any of its values of the label', () => {
    expect(filter.getCatalogFilters()).toEqual({
      'metadata.labels.kubevirt.vmportal.io/os': ['fedora', 'windows'],
    });
    expect(filter.toQueryValue()).toEqual(['fedora', 'windows']);
  });

  it('keeps the entities with one of the values, as the catalog compares them', () => {
    expect(
      filter.filterEntity(inventoryEntity({ name: 'a', os: 'fedora' })),
    ).toBe(true);
    expect(
      filter.filterEntity(inventoryEntity({ name: 'b', os: 'Windows' })),
    ).toBe(true);
    expect(
      filter.filterEntity(inventoryEntity({ name: 'c', os: 'ubuntu' })),
    ).toBe(false);
    const unlabelled = inventoryEntity({ name: 'd' });
    delete unlabelled.metadata.labels![KUBEVIRT_ENTITY_LABELS.os];
    expect(filter.filterEntity(unlabelled)).toBe(false);
  });
});
