import { createRouteRef, createSubRouteRef } from '@backstage/core-plugin-api';

/** Where the VM tab is mounted in a legacy entity page. */
export const rootRouteRef = createRouteRef({ id: 'kubevirt' });

/** The "VM requests" page: the requests the user may see. */
export const requestsRouteRef = createRouteRef({ id: 'kubevirt-requests' });

/** One VM request's page, below the requests page. */
export const requestRouteRef = createSubRouteRef({
  id: 'kubevirt-request',
  parent: requestsRouteRef,
  path: '/:id',
});

/** The "Virtual machines" page: the VM inventory. */
export const virtualMachinesRouteRef = createRouteRef({
  id: 'kubevirt-virtual-machines',
});
