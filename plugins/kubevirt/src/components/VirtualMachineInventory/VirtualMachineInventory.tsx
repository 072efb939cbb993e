import {
  Content,
  ContentHeader,
  FavoriteToggleIcon,
  LinkButton,
} from '@backstage/core-components';
import { CatalogTable, type CatalogTableRow } from '@backstage/plugin-catalog';
import {
  CatalogFilterLayout,
  EntityKindPicker,
  EntityListProvider,
  EntityOwnerPicker,
  EntityTypeFilter,
  useEntityList,
  UserListPicker,
  useStarredEntities,
} from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import { makeStyles } from '@material-ui/core/styles';
import Typography from '@material-ui/core/Typography';
import AddIcon from '@material-ui/icons/Add';
import { VIRTUAL_MACHINE_COMPONENT_TYPE } from '@vmportal/plugin-kubevirt-common';
import { useEffect, useMemo } from 'react';
import { VirtualMachineLabelPickers } from './VirtualMachineCatalogFilters';
import { virtualMachineColumns } from './virtualMachineCatalogColumns';
import { VirtualMachineExportButton } from './VirtualMachineExportButton';
import type { VirtualMachineEntityFilters } from './virtualMachineFilters';
import { VirtualMachineSearchBar } from './VirtualMachineSearchBar';

/** The software template that requests a VM, under the scaffolder's usual mount. */
export const REQUEST_VIRTUAL_MACHINE_PATH =
  '/create/templates/default/request-virtual-machine';

/**
 * Keeps the list on `spec.type: virtual-machine`. The stock EntityTypePicker would
 * drop a type the catalog has no entity of yet, and list every Component then.
 */
function VirtualMachineTypeFilter() {
  const { updateFilters } = useEntityList();
  useEffect(() => {
    updateFilters({
      type: new EntityTypeFilter([VIRTUAL_MACHINE_COMPONENT_TYPE]),
    });
  }, [updateFilters]);
  return null;
}

const useStyles = makeStyles({
  // The page's search box finds VMs by name and by IP address; the catalog table's
  // own box (names only, into the same filter) would be a second, lesser one. Only
  // Mui's class names are stable in production builds, hence the structure.
  table: {
    '& .MuiPaper-root > .MuiToolbar-root:first-child > :last-child': {
      display: 'none',
    },
    // Ten columns beside the filters: half the usual gutter keeps them on screen.
    '& td, & th': { paddingLeft: 8, paddingRight: 8 },
  },
});

function VirtualMachineTable() {
  const classes = useStyles();
  const { isStarredEntity, toggleStarredEntity } = useStarredEntities();
  // A VM's entity has no source file to view or edit: starring is the one action.
  const actions = useMemo(
    () => [
      ({ entity }: CatalogTableRow) => {
        const starred = isStarredEntity(entity);
        return {
          icon: () => <FavoriteToggleIcon isFavorite={starred} />,
          tooltip: starred ? 'Remove from favorites' : 'Add to favorites',
          onClick: () => toggleStarredEntity(entity),
        };
      },
    ],
    [isStarredEntity, toggleStarredEntity],
  );
  const { filters } = useEntityList<VirtualMachineEntityFilters>();
  const addressQuery = filters.vmAddress?.query;
  // The same element while the search is: the table remounts its body otherwise.
  const emptyContent = useMemo(
    () => (
      <Box p={2}>
        <Typography variant="body2" color="textSecondary">
          {addressQuery
            ? `No VM you may see has an IP address starting with ${addressQuery}`
            : 'No virtual machine matches these filters.'}
        </Typography>
      </Box>
    ),
    [addressQuery],
  );
  return (
    <div className={classes.table}>
      <CatalogTable
        columns={virtualMachineColumns}
        actions={actions}
        emptyContent={emptyContent}
      />
    </div>
  );
}

/**
 * The VM inventory: the catalog's VM entities in pages of 50 (cursor pagination,
 * filtered on the catalog server), filters for owner, cluster, Kubernetes
 * namespace, OS, size series and run strategy, a search by name or IP address, the
 * live state of the rows on screen, and a CSV export of the filtered list.
 */
export function VirtualMachineInventory(props: { description?: string }) {
  return (
    <EntityListProvider pagination={{ mode: 'cursor', limit: 50 }}>
      <Content>
        <ContentHeader
          title="Virtual machines"
          titleComponent={
            <Typography variant="body1" color="textSecondary">
              {props.description}
            </Typography>
          }
        >
          <LinkButton
            to={REQUEST_VIRTUAL_MACHINE_PATH}
            variant="contained"
            color="primary"
            startIcon={<AddIcon />}
          >
            Request a virtual machine
          </LinkButton>
        </ContentHeader>
        <CatalogFilterLayout>
          <CatalogFilterLayout.Filters>
            <EntityKindPicker initialFilter="component" hidden />
            <VirtualMachineTypeFilter />
            <UserListPicker initialFilter="all" />
            <EntityOwnerPicker />
            <VirtualMachineLabelPickers />
          </CatalogFilterLayout.Filters>
          <CatalogFilterLayout.Content>
            <Box display="flex" alignItems="flex-start" mb={2}>
              <Box flexGrow={1} mr={2}>
                <VirtualMachineSearchBar />
              </Box>
              <VirtualMachineExportButton />
            </Box>
            <VirtualMachineTable />
          </CatalogFilterLayout.Content>
        </CatalogFilterLayout>
      </Content>
    </EntityListProvider>
  );
}
