import type {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import {
  dns1123SubdomainProblem,
  kubevirtQuotaReadPermission,
  kubevirtVmPlanPermission,
  POWER_ACTIONS,
  PowerAction,
  quotaPlanRequestSchema,
  virtualMachineAddressQuerySchema,
  virtualMachineStatesRequestSchema,
  virtualMachineChangeSchema,
} from '@vmportal/plugin-kubevirt-common';
import type { KubevirtClustersService } from '@vmportal/plugin-kubevirt-node';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { parseWithSchema } from '../lib/parseWithSchema';
import type { QuotaService } from './QuotaService';
import type { RequestOptionsService } from './RequestOptionsService';
import type { VirtualMachineInventoryService } from './VirtualMachineInventoryService';
import type { VirtualMachineService } from './VirtualMachineService';
import type { VirtualMachineConsoleRelay } from './VirtualMachineConsoleRelay';
import { VirtualMachineMigrations } from './VirtualMachineMigrations';
import { VirtualMachineSnapshotsService } from './VirtualMachineSnapshotsService';

/**
 * What the router needs.
 *
 * @internal
 */
export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  clusters: KubevirtClustersService;
  virtualMachines: VirtualMachineService;
  consoles: VirtualMachineConsoleRelay;
  quotas: QuotaService;
  requestOptions: RequestOptionsService;
  inventory: VirtualMachineInventoryService;
  /** The VM request routes (`/v1/requests`), see `requests/requestsRouter.ts`. */
  requests: express.Router;
}

const name = z.string().min(1).max(253);

const entityParams = z.object({
  namespace: name,
  kind: name,
  name,
});

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_RULE =
  'a DNS-1123 label: at most 63 lower-case letters, digits and dashes, starting and ending with a letter or digit';

const powerBody = z.strictObject({
  action: z.enum(POWER_ACTIONS as [PowerAction, ...PowerAction[]]),
  force: z.boolean().optional(),
});

const ownerQuery = z.object({
  owner: z
    .string({
      error: 'give ?owner=<group ref>, e.g. group:default/team-web',
    })
    .min(1)
    .max(300),
});

// The VM request's own size and disk fields (kubevirt-common's one request schema).
const planBody = quotaPlanRequestSchema;

/**
 * A Kubernetes name from the path that must be a DNS-1123 label (namespaces are);
 * `InputError` naming the parameter and the rule otherwise, so that a typo is a 400
 * rather than whatever the apiserver makes of it.
 */
function dnsLabelParam(param: string, value: string): string {
  if (value.length <= 63 && DNS_LABEL.test(value)) return value;
  const shown = value.length > 70 ? `${value.slice(0, 70)}…` : value;
  throw new InputError(
    `Invalid ${param} '${shown}' in the path: a ${param} name is ${DNS_LABEL_RULE}`,
  );
}

/** An object name from the path (a DNS-1123 subdomain); `InputError` naming the parameter otherwise. */
function subdomainParam(param: string, value: string): string {
  const problem = dns1123SubdomainProblem(value);
  if (!problem) return value;
  const shown = value.length > 70 ? `${value.slice(0, 70)}…` : value;
  throw new InputError(
    `Invalid ${param} '${shown}' in the path: it ${problem}`,
  );
}

/**
 * The kubevirt backend's routes (see `@vmportal/plugin-kubevirt-common`'s vmView
 * for the contract).
 *
 * @internal
 */
