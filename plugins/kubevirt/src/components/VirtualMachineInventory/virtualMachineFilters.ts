import type { DefaultEntityFilters } from '@backstage/plugin-catalog-react';
import {
  KUBEVIRT_ENTITY_LABELS,
  VIRTUAL_MACHINE_COMPONENT_TYPE,
} from '@vmportal/plugin-kubevirt-common';
import type { VirtualMachineAddressFilter } from './VirtualMachineAddressFilter';
import type { VirtualMachineLabelFilter } from './VirtualMachineLabelFilter';

/** The entity list filters of the VM inventory, beside the catalog's own. */
export type VirtualMachineEntityFilters = DefaultEntityFilters & {
  vmCluster?: VirtualMachineLabelFilter;
  vmNamespace?: VirtualMachineLabelFilter;
  vmOs?: VirtualMachineLabelFilter;
  vmSeries?: VirtualMachineLabelFilter;
  vmRunStrategy?: VirtualMachineLabelFilter;
  vmAddress?: VirtualMachineAddressFilter;
};

/** The key of a label filter in the entity list (and in the page's URL). */
export type VirtualMachineLabelFilterKey =
  | 'vmCluster'
  | 'vmNamespace'
  | 'vmOs'
  | 'vmSeries'
  | 'vmRunStrategy';

/** One label filter of the inventory: its key, the entity label and its title. */
export interface VirtualMachineLabelFilterDefinition {
  key: VirtualMachineLabelFilterKey;
  label: string;
  title: string;
  helperText?: string;
}

/** The inventory's label filters, in the order the filter column shows them. */
export const VIRTUAL_MACHINE_LABEL_FILTERS: VirtualMachineLabelFilterDefinition[] =
  [
    {
      key: 'vmCluster',
      label: KUBEVIRT_ENTITY_LABELS.cluster,
      title: 'Cluster',
    },
    {
      key: 'vmNamespace',
      label: KUBEVIRT_ENTITY_LABELS.namespace,
      title: 'Namespace',
      // The catalog's own "Namespace" filter is the entity namespace.
      helperText: 'Kubernetes namespace of the VM',
    },
    {
      key: 'vmOs',
      label: KUBEVIRT_ENTITY_LABELS.os,
      title: 'Operating system',
    },
    {
      key: 'vmSeries',
      label: KUBEVIRT_ENTITY_LABELS.series,
      title: 'Size series',
    },
    {
      key: 'vmRunStrategy',
      label: KUBEVIRT_ENTITY_LABELS.runStrategy,
      title: 'Run strategy',
    },
  ];

/** The catalog filter that selects every VM entity. */
export const VIRTUAL_MACHINE_CATALOG_FILTER = {
  kind: 'component',
  'spec.type': VIRTUAL_MACHINE_COMPONENT_TYPE,
};

/** Whether the entity list's type filter selects exactly the VMs. */
export function isVirtualMachineList(filters: DefaultEntityFilters): boolean {
  const types = filters.type?.getTypes() ?? [];
  return (
    types.length === 1 &&
    types[0].toLowerCase() === VIRTUAL_MACHINE_COMPONENT_TYPE
  );
}
