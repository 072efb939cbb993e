import { request as httpRequest } from 'node:http';
import { GitHubApiServer } from '../GitHubApiServer';
import { MergeEvent } from '../github/ApiContext';
import { runPullRequestAction } from '../__testUtils__/runPullRequestAction';
import { api, git, useTestEnv } from '../__testUtils__/testEnv';

jest.setTimeout(60_000);

const VM_YAML = `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: web-01
  namespace: team-web
spec:
  runStrategy: Always
`;

const BODY = `### Quota of team-web on demo-east

| Quota | Resource | Hard | Used | This VM | After | Fits |
| --- | --- | ---: | ---: | ---: | ---: | :---: |
| compute | requests.memory | 16 GiB | 4 GiB | 2.2 GiB | 6.2 GiB | ✅ |

Merging this pull request approves the request.
`;

/** A browser-like request with full control of its headers (fetch may not set Host). */
function page(
  server: GitHubApiServer,
  method: string,
  path: string,
  options: {
    headers?: Record<string, string>;
    form?: Record<string, string>;
  } = {},
): Promise<{ status: number; headers: Record<string, any>; text: string }> {
  const body = options.form
    ? new URLSearchParams(options.form).toString()
    : undefined;
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        headers: {
          ...(body
            ? { 'Content-Type': 'application/x-www-form-urlencoded' }
            : {}),
          ...options.headers,
        },
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', chunk => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function formToken(html: string): string {
  const match = /name="token" value="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no form token in ${html}`);
  return match[1];
}

