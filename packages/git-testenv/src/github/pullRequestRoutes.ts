/*
 * Pull requests: open, list, read, update, request reviewers, assign, list files, merge.
 */
import { ApiContext } from './ApiContext';
import { GitHubHttpError } from './GitHubHttpError';
import { HostedRepository } from './HostedRepository';
import { mergePullRequest, runMergeHook } from './mergePullRequest';
import {
  closingPatch,
  pullRequestCommits,
  pullRequestFiles,
  pullRequestJson,
} from './pullRequestJson';
import { StoredPullRequest } from './PullRequestStore';
import { userJson } from './representations';
import {
  numberParam,
  objectBody,
  optionalBoolean,
  optionalString,
  optionalStringArray,
  pageParams,
  requiredString,
} from './requestBody';
import { Route } from './Router';

function findPullRequest(repository: HostedRepository, value: string) {
  const pr = repository.pulls.get(numberParam(value));
  if (!pr) {
    throw GitHubHttpError.notFound();
  }
  return pr;
}

function parseHead(repository: HostedRepository, head: string) {
  const colon = head.indexOf(':');
  return colon >= 0
    ? { owner: head.slice(0, colon), ref: head.slice(colon + 1) }
    : { owner: repository.owner, ref: head };
}

function issueJson(
  context: ApiContext,
  repository: HostedRepository,
  pr: StoredPullRequest,
) {
  const api = `${context.urls.api}/repos/${repository.fullName}`;
  const html = `${context.urls.web}/${repository.fullName}`;
  const assignees = pr.assignees.map(login => userJson(context.urls, login));
  return {
    url: `${api}/issues/${pr.number}`,
    html_url: `${html}/pull/${pr.number}`,
    number: pr.number,
    state: pr.state,
    title: pr.title,
    body: pr.body,
    user: userJson(context.urls, pr.user),
    labels: [],
    assignee: assignees[0] ?? null,
    assignees,
    locked: false,
    comments: 0,
    pull_request: {
      url: `${api}/pulls/${pr.number}`,
      html_url: `${html}/pull/${pr.number}`,
    },
    closed_at: pr.closedAt,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
  };
}

