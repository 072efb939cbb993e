import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  adminKubeConfig,
  applyObjects,
  deleteTestNamespace,
  testClusters,
} from '@vmportal/kube-testenv';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import {
  createQuotaNamespace,
  runAction,
  TEST_REPO_URL,
  testAdmission,
  testAuditor,
  testClustersService,
  testConfig,
} from '../__testUtils__/testEnvironment';
import { readKubevirtGitopsConfig } from '../lib/KubevirtGitopsConfig';
import { createRenderVirtualMachineAction } from './renderVirtualMachine';
import { examples } from './renderVirtualMachine.examples';
import { smallWebServer } from './exampleRequests';

const namespaces: string[] = [];
afterAll(async () => {
  await Promise.all(
    namespaces.map(ns => deleteTestNamespace(testClusters()[0], ns)),
  );
});

function renderAction(
  config: ConfigReader = testConfig(),
  admission = testAdmission({ config }),
) {
  return createRenderVirtualMachineAction({
    clusters: testClustersService(config),
    admission,
    gitops: readKubevirtGitopsConfig(config),
    auditor: testAuditor(),
  });
}

async function renderError(
  input: Record<string, unknown>,
  action = renderAction(),
  context = {},
): Promise<Error> {
  try {
    await runAction(action, input, context);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the render did not fail');
}

function readTree(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files[path.relative(root, full)] = fs.readFileSync(full, 'utf8');
    }
  };
  if (fs.existsSync(root)) walk(root);
  return files;
}

