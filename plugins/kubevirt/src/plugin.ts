import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
  identityApiRef,
} from '@backstage/core-plugin-api';
import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import type { JSX } from 'react';
import { kubevirtApiRef } from './api/KubevirtApi';
import { KubevirtBackendClient } from './api/KubevirtBackendClient';
import { VIRTUAL_MACHINE_SIZE_PICKER } from './components/VirtualMachineSizePicker/fieldName';
import { validateVirtualMachineSize } from './components/VirtualMachineSizePicker/validation';
import { VirtualMachineSizePicker } from './components/VirtualMachineSizePicker/VirtualMachineSizePicker';
import type { VirtualMachineSizePickerUiOptions } from './components/VirtualMachineSizePicker/planTarget';
import { VIRTUAL_MACHINE_CHANGE_PLAN_FIELD } from './components/VirtualMachineChangePlanField/fieldName';
import { validateVirtualMachineChangePlan } from './components/VirtualMachineChangePlanField/validation';
import { VirtualMachineChangePlanField } from './components/VirtualMachineChangePlanField/VirtualMachineChangePlanField';
import type { VirtualMachineChangePlanFieldUiOptions } from './components/VirtualMachineChangePlanField/changeTarget';
import {
  VIRTUAL_MACHINE_CLUSTER_PICKER,
  VIRTUAL_MACHINE_IMAGE_PICKER,
  VIRTUAL_MACHINE_NAMESPACE_PICKER,
} from './components/VirtualMachineRequestFields/fieldNames';
import type {
  VirtualMachineImageChoice,
  VirtualMachineImagePickerUiOptions,
} from './components/VirtualMachineRequestFields/imageChoice';
import { VirtualMachineClusterPicker } from './components/VirtualMachineRequestFields/VirtualMachineClusterPicker';
import { VirtualMachineImagePicker } from './components/VirtualMachineRequestFields/VirtualMachineImagePicker';
import {
  VirtualMachineNamespacePicker,
  VirtualMachineNamespacePickerUiOptions,
} from './components/VirtualMachineRequestFields/VirtualMachineNamespacePicker';
import {
  requestRouteRef,
  requestsRouteRef,
  rootRouteRef,
  virtualMachinesRouteRef,
} from './routes';

/**
 * The KubeVirt frontend plugin for the legacy frontend system.
 *
 * @public
 */
export const kubevirtPlugin = createPlugin({
  id: 'kubevirt',
  apis: [
    createApiFactory({
      api: kubevirtApiRef,
      deps: {
        discoveryApi: discoveryApiRef,
        fetchApi: fetchApiRef,
        identityApi: identityApiRef,
      },
      factory: ({ discoveryApi, fetchApi, identityApi }) =>
        new KubevirtBackendClient({ discoveryApi, fetchApi, identityApi }),
    }),
  ],
  routes: {
    root: rootRouteRef,
    requests: requestsRouteRef,
    request: requestRouteRef,
    virtualMachines: virtualMachinesRouteRef,
  },
});

/**
 * The VM tab of a `virtual-machine` Component's entity page: live state, power
 * actions, disks, NICs, conditions, events and YAML.
 *
 * @public
 */
export const EntityVirtualMachineContent: () => JSX.Element =
  kubevirtPlugin.provide(
    createRoutableExtension({
      name: 'EntityVirtualMachineContent',
      component: () =>
        import('./components/VirtualMachineContent').then(
          m => m.VirtualMachineContent,
        ),
      mountPoint: rootRouteRef,
    }),
  );

/**
 * A card for a `virtual-machine` Component's Overview tab: state, size, IPs and the
 * power buttons.
 *
 * @public
 */
export const EntityVirtualMachineOverviewCard: () => JSX.Element =
  kubevirtPlugin.provide(
    createComponentExtension({
      name: 'EntityVirtualMachineOverviewCard',
      component: {
        lazy: () =>
          import('./components/VirtualMachineOverviewCard').then(
            m => m.VirtualMachineOverviewCard,
          ),
      },
    }),
  );

/**
 * A card for a Group's page: the team's VMs (running of total) and its quota use per
 * namespace.
 *
 * @public
 */
export const EntityTeamVirtualMachinesCard: () => JSX.Element =
  kubevirtPlugin.provide(
    createComponentExtension({
      name: 'EntityTeamVirtualMachinesCard',
      component: {
        lazy: () =>
          import('./components/TeamVirtualMachinesCard').then(
            m => m.TeamVirtualMachinesCard,
          ),
      },
    }),
  );

/**
 * The "VM requests" page: the requests the user may see, and each request's live
 * page (PR, merge, applied, running, in the catalog) below it at `/:id`. Mount it
 * at `/vm-requests`; the cards and the VM page link to it.
 *
 * @public
 */
export const VirtualMachineRequestsPage: () => JSX.Element =
  kubevirtPlugin.provide(
    createRoutableExtension({
      name: 'VirtualMachineRequestsPage',
      component: () =>
        import('./components/VirtualMachineRequestsPage').then(
          m => m.LegacyVirtualMachineRequestsPage,
        ),
      mountPoint: requestsRouteRef,
    }),
  );

/**
 * The "Virtual machines" page: the VM inventory (cluster, namespace, size, OS, run
 * strategy, live status and IP addresses; filters, search by name or IP, CSV
 * export). Mount it at `/virtual-machines`.
 *
 * @public
 */
export const VirtualMachinesPage: () => JSX.Element = kubevirtPlugin.provide(
  createRoutableExtension({
    name: 'VirtualMachinesPage',
    component: () =>
      import('./components/VirtualMachineInventory').then(
        m => m.LegacyVirtualMachinesPage,
      ),
    mountPoint: virtualMachinesRouteRef,
  }),
);

