import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  identityApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { CatalogExportConfigBlueprint } from '@backstage/plugin-catalog/alpha';
import {
  CatalogFilterBlueprint,
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import ComputerIcon from '@material-ui/icons/Computer';
import PlaylistAddCheckIcon from '@material-ui/icons/PlaylistAddCheck';
import { kubevirtApiRef } from './api/KubevirtApi';
import { KubevirtBackendClient } from './api/KubevirtBackendClient';
import { virtualMachineInventoryCsvExporter } from './components/VirtualMachineInventory/virtualMachineInventoryCsvExporter';
import {
  requestRouteRef,
  requestsRouteRef,
  virtualMachinesRouteRef,
} from './routes';

const VIRTUAL_MACHINE_FILTER = 'kind:component,spec.type:virtual-machine';

/**
 * The `KubevirtApi` (`kubevirtApiRef`) on the app's discovery and fetch APIs.
 *
 * @alpha
 */
export const kubevirtApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: kubevirtApiRef,
      deps: {
        discoveryApi: discoveryApiRef,
        fetchApi: fetchApiRef,
        identityApi: identityApiRef,
      },
      factory: ({ discoveryApi, fetchApi, identityApi }) =>
        new KubevirtBackendClient({ discoveryApi, fetchApi, identityApi }),
    }),
});

/**
 * The "Virtual machine" tab of `virtual-machine` Components
 * (`entity-content:kubevirt/virtual-machine`).
 *
 * @alpha
 */
export const entityVirtualMachineContent = EntityContentBlueprint.make({
  name: 'virtual-machine',
  params: {
    path: '/virtual-machine',
    title: 'Virtual machine',
    filter: VIRTUAL_MACHINE_FILTER,
    loader: () =>
      import('./components/VirtualMachineContent').then(m => (
        <m.VirtualMachineContent />
      )),
  },
});

/**
 * The Overview card of `virtual-machine` Components
 * (`entity-card:kubevirt/virtual-machine-overview`).
 *
 * @alpha
 */
export const entityVirtualMachineOverviewCard = EntityCardBlueprint.make({
  name: 'virtual-machine-overview',
  params: {
    filter: VIRTUAL_MACHINE_FILTER,
    loader: () =>
      import('./components/VirtualMachineOverviewCard').then(m => (
        <m.VirtualMachineOverviewCard />
      )),
  },
});

/**
 * The team card of Groups (`entity-card:kubevirt/team-virtual-machines`).
 *
 * @alpha
 */
export const entityTeamVirtualMachinesCard = EntityCardBlueprint.make({
  name: 'team-virtual-machines',
  params: {
    filter: 'kind:group',
    loader: () =>
      import('./components/TeamVirtualMachinesCard').then(m => (
        <m.TeamVirtualMachinesCard />
      )),
  },
});

/**
 * The "VM requests" page (`page:kubevirt/vm-requests`, in the sidebar): the requests
 * the user may see at `/vm-requests`, and each request's live page at
 * `/vm-requests/:id`.
 *
 * @alpha
 */
export const virtualMachineRequestsPage = PageBlueprint.make({
  name: 'vm-requests',
  params: {
    path: '/vm-requests',
    title: 'VM requests',
    icon: <PlaylistAddCheckIcon fontSize="inherit" />,
    routeRef: requestsRouteRef,
    loader: () =>
      import('./components/VirtualMachineRequestsPage').then(m => (
        <m.VirtualMachineRequestsPage />
      )),
  },
});

/**
 * The "Virtual machines" page (`page:kubevirt/virtual-machines`, in the sidebar): the
 * VM inventory at `/virtual-machines`. The stock catalog page has no extension point
 * for columns, so the inventory is a page of its own.
 *
 * @alpha
 */
export const virtualMachinesPage = PageBlueprint.make({
  name: 'virtual-machines',
  params: {
    path: '/virtual-machines',
    title: 'Virtual machines',
    icon: <ComputerIcon fontSize="inherit" />,
    routeRef: virtualMachinesRouteRef,
    loader: () =>
      import('./components/VirtualMachineInventory').then(m => (
        <m.VirtualMachinesPage />
      )),
  },
});

/**
 * The VM filters of the stock catalog page
 * (`catalog-filter:kubevirt/virtual-machine-filters`): cluster, Kubernetes
 * namespace, OS, size series and run strategy, while the type filter selects
 * `virtual-machine`.
 *
 * @alpha
 */
export const virtualMachineCatalogFilters = CatalogFilterBlueprint.make({
  name: 'virtual-machine-filters',
  params: {
    loader: () =>
      import('./components/VirtualMachineInventory').then(m => (
        <m.VirtualMachineCatalogFilters />
      )),
  },
});

/**
 * The "VM inventory (CSV)" format of the stock catalog page's export
 * (`catalog-export-config:kubevirt/virtual-machine-inventory`; the page shows its
 * export button when `app.extensions` configures `page:catalog` with
 * `exportSettings.enabled: true`).
 *
 * @alpha
 */
