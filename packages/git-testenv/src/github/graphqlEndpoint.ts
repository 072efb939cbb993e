/*
 * POST /api/graphql, for the one query octokit-plugin-create-pull-request sends before
 * it pushes a branch: does the head ref exist, and has it an open pull request?
 *
 *   repository(name: $repo, owner: $owner) {
 *     ref(qualifiedName: $head) {
 *       associatedPullRequests(first: 1, states: OPEN) { edges { node { id number url } } }
 *     }
 *   }
 *
 * This is not a GraphQL implementation: queries of any other shape get a GraphQL error
 * saying so, rather than a wrong answer.
 */
import { ApiContext } from './ApiContext';
import { pullRequestJson } from './pullRequestJson';
import { objectBody } from './requestBody';
import { ApiResponse } from './Router';

type Arguments = Record<string, string | string[] | number>;

function readArguments(
  query: string,
  field: string,
  variables: Record<string, unknown>,
): Arguments | undefined {
  const match = new RegExp(`\\b${field}\\s*\\(([^)]*)\\)`).exec(query);
  if (!match) {
    return undefined;
  }
  const args: Arguments = {};
  const pattern = /(\w+)\s*:\s*(\$\w+|"(?:[^"\\]|\\.)*"|\[[^\]]*\]|[\w.-]+)/g;
  for (const [, name, raw] of match[1].matchAll(pattern)) {
    if (raw.startsWith('$')) {
      const value = variables[raw.slice(1)];
      if (typeof value === 'string' || typeof value === 'number') {
        args[name] = value;
      } else if (Array.isArray(value)) {
        args[name] = value.map(String);
      }
    } else if (raw.startsWith('"')) {
      args[name] = JSON.parse(raw) as string;
    } else if (raw.startsWith('[')) {
      args[name] = raw
        .slice(1, -1)
        .split(',')
        .map(item => item.trim())
        .filter(Boolean);
    } else if (/^\d+$/.test(raw)) {
      args[name] = Number(raw);
    } else {
      args[name] = raw;
    }
  }
  return args;
}

function graphqlError(message: string, extra: Record<string, unknown> = {}) {
  return { status: 200, body: { errors: [{ message, ...extra }] } };
}

/** Answers a GraphQL request body. @internal */
export async function handleGraphql(
  context: ApiContext,
  body: unknown,
): Promise<ApiResponse> {
  const input = objectBody(body);
  const query = typeof input.query === 'string' ? input.query : '';
  const variables = objectBody(input.variables);
  const repoArgs = readArguments(query, 'repository', variables);
  const refArgs = readArguments(query, 'ref', variables);
  const prArgs = readArguments(query, 'associatedPullRequests', variables);
  if (!repoArgs || !refArgs || !prArgs || !/\bedges\b/.test(query)) {
    return graphqlError(
      'git-testenv answers only the branch lookup query of octokit-plugin-create-pull-request',
    );
  }
  const owner = String(repoArgs.owner ?? '');
  const name = String(repoArgs.name ?? '');
  const repository = context.findRepository(owner, name);
  if (!repository) {
    return {
      status: 200,
      body: {
        data: { repository: null },
        errors: [
          {
            type: 'NOT_FOUND',
            path: ['repository'],
            message: `Could not resolve to a Repository with the name '${owner}/${name}'.`,
          },
        ],
      },
    };
  }
  const qualifiedName = String(refArgs.qualifiedName ?? '');
  const branch = qualifiedName.replace(/^refs\/heads\//, '');
  const exists = await repository.git.readRef(`refs/heads/${branch}`);
  if (!exists) {
    return { status: 200, body: { data: { repository: { ref: null } } } };
  }
  const states = ([] as string[])
    .concat((prArgs.states as string | string[] | undefined) ?? [])
    .map(state => state.toLowerCase());
  const first = typeof prArgs.first === 'number' ? prArgs.first : 100;
  const associated = repository.pulls
    .list()
    .filter(pr => pr.headRef === branch)
    .filter(pr => {
      if (states.length === 0) return true;
      const state = pr.mergedAt ? 'merged' : pr.state;
      return states.includes(state);
    })
    .slice(0, first);
  const edges = [];
  for (const pr of associated) {
    const json = await pullRequestJson(context, repository, pr, false);
    edges.push({
      node: { id: json.node_id, number: pr.number, url: json.html_url },
    });
  }
  return {
    status: 200,
    body: {
      data: { repository: { ref: { associatedPullRequests: { edges } } } },
    },
  };
}
