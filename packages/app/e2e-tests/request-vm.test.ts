// "Request a virtual machine", end to end against the running demo portal: the
// scaffolder task (through the backend's API, as a script would call it), the pull
// request in the demo git server, and the VM that merging it creates on the cluster.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import {
  cluster,
  DEMO_REPO,
  FEDORA_CONTAINER_DISK,
  git,
  gitApi,
  kube,
  removeRequestedVm,
  runTemplate,
  waitFor,
} from './portal';

const TEMPLATE_REF = 'template:default/request-virtual-machine';
const REPO = DEMO_REPO;
const SSH_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEbD1Cl+FejnOfTOogjPOPrDhG4DaPCUBgJp4mKIkxDn e2e@vmportal';

function branchExists(branch: string): boolean {
  return git('branch', '--list', branch).trim() !== '';
}

interface PullRequest {
  number: number;
  title: string;
  body: string;
  state: string;
  head: { ref: string };
  requested_teams: Array<{ slug: string }>;
}

async function pullRequestsFor(branch: string): Promise<PullRequest[]> {
  return gitApi<PullRequest[]>(
    `/repos/${REPO.owner}/${REPO.repo}/pulls?state=all&head=${
      REPO.owner
    }:${encodeURIComponent(branch)}`,
  );
}

const suffix = randomBytes(3).toString('hex');

