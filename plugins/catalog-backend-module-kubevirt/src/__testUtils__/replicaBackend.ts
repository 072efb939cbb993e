// A real backend process (backend-defaults, catalog, this module) for the replica test:
// `node --import tsx replicaBackend.ts` with its config as JSON in VMPORTAL_REPLICA_CONFIG.
// It prints `replica ready` once started; the test kills it with SIGKILL.
import { createBackend } from '@backstage/backend-defaults';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModule from '../index';

const config = new ConfigReader(
  JSON.parse(process.env.VMPORTAL_REPLICA_CONFIG ?? '{}'),
  'replica',
);
const backend = createBackend();
backend.add(
  createServiceFactory({
    service: coreServices.rootConfig,
    deps: {},
    factory: () => config,
  }),
);
backend.add(catalogPlugin);
backend.add(catalogModule);
backend.start().then(
  () => process.stdout.write('replica ready\n'),
  error => {
    process.stderr.write(`replica failed: ${error}\n`);
    process.exit(1);
  },
);
