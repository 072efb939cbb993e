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
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
} from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import {
  catalogProcessingExtensionPoint,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { JsonObject } from '@backstage/types';
import catalogModuleKubevirt from '@vmportal/plugin-catalog-backend-module-kubevirt';
import { kubevirtEntityProviderObserverServiceRef } from '@vmportal/plugin-catalog-backend-module-kubevirt/alpha';
import { KUBEVIRT_ENTITY_LABELS } from '@vmportal/plugin-kubevirt-common';
import { clusterConfig, ManualScheduler } from './catalogTestUtils';
import type {
  CatalogState,
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
let processedCount = 0;

/**
 * Gives the bench the catalog's own database (plugin-scoped), to count cheaply, and
 * counts the entities the catalog processes (every processing runs every processor).
 */
const probeModule = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'bench-probe',
  register(env) {
    env.registerInit({
      deps: {
        database: coreServices.database,
        catalog: catalogProcessingExtensionPoint,
      },
      async init({ database, catalog }) {
        probeDatabase = database;
        catalog.addProcessor({
          getProcessorName: () => 'bench-probe',
          async preProcessEntity(entity) {
            processedCount += 1;
            return entity;
          },
        });
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
  const db = await probe();
  const [row] = await db('final_entities')
    .whereNotNull('final_entity')
    .andWhere('entity_ref', 'like', 'component:%')
    .count({ n: '*' });
  return Number(row.n);
}

async function probe() {
  if (!probeDatabase) throw new Error('the catalog has not started');
  return probeDatabase.getClient();
}

/**
 * The final Components as the catalog API shows them (owner and run strategy are what
 * a change alters), and how much waits in the catalog's processing and stitch queues.
 */
async function catalogState(): Promise<CatalogState> {
  const db = await probe();
  const rows = (await db('final_entities')
    .select('final_entity')
    .whereNotNull('final_entity')
    .andWhere('entity_ref', 'like', 'component:%')) as Array<{
    final_entity: string;
  }>;
  const count = async (query: Promise<Array<Record<string, unknown>>>) =>
    Number((await query)[0].n);
  const [processingDue, stitchQueued, stitchDue, groups] = await Promise.all([
    count(
      db('refresh_state')
        .where('next_update_at', '<=', db.fn.now())
        .count({ n: '*' }),
    ),
    count(db('stitch_queue').count({ n: '*' })),
    count(
      db('stitch_queue')
        .where('next_stitch_at', '<=', db.fn.now())
        .count({ n: '*' }),
    ),
    count(
      db('final_entities')
        .whereNotNull('final_entity')
        .andWhere('entity_ref', 'like', 'group:%')
        .count({ n: '*' }),
    ),
  ]);
  return {
    components: rows.map(row => {
      const entity = JSON.parse(row.final_entity) as Entity;
      return [
        entity.metadata.name,
        String(entity.spec?.owner ?? ''),
        entity.metadata.labels?.[KUBEVIRT_ENTITY_LABELS.runStrategy] ?? '',
      ];
    }),
    processingDue,
    stitchQueued,
    stitchDue,
    processed: processedCount,
    groups,
  };
}

/** The Components exactly as their provider handed them to the catalog. */
async function unprocessedComponents(): Promise<Entity[]> {
  const db = await probe();
  const rows = (await db('refresh_state')
    .select('unprocessed_entity')
    .where('entity_ref', 'like', 'component:%')) as Array<{
    unprocessed_entity: string;
  }>;
  return rows.map(row => JSON.parse(row.unprocessed_entity) as Entity);
}

/** The static provider's connection, for the deltas the parent sends. */
let staticConnection: EntityProviderConnection | undefined;

async function applyStaticDelta(
  added: Entity[],
  removed: string[],
): Promise<number> {
  if (!staticConnection) throw new Error('no static provider is connected');
  const t = Date.now();
  await staticConnection.applyMutation({
    type: 'delta',
    added: added.map(entity => ({ entity, locationKey: 'bench-static' })),
    removed: removed.map(entityRef => ({
      entityRef,
      locationKey: 'bench-static',
    })),
  });
  return Date.now() - t;
}

/** Group entities for the VMs' owners (the demo reads its groups from org.yaml). */
function groupsModule(names: string[]): BackendFeature {
  return createBackendModule({
    pluginId: 'catalog',
    moduleId: 'bench-groups',
    register(env) {
      env.registerInit({
        deps: { catalog: catalogProcessingExtensionPoint },
        async init({ catalog }) {
          catalog.addEntityProvider({
            getProviderName: () => 'bench-groups',
            connect: connection =>
              connection.applyMutation({
                type: 'full',
                entities: names.map(name => ({
                  entity: {
                    apiVersion: 'backstage.io/v1alpha1',
                    kind: 'Group',
                    metadata: {
                      name,
                      // The catalog refuses to process an entity without them.
                      annotations: {
                        [ANNOTATION_LOCATION]: 'bench:groups',
                        [ANNOTATION_ORIGIN_LOCATION]: 'bench:groups',
                      },
                    },
                    spec: { type: 'team', children: [] },
                  },
                  locationKey: 'bench-groups',
                })),
              }),
          });
        },
      });
    },
  });
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
              staticConnection = connection;
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
  if (options.groups?.length) features.push(groupsModule(options.groups));
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
        catalog: {
          // Beside, not instead of, the providers set above.
          ...(config.catalog as JsonObject | undefined),
          ...(options.processingIntervalSeconds && {
            processingInterval: { seconds: options.processingIntervalSeconds },
          }),
          ...(options.stitchingPollingMs && {
            stitchingStrategy: {
              pollingInterval: { milliseconds: options.stitchingPollingMs },
            },
          }),
        },
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
  } else if (message.type === 'state') {
    catalogState().then(
      state => send({ type: 'reply', id: message.id, state }),
      error => send({ type: 'reply', id: message.id, error: String(error) }),
    );
  } else if (message.type === 'unprocessed') {
    unprocessedComponents().then(
      entities => send({ type: 'reply', id: message.id, entities }),
      error => send({ type: 'reply', id: message.id, error: String(error) }),
    );
  } else if (message.type === 'delta') {
    applyStaticDelta(message.added, message.removed).then(
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
