import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { kubevirtPermissions } from '@vmportal/plugin-kubevirt-common';
import {
  kubevirtClustersServiceRef,
  readKubevirtRequestsConfig,
} from '@vmportal/plugin-kubevirt-node';
import { QuotaService } from './service/QuotaService';
import { RequestOptionsService } from './service/RequestOptionsService';
import { readKubevirtPermissionsConfig } from './service/readKubevirtPermissionsConfig';
import { PullRequestReader } from './requests/PullRequestReader';
import { readRequestsConfig } from './requests/readRequestsConfig';
import { RequestNotifier } from './requests/RequestNotifier';
import { createRequestsRouter } from './requests/requestsRouter';
import { VirtualMachineRequestStore } from './requests/VirtualMachineRequestStore';
import { VirtualMachineRequestTracker } from './requests/VirtualMachineRequestTracker';
import { createRouter } from './service/router';
import { VirtualMachineInventoryService } from './service/VirtualMachineInventoryService';
import { ConfigReader } from '@backstage/config';
import { readDuration } from './requests/readRequestsConfig';
import { VirtualMachineConsoleRelay } from './service/VirtualMachineConsoleRelay';
import { VirtualMachineService } from './service/VirtualMachineService';

/** A request page polls every 5 s; a read younger than this serves it. */
const REFRESH_AFTER_MS = 2_000;

/**
 * The KubeVirt backend plugin: the VM page's live view, power actions and quota
 * summaries, and the tracked VM requests, served under `/api/kubevirt`.
 *
 * @public
 */
export const kubevirtPlugin = createBackendPlugin({
  pluginId: 'kubevirt',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        userInfo: coreServices.userInfo,
        catalog: catalogServiceRef,
        clusters: kubevirtClustersServiceRef,
        notifications: notificationService,
        signals: signalsServiceRef,
      },
      async init({
        config,
        logger,
        lifecycle,
        httpRouter,
        httpAuth,
        auth,
        permissions,
        permissionsRegistry,
        auditor,
        database,
        scheduler,
        userInfo,
        catalog,
        clusters,
        notifications,
        signals,
      }) {
        const {
          servicePrincipalsAllowedToAct,
          servicePrincipalsAllowedToReadInventory,
        } = readKubevirtPermissionsConfig(config);
        const requestsConfig = readRequestsConfig(config);
        const kubevirtRequests = readKubevirtRequestsConfig(config);
        permissionsRegistry.addPermissions(kubevirtPermissions);

        const store = await VirtualMachineRequestStore.create({ database });
        const pullRequests = PullRequestReader.fromConfig(config);
        const notifier = new RequestNotifier({
          notifications,
          signals,
          logger,
        });
        const tracker = new VirtualMachineRequestTracker({
          store,
          pullRequests,
          clusters,
          catalog,
          auth,
          notifier,
          logger,
          slowDownAfterMs: requestsConfig.slowDownAfterMs,
          slowFrequencyMs: requestsConfig.slowFrequencyMs,
          openPullRequestMaxIntervalMs:
            requestsConfig.openPullRequestMaxIntervalMs,
          refreshAfterMs: REFRESH_AFTER_MS,
        });
        await scheduler.scheduleTask({
          id: 'kubevirt-vm-request-tracker',
          scope: 'global',
          ...requestsConfig.schedule,
          fn: async () => {
            try {
              await tracker.runOnce();
            } catch (error) {
              logger.error(`Following VM requests failed: ${error}`);
            }
          },
        });
        const virtualMachines = VirtualMachineService.create({
          clusters,
          catalog,
          auth,
          permissions,
          auditor,
          logger,
          servicePrincipalsAllowedToAct,
        });
        const consoleConfig =
          config.getOptionalConfig('kubevirt.console') ?? new ConfigReader({});
        const consoles = new VirtualMachineConsoleRelay({
          vms: virtualMachines,
          auth,
          permissions,
          auditor,
          logger,
          idleTimeoutMs: readDuration(
            consoleConfig,
            'idleTimeout',
            { minutes: 15 },
            'kubevirt.console',
          ),
          recheckMs: readDuration(
            consoleConfig,
            'permissionRecheck',
            { minutes: 1 },
            'kubevirt.console',
          ),
        });
        lifecycle.addShutdownHook(() => consoles.stop());
        httpRouter.use(
          createRouter({
            httpAuth,
            permissions,
            clusters,
            virtualMachines,
            consoles,
            quotas: QuotaService.create({
              clusters,
              catalog,
              logger,
              offeredSeries: kubevirtRequests.offeredSeries,
            }),
            requestOptions: RequestOptionsService.create({
              clusters,
              requests: kubevirtRequests,
            }),
            inventory: new VirtualMachineInventoryService({
              clusters,
              catalog,
              auth,
              permissions,
              logger,
              servicePrincipalsAllowedToReadInventory,
            }),
            requests: createRequestsRouter({
              httpAuth,
              auth,
              userInfo,
              permissions,
              store,
              pullRequests,
              notifier,
              logger,
              servicePrincipalsAllowedToAct,
              policyMayWaiveMembership: requestsConfig.policyMayWaiveMembership,
              tracker,
            }),
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        // A browser cannot send a WebSocket with an Authorization header: the console
        // route authenticates the token offered as a subprotocol itself, and its plain
        // GET still asks for credentials (VirtualMachineConsoleRelay).
        httpRouter.addAuthPolicy({
          path: '/v1/entities/:namespace/:kind/:name/console/:type',
          allow: 'unauthenticated',
        });
        logger.info(
          `Serving the VM page for ${clusters.list().length} cluster(s); ${
            servicePrincipalsAllowedToAct.size
          } service principal(s) may act on VMs`,
        );
      },
    });
  },
});
