import { api, git, TOKEN, useTestEnv } from '../__testUtils__/testEnv';

describe('git database routes', () => {
  const env = useTestEnv();

  async function setUp() {
    const server = await env.startServer({
      repos: [
        {
          owner: 'acme',
          repo: 'gitops',
          initialFiles: {
            'README.md': 'hello\n',
            'clusters/dev/a.yaml': 'a: 1\n',
          },
        },
      ],
    });
    const repo = server.repoPath('acme', 'gitops');
    return { server, repo, main: git(repo, 'rev-parse', 'refs/heads/main') };
  }

  it('writes blobs, trees and commits that git reads back byte for byte', async () => {
    const { server, repo, main } = await setUp();
    const blob = await api(server, 'POST', '/repos/acme/gitops/git/blobs', {
      body: {
        content: Buffer.from([0, 1, 2, 255]).toString('base64'),
        encoding: 'base64',
      },
    });
    expect(blob.status).toBe(201);
    expect(git(repo, 'cat-file', '-s', blob.body.sha)).toBe('4');

    const tree = await api(server, 'POST', '/repos/acme/gitops/git/trees', {
      body: {
        base_tree: git(repo, 'rev-parse', 'main^{tree}'),
        tree: [
          {
            path: 'bin/data',
            mode: '100644',
            type: 'blob',
            sha: blob.body.sha,
          },
          { path: 'link', mode: '120000', content: 'README.md' },
          { path: 'README.md', mode: '100644', sha: null },
        ],
      },
    });
    expect(tree.status).toBe(201);
    expect(tree.body.tree.map((e: any) => [e.path, e.type])).toEqual([
      ['bin', 'tree'],
      ['clusters', 'tree'],
      ['link', 'blob'],
    ]);
    expect(git(repo, 'ls-tree', '-r', '--name-only', tree.body.sha)).toBe(
      'bin/data\nclusters/dev/a.yaml\nlink',
    );

    const commit = await api(server, 'POST', '/repos/acme/gitops/git/commits', {
      body: {
        message: 'Add data\n\nwith a body',
        tree: tree.body.sha,
        parents: [main],
        author: {
          name: 'Ada',
          email: 'ada@example.com',
          date: '2024-05-01T10:00:00+02:00',
        },
      },
    });
    expect(commit.status).toBe(201);
    expect(commit.body.author).toEqual({
      name: 'Ada',
      email: 'ada@example.com',
      date: '2024-05-01T08:00:00Z',
    });
    expect(
      git(
        repo,
        'log',
        '-1',
        '--format=%an <%ae> %ad|%s|%b|%P',
        '--date=iso-strict',
        commit.body.sha,
      ),
    ).toBe(
      `Ada <ada@example.com> 2024-05-01T10:00:00+02:00|Add data|with a body|${main}`,
    );
  });

  it('fails like GitHub for a missing deletion, an existing ref and a non-fast-forward update', async () => {
    const { server, repo, main } = await setUp();
    const deletion = await api(server, 'POST', '/repos/acme/gitops/git/trees', {
      body: {
        base_tree: main,
        tree: [{ path: 'nope', mode: '100644', sha: null }],
      },
    });
    expect(deletion.status).toBe(422);

    const existing = await api(server, 'POST', '/repos/acme/gitops/git/refs', {
      body: { ref: 'refs/heads/main', sha: main },
    });
    expect(existing).toMatchObject({
      status: 422,
      body: { message: 'Reference already exists' },
    });

    const tree = git(repo, 'rev-parse', 'main^{tree}');
    const unrelated = await api(
      server,
      'POST',
      '/repos/acme/gitops/git/commits',
      {
        body: { message: 'unrelated', tree, parents: [] },
      },
    );
    const update = await api(
      server,
      'PATCH',
      '/repos/acme/gitops/git/refs/heads%2Fmain',
      {
        body: { sha: unrelated.body.sha },
      },
    );
    expect(update).toMatchObject({
      status: 422,
      body: { message: 'Update is not a fast forward' },
    });
    expect(git(repo, 'rev-parse', 'refs/heads/main')).toBe(main);
    const forced = await api(
      server,
      'PATCH',
      '/repos/acme/gitops/git/refs/heads/main',
      {
        body: { sha: unrelated.body.sha, force: true },
      },
    );
    expect(forced.status).toBe(200);
    expect(git(repo, 'rev-parse', 'refs/heads/main')).toBe(unrelated.body.sha);
  });

  it('serves file contents and directory listings at a ref', async () => {
    const { server, main } = await setUp();
    const file = await api(
      server,
      'GET',
      `/repos/acme/gitops/contents/clusters%2Fdev%2Fa.yaml?ref=${main}`,
    );
    expect(file.status).toBe(200);
    expect(file.body).toMatchObject({
      type: 'file',
      path: 'clusters/dev/a.yaml',
      encoding: 'base64',
    });
    expect(Buffer.from(file.body.content, 'base64').toString()).toBe('a: 1\n');
    // Backstage's GitHub URL reader (catalog locations) asks for the bytes.
    const raw = await fetch(
      `${server.apiBaseUrl}/repos/acme/gitops/contents/clusters%2Fdev%2Fa.yaml?ref=${main}`,
      {
        headers: {
          Authorization: `token ${TOKEN}`,
          Accept: 'application/vnd.github.v3.raw',
        },
      },
    );
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toBe('application/vnd.github.raw');
    expect(await raw.text()).toBe('a: 1\n');
    const dir = await api(
      server,
      'GET',
      '/repos/acme/gitops/contents/clusters',
    );
    expect(dir.body.map((e: any) => [e.path, e.type])).toEqual([
      ['clusters/dev', 'dir'],
    ]);
    const missing = await api(
      server,
      'GET',
      '/repos/acme/gitops/contents/nope.yaml',
    );
    expect(missing.status).toBe(404);
  });
});
