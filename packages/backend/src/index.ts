import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

// Sign-in: the guest provider is only configured in app-config.yaml (development).
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));
backend.add(import('@vmportal/plugin-catalog-backend-module-kubevirt'));

backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(import('@vmportal/plugin-scaffolder-backend-module-kubevirt'));

backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('./permissionPolicy'));

backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));

backend.add(import('@backstage/plugin-signals-backend'));
// The kubevirt backend tells requesters and teams where their VM requests are.
backend.add(import('@backstage/plugin-notifications-backend'));

backend.add(import('@backstage/plugin-kubernetes-backend'));
backend.add(import('@vmportal/plugin-kubevirt-backend'));

backend.start();
