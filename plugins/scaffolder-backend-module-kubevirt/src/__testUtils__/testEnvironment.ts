import type { JsonObject } from '@backstage/types';
import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import type {
  ActionContext,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  adminKubeConfig,
  applyObjects,
  createTestNamespace,
  kubeRequest,
  testClusters,
  waitUntil,
} from '@vmportal/kube-testenv';

type KubernetesObject = Parameters<typeof applyObjects>[1][number];

/** The team-web quota of the demo seed. */
export const TEAM_WEB_QUOTA: Record<string, string> = {
  'requests.cpu': '6',
  'requests.memory': '24Gi',
  'requests.storage': '200Gi',
  'count/virtualmachines.kubevirt.io': '8',
  persistentvolumeclaims: '10',
  pods: '20',
};

/**
 * Default requests for containers that set none, as the demo seed has them. (Default
 * *limits* of 1 CPU and 1Gi would refuse the launcher pod of every VM with more than
 * about 1Gi of memory; a test shows the plan catching that.)
 */
export const CONTAINER_DEFAULTS = {
  type: 'Container',
  defaultRequest: { cpu: '100m', memory: '128Mi' },
};

/** The GitOps repository the test config names. */
export const TEST_REPO_URL = 'git.example.com?owner=acme&repo=vm-gitops';

/**
 * Config with the test control plane's clusters named as in the examples
 * (`demo-east`, `demo-west`), reached with the portal's least-privilege token, and
 * extra clusters (e.g. an unreachable one) appended.
 */
export function testConfig(
  extraClusters: Array<Record<string, unknown>> = [],
  gitops: Record<string, unknown> = { repoUrl: TEST_REPO_URL },
): ConfigReader {
  const [east, west] = testClusters();
  const cluster = (name: string, c: typeof east) => ({
    name,
    url: c.url,
    authProvider: 'serviceAccount',
    serviceAccountToken: c.portalToken,
    caData: c.caData,
  });
  return new ConfigReader({
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            cluster('demo-east', east),
            cluster('demo-west', west),
            ...extraClusters,
          ],
        },
      ],
    },
    kubevirt: { gitops },
  } as unknown as JsonObject);
}

/**
 * A fresh namespace on the first test cluster (`demo-east` in {@link testConfig}) with
 * a ResourceQuota `team-quota` and LimitRange `container-defaults`, returned once the
 * quota controller has filled in the quota's status (admission refuses until then).
 */
export async function createQuotaNamespace(
  prefix: string,
  options: {
    quota?: Record<string, string>;
    limits?: object[];
    labels?: Record<string, string>;
  } = {},
): Promise<string> {
  const cluster = testClusters()[0];
  const namespace = await createTestNamespace(cluster, prefix, {
    'vmportal.io/owner': 'team-web',
    ...options.labels,
  });
  const kc = adminKubeConfig(cluster);
  await applyObjects(kc, [
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'team-quota', namespace },
      spec: { hard: options.quota ?? TEAM_WEB_QUOTA },
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'container-defaults', namespace },
      spec: { limits: options.limits ?? [CONTAINER_DEFAULTS] },
    } as KubernetesObject,
  ]);
  await waitForQuotaStatus(namespace, q => q.status?.hard !== undefined);
  return namespace;
}

interface QuotaObject {
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
}

/** Polls `team-quota` of `namespace` until `ready` holds (bounded). */
export async function waitForQuotaStatus(
  namespace: string,
  ready: (quota: QuotaObject) => boolean,
): Promise<QuotaObject> {
  const kc = adminKubeConfig(testClusters()[0]);
  return waitUntil(`the quota status of ${namespace}`, 60_000, async () => {
    const quota = await kubeRequest<QuotaObject>(
      kc,
      'GET',
      `/api/v1/namespaces/${namespace}/resourcequotas/team-quota`,
    );
    return ready(quota) ? quota : undefined;
  });
}

/** What an action run produced. */
export interface ActionRun {
  outputs: Record<string, unknown>;
  logs: string[];
  workspacePath: string;
}

/**
 * Runs `action` with `input` in a mock context (a fresh workspace unless one is
 * given), collecting its outputs and log lines.
 */
export async function runAction(
  action: TemplateAction<any, any, any>,
  input: Record<string, unknown>,
  context: Partial<ActionContext<any, any>> = {},
): Promise<ActionRun> {
  const logger = mockServices.logger.mock();
  const ctx = createMockActionContext({ input, logger, ...context });
  const run: ActionRun = {
    outputs: {},
    logs: [],
    workspacePath: ctx.workspacePath,
  };
  ctx.output = (name: string, value: unknown) => {
    run.outputs[name] = value;
  };
  try {
    await action.handler(ctx);
  } finally {
    for (const level of ['info', 'warn', 'error', 'debug'] as const) {
      for (const call of (logger[level] as jest.Mock).mock.calls) {
        run.logs.push(`${level}: ${String(call[0])}`);
      }
    }
  }
  return run;
}