/**
 * The VM filters for `CatalogIndexPage filters={...}` (cluster, Kubernetes
 * namespace, OS, size series, run strategy), shown while the type filter selects
 * `virtual-machine`.
 *
 * @public
 */
export const VirtualMachineCatalogFilters: () => JSX.Element | null =
  kubevirtPlugin.provide(
    createComponentExtension({
      name: 'VirtualMachineCatalogFilters',
      component: {
        lazy: () =>
          import('./components/VirtualMachineInventory').then(
            m => m.VirtualMachineCatalogFilters,
          ),
      },
    }),
  );

/**
 * A card for a User's or a Group's page: the VM requests the person made, or the
 * team's, with their stages.
 *
 * @public
 */
export const EntityVirtualMachineRequestsCard: () => JSX.Element =
  kubevirtPlugin.provide(
    createComponentExtension({
      name: 'EntityVirtualMachineRequestsCard',
      component: {
        lazy: () =>
          import('./components/VirtualMachineRequestsCard').then(
            m => m.VirtualMachineRequestsCard,
          ),
      },
    }),
  );

/**
 * The `VirtualMachineSizePicker` scaffolder field (`ui:field: VirtualMachineSizePicker`):
 * the cluster's sizes and a live quota bar; refuses a size that does not fit.
 *
 * @public
 */
export const VirtualMachineSizePickerFieldExtension = kubevirtPlugin.provide(
  createScaffolderFieldExtension<string, VirtualMachineSizePickerUiOptions>({
    name: VIRTUAL_MACHINE_SIZE_PICKER,
    component: VirtualMachineSizePicker,
    validation: validateVirtualMachineSize,
    schema: {
      returnValue: {
        type: 'string',
        description: 'The name of the chosen instancetype, e.g. u1.medium',
      },
      uiOptions: {
        type: 'object',
        properties: {
          clusterField: {
            type: 'string',
            description: 'Form field with the cluster name (default: cluster)',
          },
          namespaceField: {
            type: 'string',
            description: 'Form field with the namespace (default: namespace)',
          },
          diskSizeField: {
            type: 'string',
            description:
              'Form field with the data disk size, counted in the quota plan',
          },
        },
      },
    },
  }),
);

/**
 * The `VirtualMachineClusterPicker` scaffolder field (`ui:field: VirtualMachineClusterPicker`):
 * the clusters the portal's backend is configured with.
 *
 * @public
 */
export const VirtualMachineClusterPickerFieldExtension = kubevirtPlugin.provide(
  createScaffolderFieldExtension<string>({
    name: VIRTUAL_MACHINE_CLUSTER_PICKER,
    component: VirtualMachineClusterPicker,
  }),
);

/**
 * The `VirtualMachineNamespacePicker` scaffolder field
 * (`ui:field: VirtualMachineNamespacePicker`): the namespaces the chosen owner owns on
 * the chosen cluster, each with how full its quota is.
 *
 * @public
 */
export const VirtualMachineNamespacePickerFieldExtension =
  kubevirtPlugin.provide(
    createScaffolderFieldExtension<
      string,
      VirtualMachineNamespacePickerUiOptions
    >({
      name: VIRTUAL_MACHINE_NAMESPACE_PICKER,
      component: VirtualMachineNamespacePicker,
    }),
  );

/**
 * The `VirtualMachineImagePicker` scaffolder field (`ui:field: VirtualMachineImagePicker`):
 * the cluster's golden images (persistent root disk cloned from a CDI DataSource) and
 * container disks as an explicit ephemeral choice.
 *
 * @public
 */
export const VirtualMachineImagePickerFieldExtension = kubevirtPlugin.provide(
  createScaffolderFieldExtension<
    VirtualMachineImageChoice,
    VirtualMachineImagePickerUiOptions
  >({
    name: VIRTUAL_MACHINE_IMAGE_PICKER,
    component: VirtualMachineImagePicker,
  }),
);

/**
 * The `VirtualMachineChangePlanField` scaffolder field
 * (`ui:field: VirtualMachineChangePlanField`) of the day-2 change templates: for
 * `ui:options.kind: resize` the new size from the VM's cluster, for `add-disk` the
 * disk of the form's other fields; either way the change's plan against the
 * namespace's quota. Refuses a change that does not fit, naming the quota.
 *
 * @public
 */
export const VirtualMachineChangePlanFieldExtension = kubevirtPlugin.provide(
  createScaffolderFieldExtension<
    string,
    VirtualMachineChangePlanFieldUiOptions
  >({
    name: VIRTUAL_MACHINE_CHANGE_PLAN_FIELD,
    component: VirtualMachineChangePlanField,
    validation: validateVirtualMachineChangePlan,
    schema: {
      returnValue: {
        type: 'string',
        description:
          'resize: the name of the new instancetype, e.g. u1.medium; add-disk: the summary of the planned disk',
      },
      uiOptions: {
        type: 'object',
        required: ['kind'],
        properties: {
          kind: {
            type: 'string',
            enum: ['resize', 'add-disk'],
            description: 'Which change the field plans',
          },
          entityField: {
            type: 'string',
            description: "Form field with the VM's entity ref (default: vm)",
          },
          sizeField: {
            type: 'string',
            description:
              "add-disk: form field with the disk's size (default: size)",
          },
          storageClassField: {
            type: 'string',
            description:
              "add-disk: form field with the disk's storage class (default: storageClass)",
          },
          nameField: {
            type: 'string',
            description:
              "add-disk: form field with the disk's name (default: name)",
          },
        },
      },
    },
  }),
);
