import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import githubModule from '@backstage/plugin-scaffolder-backend-module-github';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { deleteTestNamespace, testClusters } from '@vmportal/kube-testenv';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import yaml from 'yaml';
import {
  createQuotaNamespace,
  TEST_CATALOG,
  testConfig,
} from './__testUtils__/testEnvironment';
import { scaffolderModuleKubevirtActions } from './module';

const TEMPLATE = path.resolve(
  __dirname,
  '../../../templates/request-virtual-machine/template.yaml',
);

describe('scaffolderModuleKubevirtActions', () => {
  it('adds kubevirt:vm:plan, kubevirt:vm:render and kubevirt:vm:record-request', async () => {
    const addActions = jest.fn();
    const backend = await startTestBackend({
      extensionPoints: [[scaffolderActionsExtensionPoint, { addActions }]],
      features: [
        scaffolderModuleKubevirtActions,
        mockServices.rootConfig.factory({ data: testConfig().get() as any }),
      ],
    });
    const actions = addActions.mock.calls.flat();
    expect(actions.map(a => a.id)).toEqual([
      'kubevirt:vm:plan',
      'kubevirt:vm:render',
      'kubevirt:vm:change',
      'kubevirt:vm:record-request',
    ]);
    await backend.stop();
  });

  it('fails at start-up on an unusable kubevirt.gitops config, naming the key', async () => {
    await expect(
      startTestBackend({
        extensionPoints: [
          [scaffolderActionsExtensionPoint, { addActions: jest.fn() }],
        ],
        features: [
          scaffolderModuleKubevirtActions,
          mockServices.rootConfig.factory({
            data: { kubevirt: { gitops: { repoUrl: 'https://x/y' } } },
          }),
        ],
      }),
    ).rejects.toThrow(/kubevirt\.gitops\.repoUrl/);
  });
});