describe('Request a virtual machine', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch(error =>
        process.stderr.write(`cleanup failed: ${error}\n`),
      );
    }
  });

  test('a request that fits becomes a pull request, and merging it starts the VM', async () => {
    // team-web: the guest's team, so the guest may request VMs into its namespace.
    const name = `e2e-vm-${suffix}`;
    const namespace = 'team-web';
    const branch = `vm-request/demo-east-${namespace}-${name}`;
    const folder = `clusters/demo-east/${namespace}/${name}`;
    const east = cluster('demo-east');

    const run = await runTemplate(TEMPLATE_REF, {
      cluster: 'demo-east',
      namespace,
      name,
      owner: 'group:default/team-web',
      description: 'End-to-end test VM: *not* <b>real</b>',
      instancetype: 'u1.small',
      os: FEDORA_CONTAINER_DISK,
      dataDiskSize: 10,
      sshPublicKey: `${SSH_KEY}\n`,
    });
    assert.equal(run.status, 'completed', run.log);
    assert.match(run.log, new RegExp(`VM ${name} fits every quota`));
    const completion = run.events.find(e => e.type === 'completion');
    assert.ok(
      completion?.body.output?.links?.some(l => l.title === 'Pull request'),
      'the task links to the pull request',
    );

    // The branch and its files, in the bare repository.
    assert.ok(branchExists(branch), `branch ${branch} exists`);
    const files = git('ls-tree', '-r', '--name-only', branch, `${folder}/`)
      .trim()
      .split('\n');
    assert.deepEqual(files.sort(), [
      `${folder}/kustomization.yaml`,
      `${folder}/virtualmachine.yaml`,
    ]);
    const vmYaml = git('show', `${branch}:${folder}/virtualmachine.yaml`);
    // Deterministic YAML, so the lines are exactly these (indentation included).
    const vmLines = vmYaml.split('\n');
    for (const line of [
      'apiVersion: kubevirt.io/v1',
      'kind: VirtualMachine',
      `  name: ${name}`,
      `  namespace: ${namespace}`,
      '    vmportal.io/description: "End-to-end test VM: *not* <b>real</b>"',
      '    vmportal.io/owner: team-web',
      '    name: u1.small',
      '    name: fedora',
      '            image: quay.io/containerdisks/fedora:41',
      `        name: ${name}-data`,
      '              storage: 10Gi',
      '            userData: |',
      `                - ${SSH_KEY}`,
      '              ssh_pwauth: false',
    ]) {
      assert.ok(
        vmLines.includes(line),
        `virtualmachine.yaml has the line "${line}":\n${vmYaml}`,
      );
    }
    assert.match(
      git('show', `${branch}:${folder}/kustomization.yaml`),
      /resources:\n {2}- virtualmachine\.yaml\n/,
    );

    // The pull request: plan table in its body, the owning team as reviewer.
    const [pr] = await pullRequestsFor(branch);
    assert.ok(pr, `a pull request from ${branch}`);
    cleanups.push(async () => {
      const now = await gitApi<PullRequest>(
        `/repos/${REPO.owner}/${REPO.repo}/pulls/${pr.number}`,
      );
      if (now.state === 'open') {
        await gitApi(`/repos/${REPO.owner}/${REPO.repo}/pulls/${pr.number}`, {
          method: 'PATCH',
          body: JSON.stringify({ state: 'closed' }),
        });
      }
      await gitApi(
        `/repos/${REPO.owner}/${REPO.repo}/git/refs/${encodeURIComponent(
          `heads/${branch}`,
        )}`,
        { method: 'DELETE' },
      );
    });
    assert.equal(pr.state, 'open');
    assert.equal(pr.title, `Request VM ${name} in demo-east/${namespace}`);
    assert.match(
      pr.body,
      /\| Quota \| Resource \| Hard \| Used \| This VM \| After \| Fits \|/,
    );
    assert.match(pr.body, /\| team-quota \| requests\.memory \| 24 GiB \|/);
    assert.match(pr.body, /\| team-quota \| requests\.storage \| 200 GiB \|/);
    assert.match(pr.body, /The VM fits every quota that applies to it\./);
    // Request text is escaped: it cannot format, link or inject HTML into the body.
    assert.ok(
      pr.body.includes(
        '- **Purpose:** End\\-to\\-end test VM\\: \\*not\\* \\<b\\>real\\</b\\>\n',
      ),
      pr.body,
    );
    assert.deepEqual(
      pr.requested_teams.map(t => t.slug),
      ['team-web'],
    );

    // Merging is the approval: GitOps applies the manifests and the VM starts.
    cleanups.push(() => removeRequestedVm(east, namespace, name));
    const merged = await gitApi<{ merged: boolean }>(
      `/repos/${REPO.owner}/${REPO.repo}/pulls/${pr.number}/merge`,
      { method: 'PUT', body: JSON.stringify({ merge_method: 'merge' }) },
    );
    assert.equal(merged.merged, true);
    const vm = await waitFor(`VM ${name} to be Running`, 180_000, async () => {
      const object = await kube<{
        metadata: { labels?: Record<string, string> };
        status?: { printableStatus?: string };
      }>(
        east,
        'GET',
        `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/${name}`,
      );
      return object.status?.printableStatus === 'Running' ? object : undefined;
    });
    assert.equal(vm.metadata.labels?.['vmportal.io/owner'], 'team-web');
  });

  test('a request over quota fails at the plan, naming the quota and the shortfall, and opens nothing', async () => {
    const name = `e2e-big-${suffix}`;
    const branch = `vm-request/demo-east-team-web-${name}`;
    const pullsBefore = await gitApi<PullRequest[]>(
      `/repos/${REPO.owner}/${REPO.repo}/pulls?state=all&per_page=100`,
    );

    const run = await runTemplate(TEMPLATE_REF, {
      cluster: 'demo-east',
      namespace: 'team-web',
      name,
      owner: 'group:default/team-web',
      instancetype: 'u1.8xlarge',
      os: FEDORA_CONTAINER_DISK,
      dataDiskSize: 0,
    });
    assert.equal(run.status, 'failed', run.log);
    assert.match(
      run.log,
      new RegExp(
        `VM ${name} does not fit namespace team-web on cluster demo-east`,
      ),
    );
    assert.match(
      run.log,
      /team-quota: requests\.memory would be [\d.]+ GiB of 24 GiB \(short by [\d.]+ GiB\)/,
    );
    const failedStep = run.events.find(
      e => e.body.stepId && e.body.status === 'failed',
    );
    assert.equal(failedStep?.body.stepId, 'plan');
    assert.ok(
      !run.events.some(
        e => e.body.stepId === 'render' && e.body.status === 'processing',
      ),
      'render did not run',
    );

    assert.equal(branchExists(branch), false, `no branch ${branch}`);
    assert.deepEqual(await pullRequestsFor(branch), []);
    const pullsAfter = await gitApi<PullRequest[]>(
      `/repos/${REPO.owner}/${REPO.repo}/pulls?state=all&per_page=100`,
    );
    assert.equal(pullsAfter.length, pullsBefore.length, 'no new pull request');
  });
});
