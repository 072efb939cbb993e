import { AddressInfo } from 'node:net';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  createServiceFactory,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { JsonObject } from '@backstage/types';
import type { ClusterInfo } from '@vmportal/kube-testenv';
import catalogModule from '../index';
import {
  kubevirtEntityProviderObserverServiceRef,
  KubevirtEntityProviderObserverService,
} from '../alpha';
import { CapturingLogger } from './capturingLogger';
import { ManualScheduler } from './manualScheduler';

/** A real catalog backend (catalog plugin + this module) for tests. */
export interface CatalogHarness {
  baseUrl: string;
  logger: CapturingLogger;
  /** Triggers the providers' scheduled full sync and waits for it. */
  triggerScheduledSync(providerId?: string): Promise<void>;
  /** The entity with this name (kind Component, namespace default), or undefined. */
  entity(name: string): Promise<Entity | undefined>;
  /** Every virtual-machine Component whose namespace label matches one of `namespaces`. */
  entitiesIn(namespaces: string[]): Promise<Entity[]>;
  stop(): Promise<void>;
}

export interface StartCatalogOptions {
  /** Clusters the provider reads (as `kubernetes.clusterLocatorMethods`). */
  clusters: Array<ClusterInfo & { tokenOverride?: string }>;
  /** `catalog.providers.kubevirt` */
  providers: JsonObject;
  /** `backend.database`; default SQLite in memory. */
  database?: JsonObject;
  observer?: KubevirtEntityProviderObserverService;
  logger?: CapturingLogger;
}

/** Cluster config entries as the Kubernetes plugin reads them. */
export function clusterConfig(
  clusters: Array<ClusterInfo & { tokenOverride?: string }>,
): JsonObject {
  return {
    clusterLocatorMethods: [
      {
        type: 'config',
        clusters: clusters.map(c => ({
          name: c.name,
          url: c.url,
          authProvider: 'serviceAccount',
          serviceAccountToken: c.tokenOverride ?? c.readerToken,
          caData: c.caData,
        })),
      },
    ],
  };
}

/** Starts the catalog plugin with this module on a test backend, with the real processing engine. */
export async function startCatalog(
  options: StartCatalogOptions,
): Promise<CatalogHarness> {
  const logger = options.logger ?? new CapturingLogger();
  const scheduler = new ManualScheduler();
  const extra: ServiceFactory[] = [];
  if (options.observer) {
    const observer = options.observer;
    extra.push(
      createServiceFactory({
        service: kubevirtEntityProviderObserverServiceRef,
        deps: {},
        factory: () => observer,
      }),
    );
  }
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      catalogModule,
      logger.factory(),
      scheduler.factory(),
      mockServices.rootConfig.factory({
        data: {
          backend: {
            baseUrl: 'http://localhost:7007',
            database: options.database ?? {
              client: 'better-sqlite3',
              connection: ':memory:',
            },
          },
          kubernetes: clusterConfig(options.clusters),
          catalog: { providers: { kubevirt: options.providers } },
        },
      }),
      ...extra,
    ],
  });
  const { port } = backend.server.address() as AddressInfo;
  const baseUrl = `http://localhost:${port}`;
  const headers = {
    Authorization: mockCredentials.user.header(),
  };

  async function get<T>(path: string): Promise<T | undefined> {
    const response = await fetch(`${baseUrl}/api/catalog${path}`, { headers });
    if (response.status === 404) return undefined;
    if (!response.ok) {
      throw new Error(
        `GET ${path}: ${response.status} ${await response.text()}`,
      );
    }
    return (await response.json()) as T;
  }

  return {
    baseUrl,
    logger,
    async triggerScheduledSync(providerId = 'test') {
      await scheduler.triggerTask(`kubevirt-provider:${providerId}:refresh`);
    },
    entity: name =>
      get<Entity>(
        `/entities/by-name/component/default/${encodeURIComponent(name)}`,
      ),
    async entitiesIn(namespaces) {
      const filters = namespaces
        .map(
          ns =>
            `filter=${encodeURIComponent(
              `kind=component,spec.type=virtual-machine,metadata.labels.kubevirt.vmportal.io/namespace=${ns}`,
            )}`,
        )
        .join('&');
      const result = await get<{ items: Entity[] }>(
        `/entities/by-query?${filters}&limit=10000`,
      );
      return result?.items ?? [];
    },
    stop: () => backend.stop(),
  };
}

/**
 * Polls `check` until it returns a value; resolves with the value and the time since
 * `since`. Fails after `timeoutMs` naming `what`.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  options: { timeoutMs?: number; since?: number; intervalMs?: number } = {},
): Promise<{ value: T; elapsedMs: number }> {
  const since = options.since ?? Date.now();
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) {
        return { value, elapsedMs: Date.now() - since };
      }
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${Date.now() - since} ms waiting for ${what}${
          lastError ? `: ${lastError}` : ''
        }`,
      );
    }
    await new Promise(r => setTimeout(r, options.intervalMs ?? 100));
  }
}