describe('the review pages', () => {
  const env = useTestEnv();

  async function openRequest(
    input: { title?: string; description?: string } = {},
  ) {
    const merges: MergeEvent[] = [];
    const server = await env.startServer({
      onMerge: async event => {
        merges.push(event);
      },
    });
    const outputs = await runPullRequestAction(server, {
      workspaceParent: await env.tempDir(),
      input: {
        branchName: 'vm/team-web/web-01',
        title: input.title ?? 'Request VM web-01 in demo-east/team-web',
        description: input.description ?? BODY,
        reviewers: ['alice'],
        teamReviewers: ['team-web'],
        targetPath: 'clusters/demo-east/team-web',
      },
      files: { 'web-01.yaml': VM_YAML },
    });
    const repo = server.repoPath('acme', 'gitops');
    return { server, merges, repo, prUrl: String(outputs.remoteUrl) };
  }

  it('lists the pull request and shows its title, rendered body, reviewers and diff, with no token', async () => {
    const { server, prUrl } = await openRequest();
    const pr = await api(server, 'GET', '/repos/acme/gitops/pulls/1');
    // The link the API (and so the scaffolder task) gives is this page.
    expect(pr.body.html_url).toBe(prUrl);
    expect(prUrl).toBe(`${server.url}/acme/gitops/pull/1`);

    const list = await page(server, 'GET', '/acme/gitops/pulls');
    expect(list.status).toBe(200);
    expect(list.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(list.text).toContain(
      '<a href="/acme/gitops/pull/1">Request VM web-01 in demo-east/team-web</a>',
    );
    const home = await page(server, 'GET', '/');
    expect(home.text).toContain('<a href="/acme/gitops/pulls">acme/gitops</a>');

    const view = await page(server, 'GET', new URL(prUrl).pathname);
    expect(view.status).toBe(200);
    expect(view.text).toContain(
      'Demo git server: you act as the demo approver; in production, review on GitHub.',
    );
    expect(view.text).toContain(
      '<h1>Request VM web-01 in demo-east/team-web <span class="muted">#1</span></h1>',
    );
    // The quota table is a table, not Markdown source.
    expect(view.text).toContain('<th style="text-align:right">This VM</th>');
    expect(view.text).toMatch(
      /<td>requests\.memory<\/td>\s*<td style="text-align:right">16 GiB<\/td>\s*<td style="text-align:right">4 GiB<\/td>/,
    );
    expect(view.text).not.toContain('| --- |');
    expect(view.text).toContain(
      '<ul class="reviewers"><li>alice</li><li>acme/team-web (team)</li></ul>',
    );
    expect(view.text).toContain(
      '<h3>clusters/demo-east/team-web/web-01.yaml <span class="muted">added +7 −0</span></h3>',
    );
    expect(view.text).toContain(
      '<span class="add">+kind: VirtualMachine</span>',
    );
    expect(view.text).toContain('>Merge pull request</button>');
    expect(view.text).toContain('>Close pull request</button>');
  });

  it('merges with the Merge button: the base branch gets the files and the merge hook runs', async () => {
    const { server, merges, repo, prUrl } = await openRequest();
    const path = new URL(prUrl).pathname;
    const token = formToken((await page(server, 'GET', path)).text);

    const merged = await page(server, 'POST', `${path}/merge`, {
      headers: { Origin: server.url, 'Sec-Fetch-Site': 'same-origin' },
      form: { token },
    });
    expect(merged.status).toBe(303);
    expect(merged.headers.location).toBe(path);

    const pr = await api(server, 'GET', '/repos/acme/gitops/pulls/1');
    expect(pr.body).toMatchObject({
      state: 'closed',
      merged: true,
      merged_by: { login: 'demo-approver' },
    });
    const main = git(repo, 'rev-parse', 'refs/heads/main');
    expect(pr.body.merge_commit_sha).toBe(main);
    expect(
      git(repo, 'show', 'main:clusters/demo-east/team-web/web-01.yaml'),
    ).toBe(VM_YAML.trim());
    expect(git(repo, 'log', '-1', '--format=%an', 'main')).toBe(
      'Demo approver',
    );
    expect(merges).toEqual([
      expect.objectContaining({
        pullNumber: 1,
        sha: main,
        files: ['clusters/demo-east/team-web/web-01.yaml'],
      }),
    ]);

    const after = await page(server, 'GET', path);
    expect(after.text).toContain(
      '<span class="state state-merged">Merged</span>',
    );
    expect(after.text).toContain('Merged by <strong>demo-approver</strong>');
    expect(after.text).not.toContain('>Merge pull request</button>');
  });

  it('closes without merging with the Close button', async () => {
    const { server, merges, repo, prUrl } = await openRequest();
    const mainBefore = git(repo, 'rev-parse', 'refs/heads/main');
    const path = new URL(prUrl).pathname;
    const token = formToken((await page(server, 'GET', path)).text);

    const closed = await page(server, 'POST', `${path}/close`, {
      headers: { Origin: server.url },
      form: { token },
    });
    expect(closed.status).toBe(303);

    const pr = await api(server, 'GET', '/repos/acme/gitops/pulls/1');
    expect(pr.body).toMatchObject({ state: 'closed', merged: false });
    expect(git(repo, 'rev-parse', 'refs/heads/main')).toBe(mainBefore);
    expect(merges).toEqual([]);
    const after = await page(server, 'GET', path);
    expect(after.text).toContain(
      '<span class="state state-closed">Closed</span>',
    );
    expect(after.text).toContain('nothing was applied');
    // The changed files stay readable after closing.
    expect(after.text).toContain(
      '<span class="add">+kind: VirtualMachine</span>',
    );
  });

  it('refuses a form without this server’s token or from another origin, and changes nothing', async () => {
    const { server, merges, repo, prUrl } = await openRequest();
    const mainBefore = git(repo, 'rev-parse', 'refs/heads/main');
    const path = new URL(prUrl).pathname;
    const token = formToken((await page(server, 'GET', path)).text);

    const attempts: {
      form: Record<string, string>;
      headers?: Record<string, string>;
    }[] = [
      { form: { token: 'guessed' } },
      { form: {} },
      { form: { token }, headers: { Origin: 'http://evil.example' } },
      { form: { token }, headers: { Origin: 'null' } },
      { form: { token }, headers: { 'Sec-Fetch-Site': 'cross-site' } },
      { form: { token }, headers: { Host: 'evil.example' } },
    ];
    for (const attempt of attempts) {
      for (const action of ['merge', 'close']) {
        const refused = await page(
          server,
          'POST',
          `${path}/${action}`,
          attempt,
        );
        expect(refused.status).toBe(403);
      }
    }
    // A page asked for under another host name (DNS rebinding) is refused, token and all.
    const rebound = await page(server, 'GET', path, {
      headers: { Host: `evil.example:${new URL(server.url).port}` },
    });
    expect(rebound.status).toBe(403);
    expect(rebound.text).not.toContain(token);

    const pr = await api(server, 'GET', '/repos/acme/gitops/pulls/1');
    expect(pr.body).toMatchObject({ state: 'open', merged: false });
    expect(git(repo, 'rev-parse', 'refs/heads/main')).toBe(mainBefore);
    expect(merges).toEqual([]);
  });

  it('shows script in the title and body as text', async () => {
    const { server, prUrl } = await openRequest({
      title: 'web-01 <img src=x onerror=alert(1)>',
      description:
        '<script>alert("body")</script>\n\n[docs](javascript:alert(2)) <b onmouseover=alert(3)>x</b>\n\n| a |\n| - |\n| <script>alert(4)</script> |\n',
    });
    const view = await page(server, 'GET', new URL(prUrl).pathname);
    expect(view.status).toBe(200);
    expect(view.text).not.toMatch(/<script|<img|<b |href="javascript:/i);
    expect(view.text).toContain(
      '&lt;script&gt;alert(&quot;body&quot;)&lt;/script&gt;',
    );
    expect(view.text).toContain('web-01 &lt;img src=x onerror=alert(1)&gt;');
    expect(view.text).toContain(
      '<td>&lt;script&gt;alert(4)&lt;/script&gt;</td>',
    );
    expect(view.headers['content-security-policy']).toMatch(
      /default-src 'none'.*frame-ancestors 'none'/,
    );
  });

  it('answers an unknown pull request with a 404 page and keeps the API behind the token', async () => {
    const { server } = await openRequest();
    expect((await page(server, 'GET', '/acme/gitops/pull/9')).status).toBe(404);
    expect((await page(server, 'GET', '/acme/other/pulls')).status).toBe(404);
    expect(
      (await api(server, 'GET', '/repos/acme/gitops/pulls/1', { token: null }))
        .status,
    ).toBe(401);
  });
});