/** Routes of the pulls API, and the issue assignee route GitHub shares with it. @internal */
export function pullRequestRoutes(context: ApiContext): Route[] {
  const prefix = '/repos/:owner/:repo/pulls';
  return [
    {
      method: 'GET',
      path: prefix,
      handler: async ({ params, query }) => {
        const repository = context.repository(params);
        const state = query.get('state') ?? 'open';
        if (!['open', 'closed', 'all'].includes(state)) {
          throw GitHubHttpError.validationFailed({
            resource: 'PullRequest',
            field: 'state',
            code: 'invalid',
          });
        }
        const head = query.get('head');
        const base = query.get('base');
        const sort = query.get('sort') ?? 'created';
        const direction =
          query.get('direction') ?? (sort === 'created' ? 'desc' : 'asc');
        const key = sort === 'updated' ? 'updatedAt' : 'createdAt';
        const matching = repository.pulls
          .list()
          .filter(pr => state === 'all' || pr.state === state)
          .filter(pr => !base || pr.baseRef === base)
          .filter(pr => {
            if (!head) return true;
            const wanted = parseHead(repository, head);
            return (
              pr.headOwner.toLowerCase() === wanted.owner.toLowerCase() &&
              pr.headRef === wanted.ref
            );
          })
          .sort((a, b) => {
            const order = a[key].localeCompare(b[key]) || a.number - b.number;
            return direction === 'asc' ? order : -order;
          });
        const { perPage, skip } = pageParams(query);
        const page = matching.slice(skip, skip + perPage);
        const body = [];
        for (const pr of page) {
          body.push(await pullRequestJson(context, repository, pr, false));
        }
        return { status: 200, body };
      },
    },
    {
      method: 'POST',
      path: prefix,
      handler: async ({ params, body }) => {
        const repository = context.repository(params);
        const input = objectBody(body);
        const title = requiredString(input, 'title');
        const head = parseHead(repository, requiredString(input, 'head'));
        const base = requiredString(input, 'base');
        return repository.exclusive(async () => {
          const headSha =
            head.owner.toLowerCase() === repository.owner.toLowerCase()
              ? await repository.git.readRef(`refs/heads/${head.ref}`)
              : undefined;
          if (!headSha) {
            throw GitHubHttpError.validationFailed({
              resource: 'PullRequest',
              field: 'head',
              code: 'invalid',
            });
          }
          const baseSha = await repository.git.readRef(`refs/heads/${base}`);
          if (!baseSha) {
            throw GitHubHttpError.validationFailed({
              resource: 'PullRequest',
              field: 'base',
              code: 'invalid',
            });
          }
          if (
            (await repository.git.commitsBetween(baseSha, headSha)).length === 0
          ) {
            throw GitHubHttpError.validationFailed({
              resource: 'PullRequest',
              code: 'custom',
              message: `No commits between ${base} and ${head.ref}`,
            });
          }
          const duplicate = repository.pulls
            .list()
            .find(
              pr =>
                pr.state === 'open' &&
                pr.headRef === head.ref &&
                pr.baseRef === base,
            );
          if (duplicate) {
            throw GitHubHttpError.validationFailed({
              resource: 'PullRequest',
              code: 'custom',
              message: `A pull request already exists for ${repository.owner}:${head.ref}.`,
            });
          }
          const now = new Date().toISOString();
          const pr = await repository.pulls.create({
            title,
            body: optionalString(input, 'body') ?? null,
            draft: optionalBoolean(input, 'draft') ?? false,
            state: 'open',
            user: context.user.login,
            headOwner: repository.owner,
            headRef: head.ref,
            headSha,
            baseRef: base,
            baseSha: null,
            requestedReviewers: [],
            requestedTeams: [],
            assignees: [],
            createdAt: now,
            updatedAt: now,
            closedAt: null,
            mergedAt: null,
            mergeCommitSha: null,
            mergedBy: null,
          });
          context.logger.info('Opened pull request', {
            repository: repository.fullName,
            pullNumber: pr.number,
            head: head.ref,
            base,
          });
          return {
            status: 201,
            body: await pullRequestJson(context, repository, pr, true),
          };
        });
      },
    },
    {
      method: 'GET',
      path: `${prefix}/:number`,
      handler: async ({ params }) => {
        const repository = context.repository(params);
        const pr = findPullRequest(repository, params.number);
        return {
          status: 200,
          body: await pullRequestJson(context, repository, pr, true),
        };
      },
    },
    {
      method: 'PATCH',
      path: `${prefix}/:number`,
      handler: async ({ params, body }) => {
        const repository = context.repository(params);
        const input = objectBody(body);
        return repository.exclusive(async () => {
          const pr = findPullRequest(repository, params.number);
          const patch: Partial<StoredPullRequest> = {};
          const title = optionalString(input, 'title');
          if (title !== undefined) patch.title = title;
          if ('body' in input)
            patch.body = optionalString(input, 'body') ?? null;
          const base = optionalString(input, 'base');
          if (base !== undefined) {
            if (!(await repository.git.readRef(`refs/heads/${base}`))) {
              throw GitHubHttpError.validationFailed({
                resource: 'PullRequest',
                field: 'base',
                code: 'invalid',
              });
            }
            patch.baseRef = base;
          }
          const state = optionalString(input, 'state');
          if (state === 'closed' && pr.state === 'open') {
            Object.assign(patch, await closingPatch(repository, pr));
          } else if (state === 'open' && pr.state === 'closed') {
            if (pr.mergedAt) {
              throw GitHubHttpError.unprocessable(
                'Cannot reopen a merged pull request',
              );
            }
            Object.assign(patch, {
              state: 'open',
              closedAt: null,
              baseSha: null,
            });
          } else if (
            state !== undefined &&
            state !== 'open' &&
            state !== 'closed'
          ) {
            throw GitHubHttpError.validationFailed({
              resource: 'PullRequest',
              field: 'state',
              code: 'invalid',
            });
          }
          const updated = await repository.pulls.update(pr.number, patch);
          return {
            status: 200,
            body: await pullRequestJson(context, repository, updated, true),
          };
        });
      },
    },
    {
      method: 'GET',
      path: `${prefix}/:number/files`,
      handler: async ({ params, query }) => {
        const repository = context.repository(params);
        const pr = findPullRequest(repository, params.number);
        const files = await pullRequestFiles(repository, pr);
        const { headSha } = await pullRequestCommits(repository, pr);
        const { perPage, skip } = pageParams(query);
        const full = repository.fullName;
        return {
          status: 200,
          body: files.slice(skip, skip + perPage).map(file => ({
            sha: file.sha,
            filename: file.path,
            status: file.status,
            additions: file.additions,
            deletions: file.deletions,
            changes: file.additions + file.deletions,
            blob_url: `${context.urls.web}/${full}/blob/${headSha}/${file.path}`,
            raw_url: `${context.urls.web}/${full}/raw/${headSha}/${file.path}`,
            contents_url: `${context.urls.api}/repos/${full}/contents/${file.path}?ref=${headSha}`,
          })),
        };
      },
    },
    {
      method: 'GET',
      path: `${prefix}/:number/requested_reviewers`,
      handler: async ({ params }) => {
        const repository = context.repository(params);
        const pr = findPullRequest(repository, params.number);
        const json = await pullRequestJson(context, repository, pr, false);
        return {
          status: 200,
          body: {
            users: json.requested_reviewers,
            teams: json.requested_teams,
          },
        };
      },
    },
    {
      method: 'POST',
      path: `${prefix}/:number/requested_reviewers`,
      handler: async ({ params, body }) => {
        const repository = context.repository(params);
        const input = objectBody(body);
        const reviewers = optionalStringArray(input, 'reviewers') ?? [];
        const teams = optionalStringArray(input, 'team_reviewers') ?? [];
        return repository.exclusive(async () => {
          const pr = findPullRequest(repository, params.number);
          if (reviewers.some(r => r.toLowerCase() === pr.user.toLowerCase())) {
            throw GitHubHttpError.unprocessable(
              'Review cannot be requested from pull request author.',
            );
          }
          const updated = await repository.pulls.update(pr.number, {
            requestedReviewers: [
              ...new Set([...pr.requestedReviewers, ...reviewers]),
            ],
            requestedTeams: [...new Set([...pr.requestedTeams, ...teams])],
          });
          return {
            status: 201,
            body: await pullRequestJson(context, repository, updated, false),
          };
        });
      },
    },
    {
      method: 'DELETE',
      path: `${prefix}/:number/requested_reviewers`,
      handler: async ({ params, body }) => {
        const repository = context.repository(params);
        const input = objectBody(body);
        const reviewers = optionalStringArray(input, 'reviewers') ?? [];
        const teams = optionalStringArray(input, 'team_reviewers') ?? [];
        return repository.exclusive(async () => {
          const pr = findPullRequest(repository, params.number);
          const updated = await repository.pulls.update(pr.number, {
            requestedReviewers: pr.requestedReviewers.filter(
              r => !reviewers.includes(r),
            ),
            requestedTeams: pr.requestedTeams.filter(t => !teams.includes(t)),
          });
          return {
            status: 200,
            body: await pullRequestJson(context, repository, updated, false),
          };
        });
      },
    },
    {
      method: 'POST',
      path: '/repos/:owner/:repo/issues/:number/assignees',
      handler: async ({ params, body }) => {
        const repository = context.repository(params);
        const assignees =
          optionalStringArray(objectBody(body), 'assignees') ?? [];
        return repository.exclusive(async () => {
          const pr = findPullRequest(repository, params.number);
          const updated = await repository.pulls.update(pr.number, {
            // GitHub keeps at most ten assignees.
            assignees: [...new Set([...pr.assignees, ...assignees])].slice(
              0,
              10,
            ),
          });
          return { status: 201, body: issueJson(context, repository, updated) };
        });
      },
    },
    {
      method: 'PUT',
      path: `${prefix}/:number/merge`,
      handler: async ({ params, body }) => {
        const repository = context.repository(params);
        const { response, event } = await mergePullRequest(
          context,
          repository,
          numberParam(params.number),
          objectBody(body),
        );
        if (event) {
          await runMergeHook(context, event);
        }
        return response;
      },
    },
  ];
}