export const virtualMachineInventoryExportConfig =
  CatalogExportConfigBlueprint.make({
    name: 'virtual-machine-inventory',
    params: {
      exporters: {
        'vm-csv': {
          label: 'VM inventory (CSV)',
          exporter: virtualMachineInventoryCsvExporter,
        },
      },
    },
  });

/**
 * The requests a person made, on Users' pages
 * (`entity-card:kubevirt/user-vm-requests`).
 *
 * @alpha
 */
export const entityUserVirtualMachineRequestsCard = EntityCardBlueprint.make({
  name: 'user-vm-requests',
  params: {
    filter: 'kind:user',
    loader: () =>
      import('./components/VirtualMachineRequestsCard').then(m => (
        <m.VirtualMachineRequestsCard />
      )),
  },
});

/**
 * A team's requests, on Groups' pages (`entity-card:kubevirt/team-vm-requests`).
 *
 * @alpha
 */
export const entityTeamVirtualMachineRequestsCard = EntityCardBlueprint.make({
  name: 'team-vm-requests',
  params: {
    filter: 'kind:group',
    loader: () =>
      import('./components/VirtualMachineRequestsCard').then(m => (
        <m.VirtualMachineRequestsCard />
      )),
  },
});

/**
 * The `VirtualMachineSizePicker` scaffolder field
 * (`scaffolder-form-field:kubevirt/virtual-machine-size-picker`).
 *
 * @alpha
 */
export const virtualMachineSizePickerFormField = FormFieldBlueprint.make({
  name: 'virtual-machine-size-picker',
  params: {
    field: () =>
      import('./components/VirtualMachineSizePicker/formField').then(
        m => m.virtualMachineSizePickerFormField,
      ),
  },
});

/**
 * The `VirtualMachineClusterPicker` scaffolder field
 * (`scaffolder-form-field:kubevirt/virtual-machine-cluster-picker`): the backend's clusters.
 *
 * @alpha
 */
export const virtualMachineClusterPickerFormField = FormFieldBlueprint.make({
  name: 'virtual-machine-cluster-picker',
  params: {
    field: () =>
      import('./components/VirtualMachineRequestFields/formFields').then(
        m => m.virtualMachineClusterPickerFormField,
      ),
  },
});

/**
 * The `VirtualMachineNamespacePicker` scaffolder field
 * (`scaffolder-form-field:kubevirt/virtual-machine-namespace-picker`): the owner's
 * namespaces on the chosen cluster, with their quota.
 *
 * @alpha
 */
export const virtualMachineNamespacePickerFormField = FormFieldBlueprint.make({
  name: 'virtual-machine-namespace-picker',
  params: {
    field: () =>
      import('./components/VirtualMachineRequestFields/formFields').then(
        m => m.virtualMachineNamespacePickerFormField,
      ),
  },
});

/**
 * The `VirtualMachineImagePicker` scaffolder field
 * (`scaffolder-form-field:kubevirt/virtual-machine-image-picker`): the cluster's golden
 * images, and ephemeral container disks.
 *
 * @alpha
 */
export const virtualMachineImagePickerFormField = FormFieldBlueprint.make({
  name: 'virtual-machine-image-picker',
  params: {
    field: () =>
      import('./components/VirtualMachineRequestFields/formFields').then(
        m => m.virtualMachineImagePickerFormField,
      ),
  },
});

/**
 * The `VirtualMachineChangePlanField` scaffolder field of the day-2 change templates
 * (`scaffolder-form-field:kubevirt/virtual-machine-change-plan`): the new size, or the
 * new disk, with its plan against the namespace's quota.
 *
 * @alpha
 */
export const virtualMachineChangePlanFormField = FormFieldBlueprint.make({
  name: 'virtual-machine-change-plan',
  params: {
    field: () =>
      import('./components/VirtualMachineChangePlanField/formField').then(
        m => m.virtualMachineChangePlanFormField,
      ),
  },
});

/**
 * The KubeVirt frontend plugin for the new frontend system: the VM tab and Overview
 * card of `virtual-machine` Components, the team card of Groups, the "VM requests"
 * page with its cards on Users and Groups, the "Virtual machines" inventory page with
 * its catalog filters and CSV export, and the request form's pickers (cluster,
 * namespace, OS image, size) and the change templates' plan field.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'kubevirt',
  routes: {
    requests: requestsRouteRef,
    request: requestRouteRef,
    virtualMachines: virtualMachinesRouteRef,
  },
  extensions: [
    kubevirtApi,
    entityVirtualMachineContent,
    entityVirtualMachineOverviewCard,
    entityTeamVirtualMachinesCard,
    virtualMachineRequestsPage,
    virtualMachinesPage,
    virtualMachineCatalogFilters,
    virtualMachineInventoryExportConfig,
    entityUserVirtualMachineRequestsCard,
    entityTeamVirtualMachineRequestsCard,
    virtualMachineSizePickerFormField,
    virtualMachineClusterPickerFormField,
    virtualMachineNamespacePickerFormField,
    virtualMachineImagePickerFormField,
    virtualMachineChangePlanFormField,
  ],
});
