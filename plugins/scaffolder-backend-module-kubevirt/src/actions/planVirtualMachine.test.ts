import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  adminKubeConfig,
  deleteTestNamespace,
  kubeRequest,
  testClusters,
} from '@vmportal/kube-testenv';
import yaml from 'yaml';
import {
  createQuotaNamespace,
  limitedReaderToken,
  runAction,
  testAdmission,
  testAuditor,
  testClustersService,
  testConfig,
  waitForQuotaStatus,
} from '../__testUtils__/testEnvironment';
import { createPlanVirtualMachineAction } from './planVirtualMachine';
import { examples } from './planVirtualMachine.examples';
import { smallWebServer } from './exampleRequests';

const namespaces: string[] = [];
afterAll(async () => {
  await Promise.all(
    namespaces.map(ns => deleteTestNamespace(testClusters()[0], ns)),
  );
});

async function quotaNamespace(
  ...args: Parameters<typeof createQuotaNamespace>
) {
  const namespace = await createQuotaNamespace(...args);
  namespaces.push(namespace);
  return namespace;
}

function planAction(
  config: ConfigReader = testConfig(),
  admission = testAdmission({ config }),
) {
  return createPlanVirtualMachineAction({
    clusters: testClustersService(config),
    admission,
    auditor: testAuditor(),
  });
}

