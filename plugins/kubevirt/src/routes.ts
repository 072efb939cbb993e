import { createRouteRef } from '@backstage/core-plugin-api';

/** Where the VM tab is mounted in a legacy entity page. */
export const rootRouteRef = createRouteRef({ id: 'kubevirt' });
