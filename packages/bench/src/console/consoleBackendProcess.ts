// The backend of the console benchmark in its own process, so that the CPU the relay
// spends is its own. The parent (ConsoleBackend) forks this file with tsx, sends
// `start` and later `stop`; it exits when the parent goes away.
//
// Not the catalog benchmark's worker in `page` mode: that backend has no
// `kubevirt.clusters.<name>.actor`, and the relay opens the console with the actor.
import { AddressInfo } from 'node:net';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleKubevirt from '@vmportal/plugin-catalog-backend-module-kubevirt';
import kubevirtBackend from '@vmportal/plugin-kubevirt-backend';
import type { ClusterInfo } from '@vmportal/kube-testenv';
import { clusterConfig, ManualScheduler } from '../catalog/catalogTestUtils';
import type {
  ConsoleBackendReply,
  ConsoleBackendRequest,
} from './consoleBackendProtocol';

function send(message: ConsoleBackendReply) {
  process.send?.(message);
}

async function start(clusters: ClusterInfo[]) {
  return startTestBackend({
    features: [
      catalogPlugin,
      catalogModuleKubevirt,
      kubevirtBackend,
      // The provider lists and watches by itself; nothing else needs to run on time.
      new ManualScheduler().factory(),
      mockServices.rootConfig.factory({
        data: {
          backend: {
            baseUrl: 'http://localhost:7007',
            database: { client: 'better-sqlite3', connection: ':memory:' },
          },
          kubernetes: clusterConfig(clusters),
          catalog: { providers: { kubevirt: { bench: {} } } },
          kubevirt: {
            clusters: Object.fromEntries(
              clusters.map(c => [
                c.name,
                {
                  actor: {
                    authProvider: 'serviceAccount',
                    serviceAccountToken: c.actorToken,
                  },
                },
              ]),
            ),
          },
        },
      }),
    ],
  });
}

let backend: Awaited<ReturnType<typeof start>> | undefined;

process.on('message', (message: ConsoleBackendRequest) => {
  if (message.type === 'start') {
    start(message.clusters).then(
      started => {
        backend = started;
        const { port } = started.server.address() as AddressInfo;
        send({ type: 'started', port });
      },
      error =>
        send({
          type: 'failed',
          error:
            error instanceof Error
              ? `${error.message}\n${error.stack ?? ''}`
              : String(error),
        }),
    );
  } else if (message.type === 'stop') {
    (backend ? backend.stop() : Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        send({ type: 'stopped' });
        process.exit(0);
      });
  }
});

process.on('disconnect', () => process.exit(0));