describe('kubevirt:vm:render', () => {
  let namespace: string;
  beforeAll(async () => {
    namespace = await createQuotaNamespace('render');
    namespaces.push(namespace);
  }, 120_000);

  const steps = examples.flatMap(example =>
    (yaml.parse(example.example).steps as any[])
      .filter(step => step.action === 'kubevirt:vm:render')
      .map(step => [example.description, step.input] as const),
  );

  it.each(steps)(
    'runs the example: %s',
    async (_description, input) => {
      const { outputs, workspacePath, logs } = await runAction(
        renderAction(),
        { ...input, namespace },
        { user: { ref: 'user:default/jane' } },
      );
      const targetPath = input.targetPath ?? '.';
      const template: string =
        input.pathTemplate ?? 'clusters/{cluster}/{namespace}/{name}/';
      const folder = template
        .replace('{cluster}', input.cluster)
        .replace('{namespace}', namespace)
        .replace('{name}', input.name)
        .replace(/\/$/, '');
      expect(outputs).toMatchObject({
        manifestPath: folder,
        sourcePath: path.posix.normalize(`${targetPath}/${folder}`),
        repoUrl: input.repoUrl ?? TEST_REPO_URL,
        branchName: `vm-request/${input.cluster}-${namespace}-${input.name}`,
        targetBranchName: 'main',
        teamReviewers: ['team-web'],
        validated: true,
      });
      // Exactly the output files are in the workspace, below sourcePath.
      const written = readTree(path.join(workspacePath, targetPath));
      expect(Object.keys(written).sort()).toEqual(
        [...(outputs.files as string[])].sort(),
      );
      expect(
        (outputs.files as string[]).every(f => f.startsWith(`${folder}/`)),
      ).toBe(true);
      const documents = Object.fromEntries(
        Object.entries(written).map(([file, text]) => [
          path.posix.basename(file),
          yaml.parse(text),
        ]),
      );
      const vm = documents['virtualmachine.yaml'];
      expect(vm).toMatchObject({
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: {
          name: input.name,
          namespace,
          annotations: expect.objectContaining({
            'vmportal.io/requested-by': 'user:default/jane',
            'vmportal.io/description': input.description,
          }),
        },
      });
      expect(documents['kustomization.yaml'].resources.sort()).toEqual(
        Object.keys(documents)
          .filter(name => name !== 'kustomization.yaml')
          .sort(),
      );
      if (input.dataVolumes === 'standalone') {
        // eslint-disable-next-line jest/no-conditional-expect
        expect(Object.keys(documents).sort()).toEqual([
          `datavolume-${input.name}-data.yaml`,
          `datavolume-${input.name}-rootdisk.yaml`,
          'kustomization.yaml',
          'virtualmachine.yaml',
        ]);
      }
      expect(logs.join('\n')).toContain(
        `Cluster demo-east accepts VirtualMachine ${input.name}`,
      );
    },
    60_000,
  );

  it('renders a golden image without a size as a DataVolume that asks for none, which the cluster accepts (CDI sizes it from the source)', async () => {
    const { outputs, workspacePath, logs } = await runAction(renderAction(), {
      ...smallWebServer,
      namespace,
      name: 'web-golden',
      image: { dataSource: { name: 'fedora', namespace: 'os-images' } },
    });
    const vm = yaml.parse(
      fs.readFileSync(
        path.join(
          workspacePath,
          (outputs.files as string[]).find(f =>
            f.endsWith('virtualmachine.yaml'),
          )!,
        ),
        'utf8',
      ),
    );
    expect(vm.spec.dataVolumeTemplates).toMatchObject([
      {
        metadata: { name: 'web-golden-rootdisk' },
        spec: {
          sourceRef: {
            kind: 'DataSource',
            name: 'fedora',
            namespace: 'os-images',
          },
          storage: {},
        },
      },
    ]);
    // No resources at all: the claim's size is CDI's to take from the source.
    expect(vm.spec.dataVolumeTemplates[0].spec.storage).toEqual({});
    expect(logs.join('\n')).toContain(
      'Cluster demo-east accepts VirtualMachine web-golden',
    );
  });

  it('renders the same bytes for the same request', async () => {
    const input = { ...smallWebServer, namespace };
    const first = await runAction(renderAction(), input);
    const second = await runAction(renderAction(), input);
    expect(readTree(second.workspacePath)).toEqual(
      readTree(first.workspacePath),
    );
  });

  it('refuses a VM name that already exists on the cluster (the dry run says so)', async () => {
    const kc = adminKubeConfig(testClusters()[0]);
    await applyObjects(kc, [
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: { name: 'taken', namespace },
        spec: {
          runStrategy: 'Halted',
          template: {
            spec: {
              domain: { devices: {}, memory: { guest: '1Gi' } },
            },
          },
        },
      } as Parameters<typeof applyObjects>[1][number],
    ]);
    const error = await renderError({
      ...smallWebServer,
      namespace,
      name: 'taken',
    });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      `The virtual machine request has a problem: name: a VirtualMachine taken already exists in namespace ${namespace} on cluster demo-east; choose another name`,
    );
  });

  it('refuses a namespace that does not exist, writing nothing', async () => {
    const workspacePath = fs.mkdtempSync(path.join(os.tmpdir(), 'render-'));
    const error = await renderError(
      { ...smallWebServer, namespace: 'team-nowhere-2' },
      renderAction(),
      { workspacePath },
    );
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(
      /Cannot check the VirtualMachine web-01 in namespace team-nowhere-2 on cluster demo-east: .*not found/,
    );
    expect(readTree(workspacePath)).toEqual({});
  });

  describe('when the cluster is unreachable', () => {
    // Its namespace's label cannot be read, so only the config says who owns it.
    const config = () =>
      testConfig(
        [
          {
            name: 'demo-down',
            url: 'https://127.0.0.1:1',
            authProvider: 'serviceAccount',
            serviceAccountToken: 'unused',
            skipTLSVerify: true,
          },
        ],
        undefined,
        {
          namespaceOwners: {
            [`demo-down/${namespace}`]: 'group:default/team-web',
          },
        },
      );

    it('fails, saying so, unless allowOffline is set', async () => {
      const error = await renderError(
        { ...smallWebServer, namespace, cluster: 'demo-down' },
        renderAction(config()),
      );
      expect(error.name).toBe('ServiceUnavailableError');
      expect(error.message).toMatch(
        /^Cluster demo-down is unreachable, so the manifests could not be checked \(.*\); try again later, or set allowOffline: true/,
      );
    });

    it('writes the files unchecked with allowOffline, and says so', async () => {
      const { outputs, logs, workspacePath } = await runAction(
        renderAction(config()),
        {
          ...smallWebServer,
          namespace,
          cluster: 'demo-down',
          allowOffline: true,
        },
      );
      expect(outputs.validated).toBe(false);
      expect(Object.keys(readTree(workspacePath))).toHaveLength(2);
      expect(logs.join('\n')).toContain(
        'warn: Cluster demo-down is unreachable; the manifests are NOT checked (allowOffline)',
      );
    });
  });

  it.each([
    ['../outside', /targetPath: leaves the workspace/],
    ['/etc', /targetPath: is absolute/],
    ['a/../../b', /targetPath: leaves the workspace/],
    ['C:\\temp', /targetPath: contains a control character or '\\'/],
  ])('refuses targetPath %j', async (targetPath, message) => {
    const error = await renderError({
      ...smallWebServer,
      namespace,
      targetPath,
    });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(message);
  });

  it('does not follow a symlink an earlier step left in the workspace', async () => {
    const workspacePath = fs.mkdtempSync(path.join(os.tmpdir(), 'render-'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
    fs.symlinkSync(outside, path.join(workspacePath, 'clusters'));
    const error = await renderError(
      { ...smallWebServer, namespace },
      renderAction(),
      { workspacePath },
    );
    expect(error.message).toMatch(
      /virtualmachine\.yaml would be written outside the task workspace/,
    );
    expect(readTree(outside)).toEqual({});
  });

  it.each([
    ['clusters/{namespace}/{name}', /lacks \{cluster\}/],
    ['../{cluster}/{namespace}/{name}', /relative folder/],
    ['clusters/{cluster}/{ns}/{name}', /unknown placeholder \{ns\}/],
    ['clusters/{cluster}/{namespace}/{name} x', /may only contain/],
  ])('refuses pathTemplate %j', async (pathTemplate, message) => {
    const error = await renderError({
      ...smallWebServer,
      namespace,
      pathTemplate,
    });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(message);
  });

  it('needs a repository: from its input or kubevirt.gitops.repoUrl', async () => {
    const error = await renderError(
      { ...smallWebServer, namespace },
      renderAction(testConfig([], {})),
    );
    expect(error.message).toContain(
      'repoUrl: is not given and kubevirt.gitops.repoUrl is not configured',
    );
  });
});

describe('readKubevirtGitopsConfig', () => {
  it('reads the defaults', () => {
    expect(readKubevirtGitopsConfig(new ConfigReader({}))).toEqual({
      repoUrl: undefined,
      pathTemplate: 'clusters/{cluster}/{namespace}/{name}/',
      defaultBranch: 'main',
    });
  });

  it.each([
    [{ repoUrl: 'https://github.com/acme/vms' }, /kubevirt\.gitops\.repoUrl/],
    [{ repoUrl: 'github.com?owner=acme' }, /has no valid repo/],
    [{ pathTemplate: 'vms/{name}' }, /kubevirt\.gitops\.pathTemplate .* lacks/],
    [{ defaultBranch: 'main..x' }, /kubevirt\.gitops\.defaultBranch/],
  ])('fails at start-up on %j, naming the key', (gitops, message) => {
    expect(() =>
      readKubevirtGitopsConfig(new ConfigReader({ kubevirt: { gitops } })),
    ).toThrow(message);
  });
});
