import type { AuditorService } from '@backstage/backend-plugin-api';
import type { JsonObject } from '@backstage/types';
import type { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type {
  ActionContext,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { DefaultKubevirtClustersService } from '@vmportal/plugin-kubevirt-node';
import {
  adminKubeConfig,
  applyObjects,
  createTestNamespace,
  kubeConfigFor,
  kubeRequest,
  PORTAL_NAMESPACE,
  READER_SERVICE_ACCOUNT,
  testClusters,
  waitUntil,
} from '@vmportal/kube-testenv';
import { VirtualMachineRequestAdmission } from '../lib/VirtualMachineRequestAdmission';

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
 * (`demo-east`, `demo-west`), read with the portal's reader token and acted on with
 * its actor token, and extra clusters (e.g. an unreachable one) appended, each with
 * its token as both; `requests` is `kubevirt.requests`.
 */
export function testConfig(
  extraClusters: Array<Record<string, unknown>> = [],
  gitops: Record<string, unknown> = { repoUrl: TEST_REPO_URL },
  requests: Record<string, unknown> = {},
): ConfigReader {
  const [east, west] = testClusters();
  const cluster = (name: string, c: typeof east) => ({
    name,
    url: c.url,
    authProvider: 'serviceAccount',
    serviceAccountToken: c.readerToken,
    caData: c.caData,
  });
  const actor = (token: unknown) => ({
    actor: { authProvider: 'serviceAccount', serviceAccountToken: token },
  });
  return new ConfigReader({
    app: { baseUrl: 'http://localhost:3000' },
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
    kubevirt: {
      gitops,
      requests,
      clusters: {
        'demo-east': actor(east.actorToken),
        'demo-west': actor(west.actorToken),
        ...Object.fromEntries(
          extraClusters.map(c => [c.name, actor(c.serviceAccountToken)]),
        ),
      },
    },
  } as unknown as JsonObject);
}

/** The cluster service on {@link testConfig}'s clusters. */
export function testClustersService(config: ConfigReader = testConfig()) {
  return DefaultKubevirtClustersService.fromConfig(config, {
    logger: mockServices.logger.mock(),
  });
}

function group(name: string, annotations: Record<string, string> = {}): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'team', children: [] },
  };
}

/**
 * The catalog of the tests: the teams `team-web` (owns the test namespaces),
 * `team-pay` (GitHub team slug `payments`) and `vm-approvers` (slug `vm-reviewers`),
 * and the user `jane` (GitHub login `jane-gh`).
 */
export const TEST_CATALOG: Entity[] = [
  group('team-web'),
  group('team-pay', { 'github.com/team-slug': 'acme/payments' }),
  group('vm-approvers', { 'github.com/team-slug': 'acme/vm-reviewers' }),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: {
      name: 'jane',
      namespace: 'default',
      annotations: { 'github.com/user-login': 'jane-gh' },
    },
    spec: { memberOf: ['team-web'] },
  },
];

/**
 * Request admission on {@link TEST_CATALOG} for a requester whose ownership refs are
 * `ownershipEntityRefs` (default: a member of team-web) and a permission policy that
 * answers `permission` (default DENY) to everything.
 */
export function testAdmission(
  options: {
    config?: ConfigReader;
    ownershipEntityRefs?: string[];
    permission?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
  } = {},
): VirtualMachineRequestAdmission {
  return VirtualMachineRequestAdmission.fromConfig(
    options.config ?? testConfig(),
    {
      catalog: catalogServiceMock({ entities: TEST_CATALOG }),
      userInfo: mockServices.userInfo({
        ownershipEntityRefs: options.ownershipEntityRefs ?? [
          'user:default/mock',
          'group:default/team-web',
        ],
      }),
      permissions: mockServices.permissions({
        result: options.permission ?? AuthorizeResult.DENY,
      }),
    },
  );
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

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
}

/**
 * A token, on the first test cluster, of a reader with the portal reader's rules but
 * without the `without` resources (e.g. `cdiconfigs`): for what the actions do when a
 * platform team grants less. Returned once the apiserver lets it read namespaces.
 */
export async function limitedReaderToken(
  name: string,
  without: string[],
): Promise<string> {
  const cluster = testClusters()[0];
  const kc = adminKubeConfig(cluster);
  const reader = await kubeRequest<{ rules: PolicyRule[] }>(
    kc,
    'GET',
    `/apis/rbac.authorization.k8s.io/v1/clusterroles/${READER_SERVICE_ACCOUNT}`,
  );
  const rules = reader.rules
    .map(rule => ({
      ...rule,
      resources: rule.resources?.filter(r => !without.includes(r)),
    }))
    .filter(rule => rule.resources?.length !== 0);
  const metadata = { name, labels: { 'vmportal.io/test': 'limited-reader' } };
  await applyObjects(kc, [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { ...metadata, namespace: PORTAL_NAMESPACE },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata,
      rules,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata,
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name,
      },
      subjects: [{ kind: 'ServiceAccount', name, namespace: PORTAL_NAMESPACE }],
    },
  ] as KubernetesObject[]);
  const { status } = await kubeRequest<{ status: { token: string } }>(
    kc,
    'POST',
    `/api/v1/namespaces/${PORTAL_NAMESPACE}/serviceaccounts/${name}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    },
  );
  const limited = kubeConfigFor({ ...cluster, token: status.token });
  await waitUntil(`RBAC of ${name}`, 30_000, () =>
    kubeRequest(limited, 'GET', '/api/v1/namespaces?limit=1').then(
      () => true,
      () => undefined,
    ),
  );
  return status.token;
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
  if (context.getInitiatorCredentials) {
    ctx.getInitiatorCredentials = context.getInitiatorCredentials;
  }
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

/** An audited event, as {@link testAuditor} keeps it. */
export interface TestAuditEvent {
  eventId: string;
  severityLevel?: string;
  meta?: JsonObject;
  status: 'succeeded' | 'failed';
  error?: Error;
}

/** An auditor that keeps what it is told, for tests to read. */
export function testAuditor(): AuditorService & { events: TestAuditEvent[] } {
  const events: TestAuditEvent[] = [];
  return {
    events,
    async createEvent(options) {
      const base = {
        eventId: options.eventId,
        severityLevel: options.severityLevel,
        meta: options.meta,
      };
      return {
        async success() {
          events.push({ ...base, status: 'succeeded' });
        },
        async fail({ error }) {
          events.push({ ...base, status: 'failed', error });
        },
      };
    },
  };
}
