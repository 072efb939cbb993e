import { ConfigReader } from '@backstage/config';
import { mockCredentials } from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { VirtualMachineRequestError } from '@vmportal/plugin-kubevirt-common';
import { deleteTestNamespace, testClusters } from '@vmportal/kube-testenv';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createQuotaNamespace,
  runAction,
  testAdmission,
  testAuditor,
  testClustersService,
  testConfig,
} from '../__testUtils__/testEnvironment';
import { createPlanVirtualMachineAction } from '../actions/planVirtualMachine';
import { createRenderVirtualMachineAction } from '../actions/renderVirtualMachine';
import { smallWebServer } from '../actions/exampleRequests';
import { readKubevirtGitopsConfig } from './KubevirtGitopsConfig';

const WEB_MEMBER = ['user:default/mock', 'group:default/team-web'];

type AdmissionOptions = Parameters<typeof testAdmission>[0];

function actions(
  options: AdmissionOptions & { requests?: Record<string, unknown> } = {},
) {
  const config = testConfig(undefined, undefined, options.requests);
  const admission = testAdmission({ config, ...options });
  const clusters = testClustersService(config);
  const auditor = testAuditor();
  return {
    auditor,
    plan: createPlanVirtualMachineAction({ clusters, admission, auditor }),
    render: createRenderVirtualMachineAction({
      clusters,
      admission,
      gitops: readKubevirtGitopsConfig(config),
      auditor,
    }),
  };
}

function files(root: string): string[] {
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile())
    .map(entry => entry.name);
}

/**
 * Runs plan and render with `input`; both must refuse with one
 * VirtualMachineRequestError whose problems name `field`, writing nothing. Returns
 * the render's message.
 */
async function refusal(
  input: Record<string, unknown>,
  field: string,
  options: Parameters<typeof actions>[0] = {},
): Promise<string> {
  const { plan, render } = actions(options);
  const messages: string[] = [];
  for (const action of [plan, render]) {
    const workspacePath = fs.mkdtempSync(path.join(os.tmpdir(), 'admit-'));
    const error = await runAction(action, input, { workspacePath }).then(
      () => undefined,
      e => e,
    );
    expect(error).toBeInstanceOf(VirtualMachineRequestError);
    expect(error).toBeInstanceOf(InputError);
    expect(
      (error as VirtualMachineRequestError).problems.map(p => p.field),
    ).toEqual([field]);
    expect((error as Error).message).toContain(`${field}: `);
    expect(files(workspacePath)).toEqual([]);
    messages.push((error as Error).message);
  }
  expect(messages[0]).toBe(messages[1]);
  return messages[1];
}

