// One catalog backend in its own process, so that its memory and CPU are its own and
// every backend of a run starts equally cold. The parent (BackendWorker) forks this
// file with tsx, sends `start`, asks for counts, and sends `stop`. Run directly, it
// does nothing until told; it exits when the parent goes away.
import { readFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import {
  BackendFeature,
  coreServices,
  createBackendModule,
  createServiceFactory,
  DatabaseService,
  LoggerService,
  RootLoggerService,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { JsonObject } from '@backstage/types';
import catalogModuleKubevirt from '@vmportal/plugin-catalog-backend-module-kubevirt';
import { kubevirtEntityProviderObserverServiceRef } from '@vmportal/plugin-catalog-backend-module-kubevirt/alpha';
import { clusterConfig, ManualScheduler } from './catalogTestUtils';
import type {
  ParentMessage,
  WorkerMessage,
  WorkerStartOptions,
} from './workerProtocol';

function send(message: WorkerMessage) {
  process.send?.(message);
}

/** Forwards the lines the parent reports on; keeps nothing (memory is measured). */
class ForwardingLogger implements RootLoggerService {
  constructor(
    private readonly forward: (level: string, message: string) => boolean,
    private readonly meta: JsonObject = {},
  ) {}

  child(meta: JsonObject): LoggerService {
    return new ForwardingLogger(this.forward, { ...this.meta, ...meta });
  }
  error(message: string, meta?: Error | JsonObject) {
    this.log('error', message, meta);
  }
  warn(message: string, meta?: Error | JsonObject) {
    this.log('warn', message, meta);
  }
  info(message: string, meta?: Error | JsonObject) {
    this.log('info', message, meta);
  }
  debug(message: string, meta?: Error | JsonObject) {
    this.log('debug', message, meta);
  }

  private log(level: string, message: string, meta?: Error | JsonObject) {
    if (!this.forward(level, message)) return;
    const extra: JsonObject =
      meta instanceof Error ? { error: meta.message } : meta ?? {};
    send({
      type: 'log',
      level,
      message,
      meta: { ...this.meta, ...extra },
      at: Date.now(),
    });
  }
}

/** Warnings and errors, and the provider's list and watch lines. */
function interesting(level: string, message: string): boolean {
  if (level === 'error' || level === 'warn') return true;
  return (
    level === 'info' &&
    /^(Listed cluster|Watch on cluster|Initial sync|Scheduled sync)/.test(
      message,
    )
  );
}

let probeDatabase: DatabaseService | undefined;

/** Gives the bench the catalog's own database (plugin-scoped), to count cheaply. */
const probeModule = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'bench-probe',
  register(env) {
    env.registerInit({
      deps: { database: coreServices.database },
      async init({ database }) {
        probeDatabase = database;
      },
    });
  },
});

/**
 * Components the catalog API can return: rows of `final_entities` with a stitched
 * entity (what the catalog's own queries require). One indexed-free count, far cheaper
 * than the API's totalItems (which joins the search table).
 */
async function countFinalComponents(): Promise<number> {
  if (!probeDatabase) throw new Error('the catalog has not started');
  const db = await probeDatabase.getClient();
  const [row] = await db('final_entities')
    .whereNotNull('final_entity')
    .andWhere('entity_ref', 'like', 'component:%')
    .count({ n: '*' });
  return Number(row.n);
}

function staticModule(entities: Entity[]): BackendFeature {
  return createBackendModule({
    pluginId: 'catalog',
    moduleId: 'bench-static',
    register(env) {
      env.registerInit({
        deps: { catalog: catalogProcessingExtensionPoint },
        async init({ catalog }) {
          catalog.addEntityProvider({
            getProviderName: () => 'bench-static',
            connect: async connection => {
              const t = Date.now();
              await connection.applyMutation({
                type: 'full',
                entities: entities.map(entity => ({
                  entity,
                  locationKey: 'bench-static',
                })),
              });
              send({
                type: 'staticApplied',
                durationMs: Date.now() - t,
                appliedAt: Date.now(),
              });
            },
          });
        },
      });
    },
  });
}

