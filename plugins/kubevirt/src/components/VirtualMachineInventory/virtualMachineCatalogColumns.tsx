import type { TableColumn } from '@backstage/core-components';
import {
  CatalogTable,
  type CatalogTableColumnsFunc,
  type CatalogTableRow,
} from '@backstage/plugin-catalog';
import Typography from '@material-ui/core/Typography';
import {
  VirtualMachineAddressesCell,
  VirtualMachineStatusCell,
} from './VirtualMachineLiveStateCells';
import { isVirtualMachineList } from './virtualMachineFilters';
import {
  virtualMachineLabels,
  type VirtualMachineLabels,
} from './virtualMachineLabels';

function labelColumn(
  title: string,
  field: keyof VirtualMachineLabels,
): TableColumn<CatalogTableRow> {
  const value = (row: CatalogTableRow) =>
    virtualMachineLabels(row.entity)[field] ?? '';
  return {
    title,
    customSort: (a, b) => value(a).localeCompare(value(b)),
    render: row => value(row),
  };
}

function SizeCell(props: { labels: VirtualMachineLabels }) {
  const { vcpu, memory, instancetype } = props.labels;
  const size = [vcpu && `${vcpu} vCPU`, memory].filter(Boolean).join(' · ');
  return (
    <>
      {size && (
        <Typography variant="body2" noWrap>
          {size}
        </Typography>
      )}
      {instancetype && (
        <Typography
          variant="caption"
          display="block"
          color="textSecondary"
          noWrap
        >
          {instancetype}
        </Typography>
      )}
    </>
  );
}

/**
 * The VM inventory's columns: name, owner, cluster, Kubernetes namespace, size, OS
 * and run strategy from the entity's labels; status and IP addresses live from the
 * kubevirt backend, in one batched call for the rows on screen.
 *
 * @public
 */
export function virtualMachineColumns(): TableColumn<CatalogTableRow>[] {
  return [
    CatalogTable.columns.createTitleColumn({ hidden: true }),
    {
      ...CatalogTable.columns.createNameColumn({ defaultKind: 'component' }),
      // VM names are long and dashed: break them at the dashes, not anywhere.
      cellStyle: { minWidth: 160, wordBreak: 'normal', overflowWrap: 'normal' },
    },
    CatalogTable.columns.createOwnerColumn(),
    labelColumn('Cluster', 'cluster'),
    labelColumn('Namespace', 'namespace'),
    {
      title: 'Size',
      sorting: false,
      render: row => <SizeCell labels={virtualMachineLabels(row.entity)} />,
    },
    labelColumn('OS', 'os'),
    labelColumn('Run strategy', 'runStrategy'),
    {
      title: 'Status',
      sorting: false,
      cellStyle: { whiteSpace: 'nowrap' },
      render: row => (
        <VirtualMachineStatusCell entityRef={row.resolved.entityRef} />
      ),
    },
    {
      title: 'IP addresses',
      sorting: false,
      render: row => (
        <VirtualMachineAddressesCell entityRef={row.resolved.entityRef} />
      ),
    },
  ];
}

/**
 * Columns for the catalog table (`CatalogIndexPage columns={...}`): the VM
 * inventory's while the type filter selects exactly `virtual-machine`, the
 * catalog's default ones otherwise.
 *
 * @public
 */
export const virtualMachineCatalogColumns: CatalogTableColumnsFunc = context =>
  isVirtualMachineList(context.filters)
    ? virtualMachineColumns()
    : CatalogTable.defaultColumnsFunc(context);
