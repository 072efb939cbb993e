import {
  adminKubeConfig,
  errorStatus,
  kubeRequest,
  testClusters,
  waitUntil,
} from '@vmportal/kube-testenv';
import { MergeEvent } from './github/ApiContext';
import { GitOpsApplier } from './GitOpsApplier';
import { runPullRequestAction } from './__testUtils__/runPullRequestAction';
import { api, git, TOKEN, useTestEnv } from './__testUtils__/testEnv';

jest.setTimeout(60_000);

const VM_YAML = `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: vm-1
  namespace: team-a
spec:
  runStrategy: Always
`;

describe('GitHubApiServer with the stock publish:github:pull-request action', () => {
  const env = useTestEnv();

  it('opens a pull request that git can see, and merges it into the base branch', async () => {
    const merges: MergeEvent[] = [];
    const server = await env.startServer({
      repos: [
        {
          owner: 'acme',
          repo: 'gitops',
          initialFiles: { 'README.md': '# GitOps\n' },
        },
      ],
      onMerge: async event => {
        merges.push(event);
      },
    });
    const repo = server.repoPath('acme', 'gitops');
    const mainBefore = git(repo, 'rev-parse', 'refs/heads/main');

    const outputs = await runPullRequestAction(server, {
      workspaceParent: await env.tempDir(),
      input: {
        branchName: 'vm/team-a/vm-1',
        title: 'Create VM team-a/vm-1',
        description: 'Requested through the portal',
        reviewers: ['alice'],
        teamReviewers: ['platform'],
        targetPath: 'clusters/dev',
      },
      files: {
        'team-a/vm-1.yaml': VM_YAML,
        'team-a/hooks/check.sh': {
          content: '#!/bin/sh\nexit 0\n',
          executable: true,
        },
      },
    });

    expect(outputs).toEqual({
      targetBranchName: 'main',
      remoteUrl: `${server.url}/acme/gitops/pull/1`,
      pullRequestNumber: 1,
    });

    // The branch is a real commit on top of main, with the files and the old content.
    const branch = 'refs/heads/vm/team-a/vm-1';
    expect(git(repo, 'rev-parse', `${branch}^`)).toBe(mainBefore);
    expect(git(repo, 'show', `${branch}:clusters/dev/team-a/vm-1.yaml`)).toBe(
      VM_YAML.trim(),
    );
    expect(git(repo, 'show', `${branch}:README.md`)).toBe('# GitOps');
    expect(
      git(repo, 'ls-tree', branch, 'clusters/dev/team-a/hooks/check.sh'),
    ).toMatch(/^100755 blob /);
    expect(git(repo, 'log', '-1', '--format=%s', branch)).toBe(
      'Create VM team-a/vm-1',
    );
    expect(git(repo, 'rev-parse', 'refs/heads/main')).toBe(mainBefore);

    const open = await api(
      server,
      'GET',
      '/repos/acme/gitops/pulls?state=open',
    );
    expect(open.status).toBe(200);
    expect(open.body).toHaveLength(1);
    expect(open.body[0]).toMatchObject({
      number: 1,
      state: 'open',
      title: 'Create VM team-a/vm-1',
      body: 'Requested through the portal',
      head: { ref: 'vm/team-a/vm-1', sha: git(repo, 'rev-parse', branch) },
      base: { ref: 'main', sha: mainBefore },
    });
    expect(open.body[0].requested_reviewers.map((u: any) => u.login)).toEqual([
      'alice',
    ]);
    expect(open.body[0].requested_teams.map((t: any) => t.slug)).toEqual([
      'platform',
    ]);

    const files = await api(server, 'GET', '/repos/acme/gitops/pulls/1/files');
    expect(
      files.body.map((f: any) => [f.filename, f.status, f.additions]),
    ).toEqual([
      ['clusters/dev/team-a/hooks/check.sh', 'added', 2],
      ['clusters/dev/team-a/vm-1.yaml', 'added', 7],
    ]);

    const merge = await api(server, 'PUT', '/repos/acme/gitops/pulls/1/merge', {
      body: {},
    });
    expect(merge.status).toBe(200);
    expect(merge.body).toMatchObject({ merged: true });
    const mainAfter = git(repo, 'rev-parse', 'refs/heads/main');
    expect(merge.body.sha).toBe(mainAfter);
    // A merge commit: first parent the old main, second the pull request's head.
    expect(git(repo, 'rev-list', '--parents', '-n', '1', mainAfter)).toBe(
      `${mainAfter} ${mainBefore} ${git(repo, 'rev-parse', branch)}`,
    );
    expect(git(repo, 'show', 'main:clusters/dev/team-a/vm-1.yaml')).toBe(
      VM_YAML.trim(),
    );
    expect(merges).toEqual([
      {
        owner: 'acme',
        repo: 'gitops',
        pullNumber: 1,
        baseBranch: 'main',
        sha: mainAfter,
        files: [
          'clusters/dev/team-a/hooks/check.sh',
          'clusters/dev/team-a/vm-1.yaml',
        ],
        repoPath: repo,
      },
    ]);

    const merged = await api(server, 'GET', '/repos/acme/gitops/pulls/1');
    expect(merged.body).toMatchObject({
      state: 'closed',
      merged: true,
      merge_commit_sha: mainAfter,
      changed_files: 2,
    });
    const stillOpen = await api(server, 'GET', '/repos/acme/gitops/pulls');
    expect(stillOpen.body).toEqual([]);
    const again = await api(server, 'PUT', '/repos/acme/gitops/pulls/1/merge');
    expect(again.status).toBe(405);
  });

  it('rejects a wrong token with 401, and the action fails saying so', async () => {
    const server = await env.startServer();
    const repo = server.repoPath('acme', 'gitops');

    await expect(
      runPullRequestAction(server, {
        workspaceParent: await env.tempDir(),
        token: 'not-the-token',
        input: { branchName: 'vm/denied' },
        files: { 'vm.yaml': VM_YAML },
      }),
    ).rejects.toThrow(/Pull request creation failed.*Bad credentials/);
    expect(git(repo, 'for-each-ref', '--format=%(refname)')).toBe(
      'refs/heads/main',
    );

    const wrong = await api(server, 'GET', '/repos/acme/gitops', {
      token: 'not-the-token',
    });
    expect(wrong).toEqual({
      status: 401,
      body: {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
      },
    });
    const missing = await api(server, 'GET', '/repos/acme/gitops', {
      token: null,
    });
    expect(missing.status).toBe(401);
    const bearer = await fetch(`${server.apiBaseUrl}/repos/acme/gitops`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(bearer.status).toBe(200);
  });

  it('merges a second pull request on the same file when the changes do not overlap, and refuses one that conflicts', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`);
    const original = `${lines.join('\n')}\n`;
    const edit = (index: number, text: string) =>
      `${lines.map((line, i) => (i === index ? text : line)).join('\n')}\n`;
    const server = await env.startServer({
      repos: [
        {
          owner: 'acme',
          repo: 'gitops',
          initialFiles: { 'clusters/dev/quota.txt': original },
        },
      ],
    });
    const repo = server.repoPath('acme', 'gitops');
    const workspaceParent = await env.tempDir();

    // All three branch off the same main, as three requests in flight would.
    for (const [branchName, content] of [
      ['first', edit(0, 'first change')],
      ['second', edit(11, 'second change')],
      ['conflicting', edit(0, 'conflicting change')],
    ]) {
      await runPullRequestAction(server, {
        workspaceParent,
        input: { branchName, title: branchName },
        files: { 'clusters/dev/quota.txt': content },
      });
    }
    const numbers = (await api(server, 'GET', '/repos/acme/gitops/pulls')).body
      .map((pr: any) => [pr.head.ref, pr.number])
      .sort();
    expect(numbers).toEqual([
      ['conflicting', 3],
      ['first', 1],
      ['second', 2],
    ]);

    expect(
      (await api(server, 'PUT', '/repos/acme/gitops/pulls/1/merge')).status,
    ).toBe(200);
    const second = await api(server, 'PUT', '/repos/acme/gitops/pulls/2/merge');
    expect(second.status).toBe(200);
    expect(
      git(repo, 'show', 'main:clusters/dev/quota.txt').split('\n'),
    ).toEqual(['first change', ...lines.slice(1, 11), 'second change']);

    const mainBefore = git(repo, 'rev-parse', 'refs/heads/main');
    const pr3 = await api(server, 'GET', '/repos/acme/gitops/pulls/3');
    expect(pr3.body).toMatchObject({
      mergeable: false,
      mergeable_state: 'dirty',
    });
    const conflict = await api(
      server,
      'PUT',
      '/repos/acme/gitops/pulls/3/merge',
    );
    expect(conflict).toEqual({
      status: 405,
      body: {
        message: 'Pull Request is not mergeable',
        documentation_url: 'https://docs.github.com/rest',
      },
    });
    expect(git(repo, 'rev-parse', 'refs/heads/main')).toBe(mainBefore);
    expect(
      (await api(server, 'GET', '/repos/acme/gitops/pulls/3')).body.state,
    ).toBe('open');
  });

  it('updates an existing pull request only when asked to, and deletes files', async () => {
    const server = await env.startServer({
      repos: [
        {
          owner: 'acme',
          repo: 'gitops',
          initialFiles: {
            'README.md': '# GitOps\n',
            'old.yaml': 'old: true\n',
          },
        },
      ],
    });
    const repo = server.repoPath('acme', 'gitops');
    const workspaceParent = await env.tempDir();
    const input = { branchName: 'vm/resize', title: 'Resize vm-1' };

    await runPullRequestAction(server, {
      workspaceParent,
      input,
      files: { 'vm.yaml': 'cpu: 1\n' },
    });
    await expect(
      runPullRequestAction(server, {
        workspaceParent,
        input,
        files: { 'vm.yaml': 'cpu: 2\n' },
      }),
    ).rejects.toThrow(/Pull request already exists/);

    await runPullRequestAction(server, {
      workspaceParent,
      input: {
        ...input,
        update: true,
        title: 'Resize vm-1 to 4 CPUs',
        filesToDelete: ['old.yaml', 'never-existed.yaml'],
      },
      files: { 'vm.yaml': 'cpu: 4\n' },
    });
    expect(git(repo, 'show', 'refs/heads/vm/resize:vm.yaml')).toBe('cpu: 4');
    expect(git(repo, 'ls-tree', '--name-only', 'refs/heads/vm/resize')).toBe(
      'README.md\nvm.yaml',
    );

    const pulls = await api(
      server,
      'GET',
      '/repos/acme/gitops/pulls?state=all',
    );
    expect(pulls.body.map((pr: any) => [pr.number, pr.title])).toEqual([
      [1, 'Resize vm-1 to 4 CPUs'],
    ]);
  });

  it('decommissions a VM: merging a pull request that deletes its file deletes the VM from its cluster', async () => {
    const [cluster] = testClusters();
    const kc = adminKubeConfig(cluster);
    const namespace = `decommission-${Date.now().toString(36)}`;
    const dir = `clusters/${cluster.name}/${namespace}`;
    const vmPath = `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/vm-1`;
    const errors: string[] = [];
    const server = await env.startServer({
      onMerge: GitOpsApplier.create({ clusters: [cluster] }).mergeHandler(),
      logger: {
        info: () => {},
        warn: () => {},
        error: (message, meta) => errors.push(`${message} ${meta?.error}`),
      },
    });
    const repo = server.repoPath('acme', 'gitops');
    const workspaceParent = await env.tempDir();
    const clusterFiles = () =>
      git(repo, 'ls-tree', '-r', '--name-only', 'main', '--', 'clusters');

    await runPullRequestAction(server, {
      workspaceParent,
      input: {
        branchName: `vm/${namespace}/vm-1`,
        title: `Create VM ${namespace}/vm-1`,
        targetPath: dir,
      },
      files: {
        'namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${namespace}}\n`,
        'vm-1.yaml': [
          'apiVersion: kubevirt.io/v1',
          'kind: VirtualMachine',
          `metadata: {name: vm-1, namespace: ${namespace}}`,
          'spec:',
          '  runStrategy: Halted',
          '  template:',
          '    spec:',
          '      domain: {devices: {}, memory: {guest: 1Gi}}',
          '',
        ].join('\n'),
      },
    });
    expect(
      (await api(server, 'PUT', '/repos/acme/gitops/pulls/1/merge')).status,
    ).toBe(200);
    expect(errors).toEqual([]);
    await expect(kubeRequest(kc, 'GET', vmPath)).resolves.toMatchObject({
      metadata: { name: 'vm-1' },
    });

    await runPullRequestAction(server, {
      workspaceParent,
      input: {
        branchName: `decommission/${namespace}/vm-1`,
        title: `Decommission VM ${namespace}/vm-1`,
        targetPath: dir,
        filesToDelete: ['vm-1.yaml'],
      },
      files: {},
    });
    const files = await api(server, 'GET', '/repos/acme/gitops/pulls/2/files');
    expect(files.body.map((f: any) => [f.filename, f.status])).toEqual([
      [`${dir}/vm-1.yaml`, 'removed'],
    ]);
    expect(clusterFiles()).toBe(`${dir}/namespace.yaml\n${dir}/vm-1.yaml`);

    expect(
      (await api(server, 'PUT', '/repos/acme/gitops/pulls/2/merge')).status,
    ).toBe(200);
    expect(errors).toEqual([]);
    expect(clusterFiles()).toBe(`${dir}/namespace.yaml`);
    // Deleted in the background; KubeVirt's finalizer lets it go shortly after.
    await waitUntil('vm-1 to be gone from the cluster', 30_000, () =>
      kubeRequest(kc, 'GET', vmPath).then(
        () => undefined,
        error => {
          if (errorStatus(error) === 404) return true;
          throw error;
        },
      ),
    );
    // The namespace is still in the repository, so it stays.
    await expect(
      kubeRequest(kc, 'GET', `/api/v1/namespaces/${namespace}`),
    ).resolves.toMatchObject({ status: { phase: 'Active' } });

    await kubeRequest(kc, 'DELETE', `/api/v1/namespaces/${namespace}`);
  });

  it('keeps repositories and pull requests between runs', async () => {
    const dataDir = await env.tempDir();
    const first = await env.startServer({ dataDir });
    await runPullRequestAction(first, {
      workspaceParent: await env.tempDir(),
      input: { branchName: 'kept' },
      files: { 'vm.yaml': VM_YAML },
    });
    const repo = first.repoPath('acme', 'gitops');
    const main = git(repo, 'rev-parse', 'refs/heads/main');
    await first.stop();

    const second = await env.startServer({ dataDir });
    expect(second.repoPath('acme', 'gitops')).toBe(repo);
    expect(git(repo, 'rev-parse', 'refs/heads/main')).toBe(main);
    const pulls = await api(second, 'GET', '/repos/acme/gitops/pulls');
    expect(pulls.body.map((pr: any) => pr.head.ref)).toEqual(['kept']);
  });

  it("answers unknown routes and repositories with GitHub's 404", async () => {
    const server = await env.startServer();
    const notFound = {
      status: 404,
      body: {
        message: 'Not Found',
        documentation_url: 'https://docs.github.com/rest',
      },
    };
    expect(await api(server, 'GET', '/repos/acme/gitops/hooks')).toEqual(
      notFound,
    );
    expect(await api(server, 'GET', '/repos/acme/other')).toEqual(notFound);
    expect(await api(server, 'GET', '/repos/acme/gitops/pulls/7')).toEqual(
      notFound,
    );
  });

  it('reports a failing merge hook without undoing the merge', async () => {
    const errors: string[] = [];
    const server = await env.startServer({
      onMerge: async () => {
        throw new Error('apply failed');
      },
      logger: {
        info: () => {},
        warn: () => {},
        error: (message, meta) => errors.push(`${message} ${meta?.error}`),
      },
    });
    await runPullRequestAction(server, {
      workspaceParent: await env.tempDir(),
      input: { branchName: 'hooked' },
      files: { 'vm.yaml': VM_YAML },
    });
    const merge = await api(server, 'PUT', '/repos/acme/gitops/pulls/1/merge');
    expect(merge.status).toBe(200);
    expect(errors).toEqual(['Merge hook failed Error: apply failed']);
  });
});