describe('who may request a VM where', () => {
  const cluster = () => testClusters()[0];
  const namespaces: string[] = [];
  let webNamespace: string;
  let payNamespace: string;
  let unownedNamespace: string;

  beforeAll(async () => {
    [webNamespace, payNamespace, unownedNamespace] = await Promise.all([
      createQuotaNamespace('admit-web'),
      createQuotaNamespace('admit-pay', {
        labels: { 'vmportal.io/owner': 'team-pay' },
      }),
      createQuotaNamespace('admit-none', {
        labels: { 'vmportal.io/owner': '' },
      }),
    ]);
    namespaces.push(webNamespace, payNamespace, unownedNamespace);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(namespaces.map(ns => deleteTestNamespace(cluster(), ns)));
  });

  const web = () => ({ ...smallWebServer, namespace: webNamespace });

  it("admits a member of the owning team into the team's namespace, reviewed by the namespace's owner", async () => {
    const { plan, render } = actions();
    await runAction(plan, web());
    const { outputs } = await runAction(render, web());
    expect(outputs).toMatchObject({
      teamReviewers: ['team-web'],
      reviewers: [],
      validated: true,
    });
  });

  it("refuses another team's namespace, naming the namespace's owner", async () => {
    const message = await refusal(
      { ...web(), namespace: payNamespace },
      'namespace',
    );
    expect(message).toBe(
      `The virtual machine request has a problem: namespace: '${payNamespace}' on cluster demo-east belongs to group:default/team-pay, not to the owner group:default/team-web; choose a namespace of group:default/team-web, or a team that owns this one`,
    );
  });

  it('audits a refused request as vm-request failed, severity high, naming who asked and where', async () => {
    const { plan, render, auditor } = actions();
    const input = { ...web(), namespace: payNamespace };
    const user = { ref: 'user:default/guest', entity: undefined };
    await expect(runAction(plan, input, { user })).rejects.toThrow(
      /belongs to group:default\/team-pay/,
    );
    await expect(
      runAction(render, { ...web(), namespace: 'kube-system' }, { user }),
    ).rejects.toThrow(/namespace/);
    expect(auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'vm-request',
        severityLevel: 'high',
        status: 'failed',
        meta: expect.objectContaining({
          requestedBy: 'user:default/guest',
          cluster: 'demo-east',
          namespace: payNamespace,
          owner: 'group:default/team-web',
        }),
      }),
      expect.objectContaining({
        eventId: 'vm-request',
        status: 'failed',
        meta: expect.objectContaining({ namespace: 'kube-system' }),
      }),
    ]);
    // An admitted request is not a refusal: nothing more is audited.
    await runAction(plan, web(), { user });
    expect(auditor.events).toHaveLength(2);
  });

  it('refuses a namespace nobody owns', async () => {
    const message = await refusal(
      { ...web(), namespace: unownedNamespace },
      'namespace',
    );
    expect(message).toContain(
      `namespace: '${unownedNamespace}' on cluster demo-east has no owner (no vmportal.io/owner label, no kubevirt.requests.namespaceOwners entry)`,
    );
  });

  it('refuses a requester who is not a member of the owning team', async () => {
    const message = await refusal(
      { ...web(), owner: 'group:default/team-pay', namespace: payNamespace },
      'owner',
    );
    expect(message).toContain(
      'owner: user:default/mock is not a member of group:default/team-pay, and only its members may request VMs for it',
    );
  });

  it('refuses a task not started by a signed-in user', async () => {
    const { plan } = actions();
    const error = await runAction(plan, web(), {
      getInitiatorCredentials: async () =>
        mockCredentials.service('plugin:catalog'),
    }).then(
      () => undefined,
      e => e,
    );
    expect(error).toBeInstanceOf(VirtualMachineRequestError);
    expect(error.message).toContain(
      'owner: the task was not started by a signed-in user, and only members of group:default/team-web may request VMs for it',
    );
  });

  it('refuses an owner that is not a Group in the catalog', async () => {
    const message = await refusal(
      { ...web(), owner: 'group:default/no-such-team' },
      'owner',
      { ownershipEntityRefs: [...WEB_MEMBER, 'group:default/no-such-team'] },
    );
    expect(message).toContain(
      "owner: 'group:default/no-such-team' is not a Group in the catalog",
    );
  });

  describe('the kubevirt.vm.request permission', () => {
    const notMember = { ownershipEntityRefs: ['user:default/mock'] };
    const waiving = {
      requests: { policyMayWaiveMembership: true },
    };

    it("does not open other teams' namespaces by a plain ALLOW (an allow-all policy)", async () => {
      const message = await refusal(web(), 'owner', {
        ...notMember,
        permission: AuthorizeResult.ALLOW,
      });
      expect(message).toContain('is not a member of group:default/team-web');
    });

    it('lets a policy that decides it (policyMayWaiveMembership) admit a non-member: a platform admin', async () => {
      const config = new ConfigReader({
        ...testConfig(undefined, undefined, waiving.requests).get(),
        permission: { enabled: true },
      });
      const admission = testAdmission({
        config,
        ...notMember,
        permission: AuthorizeResult.ALLOW,
      });
      const plan = createPlanVirtualMachineAction({
        clusters: testClustersService(config),
        admission,
        auditor: testAuditor(),
      });
      const { outputs, logs } = await runAction(plan, web());
      expect(outputs.fits).toBe(true);
      expect(logs).toContain(
        'info: user:default/mock is not a member of group:default/team-web; the permission policy allows kubevirt.vm.request, so the request goes ahead',
      );
    });

    it('keeps members-only when that policy says DENY', async () => {
      const config = new ConfigReader({
        ...testConfig(undefined, undefined, waiving.requests).get(),
        permission: { enabled: true },
      });
      const plan = createPlanVirtualMachineAction({
        clusters: testClustersService(config),
        admission: testAdmission({
          config,
          ...notMember,
          permission: AuthorizeResult.DENY,
        }),
        auditor: testAuditor(),
      });
      await expect(runAction(plan, web())).rejects.toThrow(
        'owner: user:default/mock is not a member of group:default/team-web',
      );
    });
  });

  it.each(['default', 'vmportal-system', 'kubevirt', 'cdi', 'openshift-cnv'])(
    'refuses the protected namespace %s',
    async namespace => {
      const message = await refusal({ ...web(), namespace }, 'namespace');
      expect(message).toMatch(
        new RegExp(
          `namespace: ('${namespace}' is a protected|is a system) namespace`,
        ),
      );
    },
  );

  it('refuses a configured protected namespace, even one the team owns (kubevirt.requests.protectedNamespaces)', async () => {
    const message = await refusal(web(), 'namespace', {
      requests: { protectedNamespaces: ['admit-web-*'] },
    });
    expect(message).toContain(
      `namespace: '${webNamespace}' is a protected namespace (admit-web-*), where the portal puts no VMs`,
    );
  });

  const httpImage = (url: string) => ({
    ...web(),
    image: { http: { url }, size: '10Gi', storageClass: 'standard' },
  });

  it.each([
    [
      'http://169.254.169.254/latest/meta-data/',
      '169.254.169.254',
      'link-local',
    ],
    [
      'http://metadata.google.internal/computeMetadata/v1/',
      'metadata.google.internal',
      'metadata',
    ],
    ['http://127.0.0.1:8080/disk.qcow2', '127.0.0.1', 'loopback'],
    ['http://2130706433/disk.qcow2', '127.0.0.1', 'loopback'],
    ['http://127.1/disk.qcow2', '127.0.0.1', 'loopback'],
    ['https://localhost/disk.qcow2', 'localhost', 'loopback'],
    ['http://[::1]/disk.qcow2', '[::1]', 'loopback'],
    ['http://[::ffff:127.0.0.1]/disk.qcow2', '[::ffff:7f00:1]', 'loopback'],
    ['http://[fe80::1]/disk.qcow2', '[fe80::1]', 'link-local'],
    ['http://0.0.0.0/disk.qcow2', '0.0.0.0', 'unspecified'],
  ])('refuses the image URL %s', async (url, host, what) => {
    const message = await refusal(httpImage(url), 'image.http.url');
    expect(message).toContain(`image.http.url: points at ${host}, `);
    expect(message).toContain(what);
    expect(message).toContain('kubevirt.requests.allowedImageHosts');
  });

  it.each([
    [
      'image.registry.url',
      {
        registry: { url: 'docker://127.0.0.1:5000/fedora:41' },
        size: '10Gi',
        storageClass: 'standard',
      },
    ],
    [
      'image.containerDisk.image',
      { containerDisk: { image: 'localhost:5000/containerdisks/fedora:41' } },
    ],
  ])('refuses a loopback registry in %s', async (field, image) => {
    const message = await refusal({ ...web(), image }, field);
    expect(message).toContain(`${field}: points at `);
  });

  it('allows a host named in kubevirt.requests.allowedImageHosts', async () => {
    const { plan } = actions({
      requests: { allowedImageHosts: ['127.0.0.1'] },
    });
    const { outputs } = await runAction(
      plan,
      httpImage('http://127.0.0.1:8080/disk.qcow2'),
    );
    expect(outputs.fits).toBe(true);
  });

  describe('reviewers', () => {
    const requests = () => ({
      namespaceOwners: {
        [`demo-east/${webNamespace}`]: 'group:default/team-pay',
      },
      approvers: ['group:default/vm-approvers', 'user:default/jane'],
    });

    it("are the namespace's owners and the configured approvers, as GitHub names", async () => {
      const { render } = actions({ requests: requests() });
      const { outputs } = await runAction(render, web());
      expect(outputs.teamReviewers).toEqual([
        'team-web',
        'payments',
        'vm-reviewers',
      ]);
      expect(outputs.reviewers).toEqual(['jane-gh']);
    });

    it("are the namespace's owners whichever of them the requester names as owner", async () => {
      const { render } = actions({
        requests: requests(),
        ownershipEntityRefs: [...WEB_MEMBER, 'group:default/team-pay'],
      });
      const { outputs } = await runAction(render, {
        ...web(),
        owner: 'group:default/team-pay',
      });
      expect(outputs.teamReviewers).toEqual([
        'team-web',
        'payments',
        'vm-reviewers',
      ]);
    });

    it.each(['teamReviewers', 'reviewers'])(
      'cannot be chosen by the requester (%s input)',
      async field => {
        const message = await refusal(
          { ...web(), [field]: ['my-friend'] },
          field,
        );
        expect(message).toContain(
          `${field}: is not a field of a VM request; remove it`,
        );
      },
    );
  });

  it('refuses, when the cluster is unreachable, a namespace whose owner only its label names', async () => {
    const config = testConfig([
      {
        name: 'demo-down',
        url: 'https://127.0.0.1:1',
        authProvider: 'serviceAccount',
        serviceAccountToken: 'unused',
        skipTLSVerify: true,
      },
    ]);
    const render = createRenderVirtualMachineAction({
      clusters: testClustersService(config),
      admission: testAdmission({ config }),
      gitops: readKubevirtGitopsConfig(config),
      auditor: testAuditor(),
    });
    const workspacePath = fs.mkdtempSync(path.join(os.tmpdir(), 'admit-'));
    await expect(
      runAction(
        render,
        { ...web(), cluster: 'demo-down', allowOffline: true },
        { workspacePath },
      ),
    ).rejects.toThrow(
      `namespace: '${webNamespace}' on cluster demo-down cannot be read (the cluster is unreachable) and kubevirt.requests.namespaceOwners does not name its owner`,
    );
    expect(files(workspacePath)).toEqual([]);
  });
});