async function planError(
  input: Record<string, unknown>,
  action = planAction(),
): Promise<Error> {
  try {
    await runAction(action, input);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the plan did not fail');
}

describe('kubevirt:vm:plan', () => {
  let namespace: string;
  beforeAll(async () => {
    namespace = await quotaNamespace('plan');
  }, 120_000);

  const steps = examples.flatMap(example =>
    (yaml.parse(example.example).steps as any[])
      .filter(step => step.action === 'kubevirt:vm:plan')
      .map(step => [example.description, step.input] as const),
  );

  it.each(steps)(
    'runs the example: %s',
    async (_description, input) => {
      const { outputs, logs } = await runAction(planAction(), {
        ...input,
        namespace,
      });
      const rows = outputs.rows as Array<Record<string, unknown>>;
      expect(outputs.fits).toBe(input.allowOverQuota !== true);
      // Every quota resource the VM touches, with what the namespace uses now.
      expect(rows.map(r => r.resource)).toEqual(
        expect.arrayContaining([
          'count/virtualmachines.kubevirt.io',
          'pods',
          'requests.cpu',
          'requests.memory',
        ]),
      );
      expect(rows.every(r => r.quota === 'team-quota')).toBe(true);
      expect(outputs.summaryMarkdown).toContain(
        '| Quota | Resource | Hard | Used | This VM | After | Fits |',
      );
      expect(logs.join('\n')).toMatch(/requests\.memory\s+24 GiB/);
    },
    60_000,
  );

  it("counts the claims of persistent disks, and CDI's temporary ones while importing", async () => {
    const { outputs } = await runAction(planAction(), {
      ...yaml.parse(examples[1].example).steps[0].input,
      namespace,
    });
    const storage = (outputs.rows as any[]).find(
      r => r.resource === 'requests.storage',
    );
    // 30Gi + 50Gi with CDI's 6% filesystem overhead, plus the registry import's scratch claim.
    expect(storage).toMatchObject({ quota: 'team-quota', hard: '200Gi' });
    expect(Number.parseFloat(storage.thisVm)).toBeGreaterThan(80);
    expect(storage.duringImportOnly).not.toBe('0');
  });

  it('says in the task log what it planned without (the portal may not read CDIConfig or KubeVirt)', async () => {
    const east = testClusters()[0];
    const token = await limitedReaderToken('plan-without-config', [
      'cdiconfigs',
      'kubevirts',
    ]);
    const config = testConfig([
      {
        name: 'demo-limited',
        url: east.url,
        authProvider: 'serviceAccount',
        serviceAccountToken: token,
        caData: east.caData,
      },
    ]);
    const { logs } = await runAction(planAction(config), {
      ...smallWebServer,
      namespace,
      cluster: 'demo-limited',
    });
    expect(logs).toContain(
      "info: Planned without CDIConfig and KubeVirt configuration: the portal's service account may not read it (defaults assumed; see the module README)",
    );
  });

  it('fails over quota, naming the quota, the resource and the shortfall', async () => {
    const error = await planError({
      ...smallWebServer,
      namespace,
      size: { instancetype: { name: 'u1.8xlarge' } },
    });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(
      `VM web-01 does not fit namespace ${namespace} on cluster demo-east`,
    );
    expect(error.message).toMatch(
      /team-quota: requests\.memory would be [\d.]+ GiB of 24 GiB \(short by [\d.]+ GiB\)/,
    );
    // 32 vCPUs ask for 3.2 CPUs (KubeVirt's cpuAllocationRatio 10): that fits.
    expect(error.message).not.toContain('requests.cpu');
  });

  it('plans with what the namespace uses now (ResourceQuota status, read live)', async () => {
    const ns = await quotaNamespace('plan-used');
    const kc = adminKubeConfig(testClusters()[0]);
    await kubeRequest(
      kc,
      'POST',
      `/api/v1/namespaces/${ns}/persistentvolumeclaims`,
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'existing' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'standard',
          resources: { requests: { storage: '190Gi' } },
        },
      },
    );
    await waitForQuotaStatus(
      ns,
      q => q.status?.used?.['requests.storage'] === '190Gi',
    );
    const input = {
      ...yaml.parse(examples[1].example).steps[0].input,
      namespace: ns,
    };
    const error = await planError(input);
    expect(error.message).toMatch(
      /team-quota: requests\.storage would be [\d.]+ GiB of 200 GiB \(short by [\d.]+ GiB; [\d.]+ GiB of it is needed only while the disks are imported\)/,
    );
  });

  it("reads the namespace's LimitRanges: a default limit below the VM's memory fails the plan", async () => {
    // Default limits of 1 CPU and 1Gi for containers without limits (as the demo seed once had).
    const ns = await quotaNamespace('plan-limits', {
      limits: [
        {
          type: 'Container',
          defaultRequest: { cpu: '100m', memory: '128Mi' },
          default: { cpu: '1', memory: '1Gi' },
        },
      ],
    });
    const error = await planError({ ...smallWebServer, namespace: ns });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(
      "- The VM's pod would be refused: the compute container's memory request 2316Mi is above its limit 1Gi (a default of LimitRange container-defaults)",
    );
  });

  it('reports over-quota as fits: false when allowOverQuota is set, with the table for the PR', async () => {
    const { outputs, logs } = await runAction(planAction(), {
      ...smallWebServer,
      namespace,
      size: { instancetype: { name: 'u1.8xlarge' } },
      allowOverQuota: true,
    });
    expect(outputs.fits).toBe(false);
    expect(outputs.shortfalls).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^team-quota: requests\.memory would be/),
      ]),
    );
    expect(outputs.summaryMarkdown).toMatch(
      /\| team-quota \| requests\.memory \| 24 GiB \| [^|]+ \| [^|]+ \| [^|]+ \| \*\*no\*\* \|/,
    );
    expect(logs.some(l => l.startsWith('warn: VM web-01 does not fit'))).toBe(
      true,
    );
  });

  it('refuses an unknown cluster, naming the configured ones', async () => {
    const error = await planError({
      ...smallWebServer,
      namespace,
      cluster: 'demo-north',
    });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      "The virtual machine request has a problem: cluster: 'demo-north' is not a configured cluster; choose one of demo-east, demo-west",
    );
  });

  it('refuses a namespace that does not exist on the cluster', async () => {
    const error = await planError({
      ...smallWebServer,
      namespace: 'team-nowhere-1',
    });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(
      "namespace: 'team-nowhere-1' does not exist on cluster demo-east",
    );
  });

  it('lists every problem of an invalid request, by field', async () => {
    const error = await planError({
      ...smallWebServer,
      namespace,
      name: 'Web_01',
      size: { cpu: { cores: 2 }, memory: '4GB' },
      sshKey: 'typo',
    });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('- name: contains the uppercase letter');
    expect(error.message).toContain("- size.memory: '4GB'");
    expect(error.message).toContain('- sshKey: is not a field');
  });

  it('refuses a size the cluster does not offer', async () => {
    const error = await planError({
      ...smallWebServer,
      namespace,
      size: { instancetype: { name: 'u9.huge' } },
    });
    expect(error.message).toContain(
      'The size u9.huge is not offered on cluster demo-east',
    );
  });

  it('says so when the cluster is unreachable', async () => {
    const config = testConfig([
      {
        name: 'demo-down',
        url: 'https://127.0.0.1:1',
        authProvider: 'serviceAccount',
        serviceAccountToken: 'unused',
        skipTLSVerify: true,
      },
    ]);
    const error = await planError(
      { ...smallWebServer, namespace, cluster: 'demo-down' },
      planAction(config),
    );
    expect(error.name).toBe('ServiceUnavailableError');
    expect(error.message).toMatch(
      /on cluster 'demo-down' failed: the apiserver is unreachable/,
    );
    expect(error.message).not.toContain('unused');
  });
});