export function createRouter(options: RouterOptions): express.Router {
  const {
    httpAuth,
    permissions,
    clusters,
    virtualMachines,
    consoles,
    quotas,
    requestOptions,
    inventory,
    requests,
  } = options;
  const router = Router();
  router.use(consoles.middleware());
  router.use(express.json());

  /** The caller's credentials, once the policy allows them `permission`. */
  async function authorized(
    req: express.Request,
    permission: BasicPermission,
    what: string,
  ): Promise<BackstageCredentials> {
    const credentials = await httpAuth.credentials(req);
    const [decision] = await permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You may not ${what}: the permission policy denied ${permission.name}`,
      );
    }
    return credentials;
  }

  /**
   * The cluster of the path: any configured name (the Kubernetes plugin's config
   * allows more than DNS labels), else it must at least be a well-formed one.
   */
  function clusterParam(value: string): string {
    if (clusters.list().some(c => c.name === value)) return value;
    return dnsLabelParam('cluster', value);
  }

  function namespaceParams(params: Record<string, string>) {
    return {
      cluster: clusterParam(params.cluster),
      namespace: dnsLabelParam('namespace', params.namespace),
    };
  }

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.use(requests);

  router.get('/v1/clusters', async (req, res) => {
    await authorized(req, kubevirtVmPlanPermission, 'list the clusters');
    res.json(clusters.list());
  });

  router.get('/v1/clusters/:cluster/sizes', async (req, res) => {
    await authorized(req, kubevirtVmPlanPermission, "list a cluster's sizes");
    res.json(await quotas.sizes(clusterParam(req.params.cluster)));
  });

  router.get('/v1/clusters/:cluster/namespaces', async (req, res) => {
    await authorized(
      req,
      kubevirtVmPlanPermission,
      'list namespaces to request VMs in',
    );
    const { owner } = parseWithSchema(ownerQuery, req.query, 'query');
    res.json(
      await requestOptions.ownedNamespaces(
        clusterParam(req.params.cluster),
        owner,
      ),
    );
  });

  router.get('/v1/clusters/:cluster/images', async (req, res) => {
    await authorized(
      req,
      kubevirtVmPlanPermission,
      "list a cluster's OS images",
    );
    res.json(await requestOptions.osImages(clusterParam(req.params.cluster)));
  });

  router.post(
    '/v1/clusters/:cluster/namespaces/:namespace/plan',
    async (req, res) => {
      await authorized(req, kubevirtVmPlanPermission, 'plan virtual machines');
      const { cluster, namespace } = namespaceParams(req.params);
      const body = parseWithSchema(planBody, req.body, 'quota plan request');
      res.json(await quotas.plan(cluster, namespace, body));
    },
  );

  router.get('/v1/entities/:namespace/:kind/:name/vm', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const ref = parseWithSchema(entityParams, req.params, 'entity');
    res.json(await virtualMachines.getView(ref, credentials));
  });

  router.post(
    '/v1/entities/:namespace/:kind/:name/changes/plan',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const ref = parseWithSchema(entityParams, req.params, 'entity');
      const change = parseWithSchema(
        virtualMachineChangeSchema,
        req.body,
        'change',
      );
      res.json(await virtualMachines.planChange(ref, change, credentials, req));
    },
  );

  router.post('/v1/entities/:namespace/:kind/:name/power', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const ref = parseWithSchema(entityParams, req.params, 'entity');
    const body = parseWithSchema(powerBody, req.body, 'power action');
    const result = await virtualMachines.powerAction(
      ref,
      body,
      credentials,
      req,
    );
    res.status(202).json(result);
  });

  // Whether the console may be opened now; the same path as a WebSocket opens it
  // (see VirtualMachineConsoleRelay, which handles the upgrade).
  router.get(
    '/v1/entities/:namespace/:kind/:name/console/:type',
    async (req, res) => {
      if (req.headers.upgrade?.toLowerCase() === 'websocket') {
        // The browser's WebSocket: authenticated by the token it offers as a
        // subprotocol (see the auth policy in plugin.ts).
        await consoles.upgrade(req, res);
        return;
      }
      const credentials = await httpAuth.credentials(req);
      const ref = parseWithSchema(entityParams, req.params, 'entity');
      const { type } = req.params;
      if (type !== 'serial' && type !== 'vnc') {
        throw new InputError(
          `Invalid console '${type.slice(
            0,
            20,
          )}' in the path: use serial or vnc`,
        );
      }
      res.json(await consoles.check(ref, type, credentials, req));
    },
  );

  const snapshots = new VirtualMachineSnapshotsService(virtualMachines);
  router.get(
    '/v1/entities/:namespace/:kind/:name/snapshots',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const ref = parseWithSchema(entityParams, req.params, 'entity');
      res.json(await snapshots.list(ref, credentials));
    },
  );

  router.post(
    '/v1/entities/:namespace/:kind/:name/snapshots',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const ref = parseWithSchema(entityParams, req.params, 'entity');
      res.status(202).json(await snapshots.take(ref, credentials, req));
    },
  );

  router.post(
    '/v1/entities/:namespace/:kind/:name/snapshots/:snapshot/restore',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const ref = parseWithSchema(entityParams, req.params, 'entity');
      const snapshot = subdomainParam('snapshot', req.params.snapshot);
      res
        .status(202)
        .json(await snapshots.restore(ref, snapshot, credentials, req));
    },
  );

  router.delete(
    '/v1/entities/:namespace/:kind/:name/snapshots/:snapshot',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const ref = parseWithSchema(entityParams, req.params, 'entity');
      const snapshot = subdomainParam('snapshot', req.params.snapshot);
      await snapshots.delete(ref, snapshot, credentials, req);
      res.status(204).end();
    },
  );

  const migrations = new VirtualMachineMigrations(virtualMachines);
  router.get(
    '/v1/entities/:namespace/:kind/:name/migration',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const ref = parseWithSchema(entityParams, req.params, 'entity');
      res.json(await migrations.plan(ref, credentials));
    },
  );

  router.post(
    '/v1/entities/:namespace/:kind/:name/migration',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const ref = parseWithSchema(entityParams, req.params, 'entity');
      res.status(202).json(await migrations.migrate(ref, credentials, req));
    },
  );

  // The VM inventory's bulk reads; kubevirt.vm.read per entity, in one permission call.
  router.post('/v1/inventory/states', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { entityRefs } = parseWithSchema(
      virtualMachineStatesRequestSchema,
      req.body,
      'live states request',
    );
    res.json({ items: await inventory.states(entityRefs, credentials) });
  });

  router.get('/v1/inventory/addresses', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { q } = parseWithSchema(
      virtualMachineAddressQuerySchema,
      req.query,
      'query',
    );
    res.json(await inventory.searchAddresses(q, credentials));
  });

  router.get('/v1/quota/:cluster/:namespace', async (req, res) => {
    await authorized(req, kubevirtQuotaReadPermission, 'read quotas');
    const { cluster, namespace } = namespaceParams(req.params);
    res.json(await quotas.namespaceQuota(cluster, namespace));
  });

  router.get('/v1/teams/:namespace/:kind/:name/quota', async (req, res) => {
    const credentials = await authorized(
      req,
      kubevirtQuotaReadPermission,
      'read quotas',
    );
    const ref = parseWithSchema(entityParams, req.params, 'team');
    if (ref.kind.toLocaleLowerCase('en-US') !== 'group') {
      throw new InputError(
        `A team is a Group entity; ${ref.kind}:${ref.namespace}/${ref.name} is not one`,
      );
    }
    res.json(await quotas.teamQuota(ref, credentials));
  });

  return router;
}