function peerConfig(options: WorkerStartOptions): JsonObject {
  return {
    kubernetes: {
      serviceLocatorMethod: { type: 'multiTenant' },
      ...clusterConfig(options.clusters),
    },
    kubernetesIngestor: {
      allowAllClusters: true,
      components: {
        enabled: true,
        disableDefaultWorkloadTypes: true,
        customWorkloadTypes: [
          {
            group: 'kubevirt.io',
            apiVersion: 'v1',
            plural: 'virtualmachines',
            defaultType: 'virtual-machine',
          },
        ],
        taskRunner: {
          frequency: options.peerFrequencySeconds ?? 600,
          timeout: 600,
        },
      },
      crossplane: { enabled: false, xrds: { enabled: false } },
      kro: { enabled: false },
      argoIntegration: false,
    },
  };
}

async function start(options: WorkerStartOptions) {
  const logger = new ForwardingLogger(interesting);
  const features: BackendFeature[] = [
    catalogPlugin,
    probeModule,
    createServiceFactory({
      service: coreServices.rootLogger,
      deps: {},
      factory: () => logger,
    }),
  ];
  let config: JsonObject = {};
  if (options.mode === 'ours' || options.mode === 'page') {
    if (options.mode === 'page') {
      // Loaded only here, so that the catalog runs never carry it.
      const kubevirtBackend = await import('@vmportal/plugin-kubevirt-backend');
      features.push(kubevirtBackend.default);
    }
    features.push(
      catalogModuleKubevirt,
      new ManualScheduler().factory(),
      createServiceFactory({
        service: kubevirtEntityProviderObserverServiceRef,
        deps: {},
        factory: () => ({
          syncCompleted: event => send({ type: 'sync', event, at: Date.now() }),
          mutationApplied: event =>
            send({
              type: 'mutation',
              mutationType: event.type,
              addedCount: event.added.length,
              refs:
                event.type === 'delta'
                  ? [...event.added, ...event.removed]
                  : [],
              durationMs: event.durationMs,
              appliedAt: event.appliedAt,
            }),
          changeObserved: event =>
            send({
              type: 'change',
              cluster: event.cluster,
              // The initial list reports every VM at once; only deltas matter here.
              refs: event.entityRefs.length <= 100 ? event.entityRefs : [],
              observedAt: event.observedAt,
            }),
        }),
      }),
    );
    config = {
      kubernetes: clusterConfig(options.clusters),
      catalog: { providers: { kubevirt: { bench: {} } } },
    };
  } else if (options.mode === 'static') {
    if (!options.entitiesFile)
      throw new Error('static mode needs entitiesFile');
    const entities = JSON.parse(
      readFileSync(options.entitiesFile, 'utf8'),
    ) as Entity[];
    features.push(staticModule(entities), new ManualScheduler().factory());
  } else {
    // Loaded only in peer mode, so that ours and the floor never carry them.
    const { peerBackendFeatures } = await import(
      '../../dev/peerBackendFeatures'
    );
    features.push(...(await peerBackendFeatures()), schedulerServiceFactory);
    config = peerConfig(options);
  }
  features.push(
    mockServices.rootConfig.factory({
      data: {
        ...config,
        ...(options.processingIntervalSeconds
          ? {
              catalog: {
                // Beside, not instead of, the providers set above.
                ...(config.catalog as JsonObject | undefined),
                processingInterval: {
                  seconds: options.processingIntervalSeconds,
                },
              },
            }
          : {}),
        backend: {
          baseUrl: 'http://localhost:7007',
          database: options.database,
        },
      },
    }),
  );

  const startCalledAt = Date.now();
  const backend = await startTestBackend({ features });
  const { port } = backend.server.address() as AddressInfo;
  send({ type: 'started', port, startCalledAt, startedAt: Date.now() });
  return backend;
}

let backend: Awaited<ReturnType<typeof start>> | undefined;

process.on('message', (message: ParentMessage) => {
  if (message.type === 'start') {
    start(message.options).then(
      started => {
        backend = started;
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
  } else if (message.type === 'count') {
    countFinalComponents().then(
      value => send({ type: 'reply', id: message.id, value }),
      error => send({ type: 'reply', id: message.id, error: String(error) }),
    );
  } else if (message.type === 'stop') {
    const stopping = backend ? backend.stop() : Promise.resolve();
    stopping
      .catch(() => undefined)
      .then(() => {
        const reply: WorkerMessage = {
          type: 'reply',
          id: message.id,
          value: 0,
        };
        if (process.send) process.send(reply, () => process.exit(0));
        else process.exit(0);
      });
  }
});

// The parent is gone: nothing will stop this backend otherwise.
process.on('disconnect', () => process.exit(0));
