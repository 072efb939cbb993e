/*
 * Repository-level reads: the repository itself, its commit history, file contents and
 * the authenticated user.
 */
import { GitTreeEntry } from '../git/GitRepository';
import { ApiContext } from './ApiContext';
import { GitHubHttpError } from './GitHubHttpError';
import { HostedRepository } from './HostedRepository';
import { repoCommitJson, repositoryJson, userJson } from './representations';
import { pageParams } from './requestBody';
import { Route } from './Router';

function contentType(entry: GitTreeEntry) {
  if (entry.type === 'tree') return 'dir';
  if (entry.type === 'commit') return 'submodule';
  return entry.mode === '120000' ? 'symlink' : 'file';
}

function contentEntryJson(
  context: ApiContext,
  repository: HostedRepository,
  entry: GitTreeEntry,
  ref: string,
) {
  const full = repository.fullName;
  const type = contentType(entry);
  const gitKind = entry.type === 'tree' ? 'trees' : 'blobs';
  const name = entry.path.split('/').pop() ?? entry.path;
  return {
    type,
    size: entry.size ?? 0,
    name,
    path: entry.path,
    sha: entry.sha,
    url: `${context.urls.api}/repos/${full}/contents/${
      entry.path
    }?ref=${encodeURIComponent(ref)}`,
    git_url: `${context.urls.api}/repos/${full}/git/${gitKind}/${entry.sha}`,
    html_url: `${context.urls.web}/${full}/${
      type === 'dir' ? 'tree' : 'blob'
    }/${ref}/${entry.path}`,
    download_url: null,
  };
}

/** Routes for the repository, its commits and its contents. @internal */
export function repositoryRoutes(context: ApiContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/user',
      handler: async () => ({
        status: 200,
        body: {
          ...userJson(context.urls, context.user.login),
          name: context.user.name,
          email: context.user.email,
        },
      }),
    },
    {
      method: 'GET',
      path: '/repos/:owner/:repo',
      handler: async ({ params }) => ({
        status: 200,
        body: repositoryJson(context.urls, context.repository(params)),
      }),
    },
    {
      method: 'GET',
      path: '/repos/:owner/:repo/commits',
      handler: async ({ params, query }) => {
        const repository = context.repository(params);
        const revision = query.get('sha') ?? repository.defaultBranch;
        const start = await repository.git.resolveCommit(revision);
        if (!start) {
          throw GitHubHttpError.notFound(
            `No commit found for SHA: ${revision}`,
          );
        }
        const { perPage, skip } = pageParams(query);
        const shas = await repository.git.listCommits(start, {
          skip,
          limit: perPage,
        });
        const commits = [];
        for (const sha of shas) {
          const commit = await repository.git.readCommit(sha);
          commits.push(
            repoCommitJson(context.urls, repository, commit, context.user),
          );
        }
        return { status: 200, body: commits };
      },
    },
    {
      method: 'GET',
      path: '/repos/:owner/:repo/commits/:ref',
      handler: async ({ params }) => {
        const repository = context.repository(params);
        const sha = await repository.git.resolveCommit(params.ref);
        if (!sha) {
          throw GitHubHttpError.unprocessable(
            `No commit found for SHA: ${params.ref}`,
          );
        }
        const commit = await repository.git.readCommit(sha);
        return {
          status: 200,
          body: repoCommitJson(context.urls, repository, commit, context.user),
        };
      },
    },
    ...[
      '/repos/:owner/:repo/contents',
      '/repos/:owner/:repo/contents/*path',
    ].map(
      (path): Route => ({
        method: 'GET',
        path,
        handler: async ({ params, query, accept }) => {
          const repository = context.repository(params);
          const ref = query.get('ref') ?? repository.defaultBranch;
          const commit = await repository.git.resolveCommit(ref);
          if (!commit) {
            throw GitHubHttpError.notFound(
              `No commit found for the ref ${ref}`,
            );
          }
          const filePath = (params.path ?? '').replace(/\/+$/, '');
          const entry: GitTreeEntry | undefined = filePath
            ? await repository.git.entryAt(commit, filePath)
            : {
                mode: '040000',
                type: 'tree',
                sha: (await repository.git.readCommit(commit)).tree,
                path: '',
              };
          if (!entry) {
            throw GitHubHttpError.notFound();
          }
          if (entry.type === 'tree') {
            const children = await repository.git.readTreeLevel(entry.sha);
            return {
              status: 200,
              body: children.map(child =>
                contentEntryJson(
                  context,
                  repository,
                  {
                    ...child,
                    path: filePath ? `${filePath}/${child.path}` : child.path,
                  },
                  ref,
                ),
              ),
            };
          }
          const json = contentEntryJson(context, repository, entry, ref);
          if (entry.type === 'commit') {
            return { status: 200, body: json };
          }
          const content = await repository.git.readBlob(entry.sha);
          // Backstage's GitHub URL reader asks for the file itself.
          if (
            entry.mode !== '120000' &&
            /application\/vnd\.github(\.v3)?\.raw/.test(accept ?? '')
          ) {
            return {
              status: 200,
              body: content,
              headers: { 'Content-Type': 'application/vnd.github.raw' },
            };
          }
          if (entry.mode === '120000') {
            return {
              status: 200,
              body: { ...json, target: content.toString('utf8') },
            };
          }
          return {
            status: 200,
            body: {
              ...json,
              // GitHub wraps base64 content at 60 characters.
              content: `${content
                .toString('base64')
                .replace(/(.{60})/g, '$1\n')}\n`,
              encoding: 'base64',
            },
          };
        },
      }),
    ),
  ];
}