describe('in the scaffolder', () => {
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let stop: () => Promise<void>;
  let namespace: string;
  let otherTeamsNamespace: string;

  beforeAll(async () => {
    namespace = await createQuotaNamespace('template');
    otherTeamsNamespace = await createQuotaNamespace('template-pay', {
      labels: { 'vmportal.io/owner': 'team-pay' },
    });
    const config = testConfig().get() as Record<string, any>;
    const backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        githubModule,
        scaffolderModuleKubevirtActions,
        catalogServiceMock.factory({ entities: TEST_CATALOG }),
        // The requester (the mock user) is a member of team-web.
        createServiceFactory({
          service: coreServices.userInfo,
          deps: {},
          factory: () =>
            mockServices.userInfo({
              ownershipEntityRefs: [
                'user:default/mock',
                'group:default/team-web',
              ],
            }),
        }),
        mockServices.rootConfig.factory({
          data: {
            ...config,
            integrations: {
              github: [
                {
                  host: 'git.example.com',
                  apiBaseUrl: 'http://127.0.0.1:1/api/v3',
                  token: 'not-used-in-a-dry-run',
                },
              ],
            },
          },
        }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
  }, 120_000);

  afterAll(async () => {
    await stop?.();
    if (namespace) await deleteTestNamespace(testClusters()[0], namespace);
    if (otherTeamsNamespace) {
      await deleteTestNamespace(testClusters()[0], otherTeamsNamespace);
    }
  });

  it('lists the actions with their input and output schemas and examples (/create/actions)', async () => {
    const response = await request(server).get('/api/scaffolder/v2/actions');
    expect(response.status).toBe(200);
    const all = (response.body as any[]).filter(a =>
      a.id.startsWith('kubevirt:'),
    );
    expect(all.map(a => a.id).sort()).toEqual([
      'kubevirt:vm:change',
      'kubevirt:vm:plan',
      'kubevirt:vm:record-request',
      'kubevirt:vm:render',
    ]);
    const byId = (id: string) => all.find(a => a.id === id);
    const ours = [byId('kubevirt:vm:plan'), byId('kubevirt:vm:render')];
    for (const action of ours) {
      expect(action.description).toMatch(/.{40}/);
      expect(action.examples.length).toBeGreaterThanOrEqual(3);
      for (const example of action.examples) {
        expect(yaml.parse(example.example).steps.length).toBeGreaterThan(0);
      }
      expect(action.schema.input.properties).toMatchObject({
        cluster: { type: 'string' },
        name: { type: 'string' },
        size: { type: 'object' },
        image: { type: 'object' },
      });
      expect(action.schema.input.required).toEqual(
        expect.arrayContaining(['cluster', 'namespace', 'name', 'owner']),
      );
    }
    expect(Object.keys(ours[0].schema.output.properties)).toEqual([
      'fits',
      'rows',
      'shortfalls',
      'problems',
      'summaryMarkdown',
      'size',
    ]);
    expect(Object.keys(ours[1].schema.output.properties)).toEqual(
      expect.arrayContaining([
        'files',
        'manifestPath',
        'sourcePath',
        'repoUrl',
        'branchName',
        'teamReviewers',
      ]),
    );
    const record = byId('kubevirt:vm:record-request');
    expect(record.description).toMatch(/VM requests page/);
    expect(record.schema.input.required).toEqual(
      expect.arrayContaining(['pullRequestUrl', 'owner', 'cluster', 'name']),
    );
    expect(Object.keys(record.schema.output.properties)).toEqual([
      'requestId',
      'requestUrl',
      'requestPath',
    ]);
  });

  /** The image picker's value for an ephemeral container disk. */
  const ephemeral = (image: string, preference: string) => ({
    image: { containerDisk: { image } },
    preference,
    title: image,
  });

  async function dryRun(values: Record<string, unknown>) {
    const template = yaml.parse(fs.readFileSync(TEMPLATE, 'utf8'));
    const response = await request(server)
      .post('/api/scaffolder/v2/dry-run')
      .send({ template, values, directoryContents: [] });
    return response;
  }

  it('dry-runs the request template: plan and render run for real, the PR step is skipped', async () => {
    const response = await dryRun({
      cluster: 'demo-east',
      namespace,
      name: 'dry-01',
      owner: 'group:default/team-web',
      description: 'Dry run of the template',
      instancetype: 'u1.small',
      os: ephemeral('quay.io/containerdisks/ubuntu:24.04', 'ubuntu'),
      dataDiskSize: 0,
      sshPublicKey:
        'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEbD1Cl+FejnOfTOogjPOPrDhG4DaPCUBgJp4mKIkxDn jane@example.com\n',
    });
    expect(response.status).toBe(200);
    const log = (response.body.log as any[])
      .map(l => l.body.message)
      .join('\n');
    expect(log).toContain(
      `VM dry-01 fits every quota of namespace ${namespace} on cluster demo-east`,
    );
    expect(log).toContain('Cluster demo-east accepts VirtualMachine dry-01');
    // The stock action checks its inputs (sourcePath, repoUrl) and stops short of GitHub.
    expect(log).toContain('Performing dry run of creating pull request');
    const files = Object.fromEntries(
      (response.body.directoryContents as any[]).map(f => [
        f.path,
        Buffer.from(f.base64Content, 'base64').toString('utf8'),
      ]),
    );
    const folder = `clusters/demo-east/${namespace}/dry-01`;
    expect(Object.keys(files).sort()).toEqual([
      `${folder}/kustomization.yaml`,
      `${folder}/virtualmachine.yaml`,
    ]);
    const vm = yaml.parse(files[`${folder}/virtualmachine.yaml`]);
    expect(vm.spec.preference).toEqual({
      kind: 'VirtualMachineClusterPreference',
      name: 'ubuntu',
    });
    expect(vm.spec.instancetype).toMatchObject({ name: 'u1.small' });
    expect(vm.spec.template.spec.volumes).toContainEqual({
      name: 'rootdisk',
      containerDisk: { image: 'quay.io/containerdisks/ubuntu:24.04' },
    });
    expect(vm.spec.dataVolumeTemplates).toBeUndefined();
    // The VM names its request (the task), and the task's output links to the request's page.
    const requestId = vm.metadata.annotations['vmportal.io/request-id'];
    expect(requestId).toMatch(/^dry-run-[0-9a-f-]{36}$/);
    expect(response.body.output.links[0]).toEqual({
      title: 'Follow the request',
      url: `/vm-requests/${requestId}`,
    });
    expect(log).toContain(`Dry run: would record request ${requestId}`);
    expect(response.body.output.text[0].content).toContain(
      '| Quota | Resource | Hard | Used | This VM | After | Fits |',
    );
  });

  it('dry-runs an extra disk from the form as a DataVolume template of that size', async () => {
    const response = await dryRun({
      cluster: 'demo-east',
      namespace,
      name: 'dry-02',
      owner: 'group:default/team-web',
      instancetype: 'u1.micro',
      os: ephemeral('quay.io/containerdisks/centos-stream:9', 'centos.stream9'),
      dataDiskSize: 20,
      dataDiskStorageClass: 'standard',
      sshPublicKey: '',
    });
    expect(response.status).toBe(200);
    const vmFile = (response.body.directoryContents as any[]).find(f =>
      f.path.endsWith('/virtualmachine.yaml'),
    );
    const vm = yaml.parse(
      Buffer.from(vmFile.base64Content, 'base64').toString(),
    );
    expect(vm.spec.dataVolumeTemplates).toEqual([
      {
        metadata: {
          name: 'dry-02-data',
          labels: {
            'app.kubernetes.io/managed-by': 'vmportal',
            'vmportal.io/owner': 'team-web',
          },
        },
        spec: {
          source: { blank: {} },
          storage: {
            resources: { requests: { storage: '20Gi' } },
            storageClassName: 'standard',
          },
        },
      },
    ]);
    expect(vm.spec.preference.name).toBe('centos.stream9');
    expect(response.body.output.text[0].content).toMatch(
      /\| team-quota \| requests\.storage \| 200 GiB \| 0 bytes \| 21\.2 GiB/,
    );
  });

  it('dry-runs a golden image as a persistent root disk cloned from its DataSource, counted in the plan', async () => {
    const response = await dryRun({
      cluster: 'demo-east',
      namespace,
      name: 'dry-05',
      owner: 'group:default/team-web',
      instancetype: 'u1.small',
      os: {
        image: {
          dataSource: { name: 'fedora', namespace: 'kubevirt-os-images' },
          size: '8Gi',
          // The test clusters have no default storage class.
          storageClass: 'standard',
        },
        preference: '',
        title: 'Fedora 41',
      },
      dataDiskSize: 0,
    });
    expect(response.body.error).toBeUndefined();
    expect(response.status).toBe(200);
    const vmFile = (response.body.directoryContents as any[]).find(f =>
      f.path.endsWith('/virtualmachine.yaml'),
    );
    const vm = yaml.parse(
      Buffer.from(vmFile.base64Content, 'base64').toString(),
    );
    // The image names no preference: the VM has none.
    expect(vm.spec.preference).toBeUndefined();
    expect(vm.spec.dataVolumeTemplates).toEqual([
      expect.objectContaining({
        spec: {
          sourceRef: {
            kind: 'DataSource',
            name: 'fedora',
            namespace: 'kubevirt-os-images',
          },
          storage: {
            resources: { requests: { storage: '8Gi' } },
            storageClassName: 'standard',
          },
        },
      }),
    ]);
    // 8 GiB plus CDI's 6% file system overhead, aligned: the root disk's claim.
    expect(response.body.output.text[0].content).toMatch(
      /\| team-quota \| requests\.storage \| 200 GiB \| 0 bytes \| 8\.5 GiB/,
    );
  });

  it('fails the dry run at the plan when the VM does not fit', async () => {
    const response = await dryRun({
      cluster: 'demo-east',
      namespace,
      name: 'dry-03',
      owner: 'group:default/team-web',
      instancetype: 'u1.8xlarge',
      os: ephemeral('quay.io/containerdisks/fedora:41', 'fedora'),
      dataDiskSize: 0,
    });
    expect(response.status).toBe(400);
    expect(response.body.error.name).toBe('InputError');
    expect(response.body.error.message).toMatch(
      new RegExp(
        `^VM dry-03 does not fit namespace ${namespace} on cluster demo-east:\\n- team-quota: requests\\.memory would be [\\d.]+ GiB of 24 GiB \\(short by [\\d.]+ GiB\\)`,
      ),
    );
  });

  it("fails the dry run at the plan, before any pull request, for another team's namespace", async () => {
    const response = await dryRun({
      cluster: 'demo-east',
      namespace: otherTeamsNamespace,
      name: 'dry-04',
      owner: 'group:default/team-web',
      instancetype: 'u1.small',
      os: ephemeral('quay.io/containerdisks/fedora:41', 'fedora'),
      dataDiskSize: 0,
    });
    expect(response.status).toBe(400);
    expect(response.body.error.name).toBe('InputError');
    expect(response.body.error.message).toBe(
      `The virtual machine request has a problem: namespace: '${otherTeamsNamespace}' on cluster demo-east belongs to group:default/team-pay, not to the owner group:default/team-web; choose a namespace of group:default/team-web, or a team that owns this one`,
    );
  });

  it('gives the pull request only the reviewers the render step names, never a form field', () => {
    const template = yaml.parse(fs.readFileSync(TEMPLATE, 'utf8'));
    const pr = template.spec.steps.find(
      (step: { action: string }) =>
        step.action === 'publish:github:pull-request',
    );
    expect(pr.input.teamReviewers).toBe(
      '${{ steps.render.output.teamReviewers }}',
    );
    expect(pr.input.reviewers).toBe('${{ steps.render.output.reviewers }}');
    const fields = template.spec.parameters.flatMap((page: any) =>
      Object.keys(page.properties),
    );
    expect(fields.filter((f: string) => /review|approv/i.test(f))).toEqual([]);
  });
});
