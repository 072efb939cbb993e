import { useEntityList } from '@backstage/plugin-catalog-react';
import { VirtualMachineLabelPicker } from './VirtualMachineLabelPicker';
import {
  isVirtualMachineList,
  VIRTUAL_MACHINE_LABEL_FILTERS,
} from './virtualMachineFilters';

/** The inventory's label pickers: cluster, namespace, OS, size series, run strategy. */
export function VirtualMachineLabelPickers() {
  return (
    <>
      {VIRTUAL_MACHINE_LABEL_FILTERS.map(definition => (
        <VirtualMachineLabelPicker
          key={definition.key}
          definition={definition}
        />
      ))}
    </>
  );
}

/**
 * The VM filters for the catalog page (cluster, Kubernetes namespace, OS, size
 * series, run strategy): shown only while the catalog's type filter selects
 * `virtual-machine`.
 */
export function VirtualMachineCatalogFilters() {
  const { filters } = useEntityList();
  return isVirtualMachineList(filters) ? <VirtualMachineLabelPickers /> : null;
}
