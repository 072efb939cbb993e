import type { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { POWER_ACTIONS, PowerAction } from '@vmportal/plugin-kubevirt-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import type { KubevirtClusters } from './KubevirtClusters';
import type { QuotaService } from './QuotaService';
import type { VirtualMachineService } from './VirtualMachineService';

/**
 * What the router needs.
 *
 * @internal
 */
export interface RouterOptions {
  httpAuth: HttpAuthService;
  clusters: KubevirtClusters;
  virtualMachines: VirtualMachineService;
  quotas: QuotaService;
}

const name = z.string().min(1).max(253);

const entityParams = z.object({
  namespace: name,
  kind: name,
  name,
});

const namespaceParams = z.object({ cluster: name, namespace: name });

const powerBody = z.strictObject({
  action: z.enum(POWER_ACTIONS as [PowerAction, ...PowerAction[]]),
  force: z.boolean().optional(),
});

const quantity = z
  .string()
  .regex(
    /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/,
    'must be a Kubernetes quantity such as 4Gi',
  );

const planBody = z
  .strictObject({
    instancetype: name.optional(),
    cpu: z.number().int().min(1).max(512).optional(),
    memory: quantity.optional(),
    preference: name.optional(),
    disks: z
      .array(
        z.strictObject({
          name: z.string().min(1).max(63),
          size: quantity,
          storageClass: name.optional(),
        }),
      )
      .max(16)
      .optional(),
  })
  .refine(
    body =>
      body.instancetype !== undefined ||
      (body.cpu !== undefined && body.memory !== undefined),
    'give an instancetype, or cpu and memory',
  );

/** Parses with zod; a failed parse is an `InputError` naming each field. */
function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      issue =>
        `${issue.path.length > 0 ? issue.path.join('.') : what}: ${
          issue.message
        }`,
    );
    throw new InputError(`Invalid ${what}: ${problems.join('; ')}`);
  }
  return result.data;
}

/**
 * The kubevirt backend's routes (see `@vmportal/plugin-kubevirt-common`'s vmView
 * for the contract).
 *
 * @internal
 */
export function createRouter(options: RouterOptions): express.Router {
  const { httpAuth, clusters, virtualMachines, quotas } = options;
  const router = Router();
  router.use(express.json());

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/v1/clusters', async (req, res) => {
    await httpAuth.credentials(req);
    res.json(clusters.list());
  });

  router.get('/v1/clusters/:cluster/sizes', async (req, res) => {
    await httpAuth.credentials(req);
    const { cluster } = parse(
      z.object({ cluster: name }),
      req.params,
      'cluster',
    );
    res.json(await quotas.sizes(cluster));
  });

  router.post(
    '/v1/clusters/:cluster/namespaces/:namespace/plan',
    async (req, res) => {
      await httpAuth.credentials(req);
      const { cluster, namespace } = parse(
        namespaceParams,
        req.params,
        'namespace',
      );
      const body = parse(planBody, req.body, 'quota plan request');
      res.json(await quotas.plan(cluster, namespace, body));
    },
  );

  router.get('/v1/entities/:namespace/:kind/:name/vm', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const ref = parse(entityParams, req.params, 'entity');
    res.json(await virtualMachines.getView(ref, credentials));
  });

  router.post('/v1/entities/:namespace/:kind/:name/power', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const ref = parse(entityParams, req.params, 'entity');
    const body = parse(powerBody, req.body, 'power action');
    const result = await virtualMachines.powerAction(
      ref,
      body,
      credentials,
      req,
    );
    res.status(202).json(result);
  });

  router.get('/v1/quota/:cluster/:namespace', async (req, res) => {
    await httpAuth.credentials(req);
    const { cluster, namespace } = parse(
      namespaceParams,
      req.params,
      'namespace',
    );
    res.json(await quotas.namespaceQuota(cluster, namespace));
  });

  router.get('/v1/teams/:namespace/:kind/:name/quota', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const ref = parse(entityParams, req.params, 'team');
    if (ref.kind.toLocaleLowerCase('en-US') !== 'group') {
      throw new InputError(
        `A team is a Group entity; ${ref.kind}:${ref.namespace}/${ref.name} is not one`,
      );
    }
    res.json(await quotas.teamQuota(ref, credentials));
  });

  return router;
}
