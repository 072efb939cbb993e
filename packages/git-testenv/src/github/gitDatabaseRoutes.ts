/*
 * GitHub's git database API (blobs, trees, commits, refs) over the bare repository.
 */
import {
  applyTreeChanges,
  FlatTreeEntry,
  TreeChange,
  TreeChangeError,
} from '../git/applyTreeChanges';
import { GitIdentity, GitTreeEntry } from '../git/GitRepository';
import { ApiContext } from './ApiContext';
import { GitHubHttpError } from './GitHubHttpError';
import { HostedRepository } from './HostedRepository';
import { gitCommitJson, refJson } from './representations';
import {
  JsonBody,
  objectBody,
  optionalBoolean,
  optionalString,
  requiredString,
} from './requestBody';
import { Route } from './Router';

const TREE_MODES: Record<string, 'blob' | 'tree' | 'commit'> = {
  '100644': 'blob',
  '100755': 'blob',
  '120000': 'blob',
  '040000': 'tree',
  '160000': 'commit',
};

async function treeJson(
  context: ApiContext,
  repository: HostedRepository,
  sha: string,
  recursive: boolean,
) {
  const base = `${context.urls.api}/repos/${repository.fullName}/git`;
  const entries = await repository.git.readTreeLevel(sha);
  const all = recursive
    ? await readRecursive(repository, '', entries)
    : entries;
  return {
    sha,
    url: `${base}/trees/${sha}`,
    tree: all.map(entry => ({
      path: entry.path,
      mode: entry.mode,
      type: entry.type,
      sha: entry.sha,
      ...(entry.size !== undefined ? { size: entry.size } : {}),
      url: `${base}/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`,
    })),
    truncated: false,
  };
}

async function readRecursive(
  repository: HostedRepository,
  prefix: string,
  level: GitTreeEntry[],
): Promise<GitTreeEntry[]> {
  const result: GitTreeEntry[] = [];
  for (const entry of level) {
    const path = `${prefix}${entry.path}`;
    result.push({ ...entry, path });
    if (entry.type === 'tree') {
      const children = await repository.git.readTreeLevel(entry.sha);
      result.push(...(await readRecursive(repository, `${path}/`, children)));
    }
  }
  return result;
}

function identity(
  body: JsonBody,
  field: string,
  fallback: GitIdentity,
): GitIdentity {
  const value = body[field];
  if (value === undefined || value === null) {
    return fallback;
  }
  const person = objectBody(value);
  const date = optionalString(person, 'date') ?? fallback.date;
  if (Number.isNaN(Date.parse(date))) {
    throw GitHubHttpError.unprocessable(
      `Invalid request.\n\n${JSON.stringify(date)} is not a valid date-time.`,
    );
  }
  return {
    name: requiredString(person, 'name'),
    email: requiredString(person, 'email'),
    date,
  };
}

async function readTreeChanges(
  repository: HostedRepository,
  items: unknown[],
): Promise<TreeChange[]> {
  const changes: TreeChange[] = [];
  for (const raw of items) {
    const item = objectBody(raw);
    const path = requiredString(item, 'path');
    const mode = requiredString(item, 'mode');
    const type = optionalString(item, 'type') ?? TREE_MODES[mode];
    if (!TREE_MODES[mode] || TREE_MODES[mode] !== type) {
      throw GitHubHttpError.unprocessable(
        `Invalid request.\n\nFor 'properties/mode', "${mode}" is not a valid mode for type ${type}.`,
      );
    }
    const content = optionalString(item, 'content');
    if ('sha' in item && content !== undefined) {
      throw GitHubHttpError.unprocessable(
        'Invalid request.\n\nOnly one of "content" and "sha" is allowed.',
      );
    }
    if (item.sha === null) {
      changes.push({ kind: 'delete', path });
    } else if (content !== undefined) {
      if (type !== 'blob') {
        throw GitHubHttpError.unprocessable(
          'Invalid request.\n\n"content" is only allowed for blobs.',
        );
      }
      const sha = await repository.git.writeBlob(Buffer.from(content, 'utf8'));
      changes.push({ kind: 'set', path, mode, sha });
    } else {
      const sha = requiredString(item, 'sha');
      const actual = await repository.git.objectType(sha);
      if (type !== 'commit' && actual !== type) {
        throw GitHubHttpError.unprocessable('GitRPC::BadObjectState');
      }
      if (type === 'tree') {
        const entries: Map<string, FlatTreeEntry> =
          await repository.git.readFlatTree(sha);
        changes.push({ kind: 'subtree', path, entries });
      } else {
        changes.push({ kind: 'set', path, mode, sha });
      }
    }
  }
  return changes;
}

function normaliseRef(ref: string) {
  return ref.startsWith('refs/') ? ref : `refs/${ref}`;
}

/** Routes of the git database API. @internal */
export function gitDatabaseRoutes(context: ApiContext): Route[] {
  const prefix = '/repos/:owner/:repo/git';
  return [
    {
      method: 'POST',
      path: `${prefix}/blobs`,
      handler: async ({ params, body }) => {
        const repository = context.repository(params);
        const input = objectBody(body);
        const content = requiredString(input, 'content');
        const encoding = optionalString(input, 'encoding') ?? 'utf-8';
        if (encoding !== 'utf-8' && encoding !== 'base64') {
          throw GitHubHttpError.unprocessable(
            `Invalid request.\n\nencoding must be one of utf-8, base64; got ${encoding}.`,
          );
        }
        const bytes = Buffer.from(
          content,
          encoding === 'base64' ? 'base64' : 'utf8',
        );
        const sha = await repository.git.writeBlob(bytes);
        return {
          status: 201,
          body: {
            url: `${context.urls.api}/repos/${repository.fullName}/git/blobs/${sha}`,
            sha,
          },
        };
      },
    },
    {
      method: 'GET',
      path: `${prefix}/blobs/:sha`,
      handler: async ({ params }) => {
        const repository = context.repository(params);
        if ((await repository.git.objectType(params.sha)) !== 'blob') {
          throw GitHubHttpError.notFound();
        }
        const content = await repository.git.readBlob(params.sha);
        return {
          status: 200,
          body: {
            sha: params.sha,
            node_id: `B_${params.sha}`,
            size: content.length,
            url: `${context.urls.api}/repos/${repository.fullName}/git/blobs/${params.sha}`,
            content: content.toString('base64'),
            encoding: 'base64',
          },
        };
      },
    },
    {
      method: 'POST',
      path: `${prefix}/trees`,
      handler: async ({ params, body }) => {
        const repository = context.repository(params);
        const input = objectBody(body);
        const items = input.tree;
        if (!Array.isArray(items)) {
          throw GitHubHttpError.unprocessable(
            'Invalid request.\n\n"tree" wasn\'t supplied.',
          );
        }
        const baseTree = optionalString(input, 'base_tree');
        let base = new Map<string, FlatTreeEntry>();
        if (baseTree !== undefined) {
          const type = await repository.git.objectType(baseTree);
          if (type !== 'tree' && type !== 'commit') {
            throw GitHubHttpError.unprocessable(
              'base_tree is not a valid tree',
            );
          }
          base = await repository.git.readFlatTree(baseTree);
        }
        const changes = await readTreeChanges(repository, items);
        let tree: Map<string, FlatTreeEntry>;
        try {
          tree = applyTreeChanges(base, changes);
        } catch (error) {
          if (error instanceof TreeChangeError) {
            // What GitHub answers for a deletion of a path that is not there.
            throw GitHubHttpError.unprocessable('GitRPC::BadObjectState');
          }
          throw error;
        }
        const sha = await repository.git.writeFlatTree(tree);
        return {
          status: 201,
          body: await treeJson(context, repository, sha, false),
        };
      },
    },
    {
      method: 'GET',
      path: `${prefix}/trees/:sha`,
      handler: async ({ params, query }) => {
        const repository = context.repository(params);
        const type = await repository.git.objectType(params.sha);
        let sha: string | undefined;
        if (type === 'tree') {
          sha = params.sha;
        } else if (type === 'commit') {
          sha = (await repository.git.readCommit(params.sha)).tree;
        }
        if (!sha) {
          throw GitHubHttpError.notFound();
        }
        const recursive = !!query.get('recursive');
        return {
          status: 200,
          body: await treeJson(context, repository, sha, recursive),
        };
      },
    },
    {
      method: 'POST',
      path: `${prefix}/commits`,
      handler: async ({ params, body }) => {
        const repository = context.repository(params);
        const input = objectBody(body);
        const message = requiredString(input, 'message');
        const tree = requiredString(input, 'tree');
        const parents = input.parents ?? [];
        if (
          !Array.isArray(parents) ||
          parents.some(parent => typeof parent !== 'string')
        ) {
          throw GitHubHttpError.unprocessable(
            "Invalid request.\n\nFor 'parents', the value must be an array of strings.",
          );
        }
        if ((await repository.git.objectType(tree)) !== 'tree') {
          throw GitHubHttpError.unprocessable('Tree SHA does not exist');
        }
        const parentShas: string[] = [];
        for (const parent of parents as string[]) {
          const resolved = await repository.git.resolveCommit(parent);
          if (!resolved || !/^[0-9a-f]{40}$/i.test(parent)) {
            throw GitHubHttpError.unprocessable(
              'Parent SHA does not exist or is not a commit object',
            );
          }
          parentShas.push(resolved);
        }
        const now = new Date().toISOString();
        const author = identity(input, 'author', {
          name: context.user.name,
          email: context.user.email,
          date: now,
        });
        const committer = identity(input, 'committer', author);
        const signature = optionalString(input, 'signature');
        const sha = await repository.git.writeCommit({
          tree,
          parents: parentShas,
          author,
          committer,
          message,
          signature,
        });
        const commit = await repository.git.readCommit(sha);
        return {
          status: 201,
          body: gitCommitJson(context.urls, repository, commit),
        };
      },
    },
    {
      method: 'GET',
      path: `${prefix}/commits/:sha`,
      handler: async ({ params }) => {
        const repository = context.repository(params);
        if ((await repository.git.objectType(params.sha)) !== 'commit') {
          throw GitHubHttpError.notFound();
        }
        const commit = await repository.git.readCommit(params.sha);
        return {
          status: 200,
          body: gitCommitJson(context.urls, repository, commit),
        };
      },
    },
    {
      method: 'GET',
      path: `${prefix}/ref/*ref`,
      handler: async ({ params }) => {
        const repository = context.repository(params);
        const ref = normaliseRef(params.ref);
        const sha = await repository.git.readRef(ref);
        if (!sha) {
          throw GitHubHttpError.notFound();
        }
        return {
          status: 200,
          body: refJson(context.urls, repository, ref, sha),
        };
      },
    },
    {
      method: 'POST',
      path: `${prefix}/refs`,
      handler: async ({ params, body }) => {
        const repository = context.repository(params);
        const input = objectBody(body);
        const ref = requiredString(input, 'ref');
        const sha = requiredString(input, 'sha');
        if (
          !/^refs\/[^/]+\/.+/.test(ref) ||
          !(await repository.git.isValidRefName(ref))
        ) {
          throw GitHubHttpError.unprocessable('Reference name is not valid');
        }
        if ((await repository.git.objectType(sha)) !== 'commit') {
          throw GitHubHttpError.unprocessable('Object does not exist');
        }
        return repository.exclusive(async () => {
          if (!(await repository.git.createRef(ref, sha))) {
            throw GitHubHttpError.unprocessable('Reference already exists');
          }
          return {
            status: 201,
            body: refJson(context.urls, repository, ref, sha),
          };
        });
      },
    },
    {
      method: 'PATCH',
      path: `${prefix}/refs/*ref`,
      handler: async ({ params, body }) => {
        const repository = context.repository(params);
        const input = objectBody(body);
        const ref = normaliseRef(params.ref);
        const sha = requiredString(input, 'sha');
        const force = optionalBoolean(input, 'force') ?? false;
        if ((await repository.git.objectType(sha)) !== 'commit') {
          throw GitHubHttpError.unprocessable('Object does not exist');
        }
        return repository.exclusive(async () => {
          const current = await repository.git.readRef(ref);
          if (!current) {
            throw GitHubHttpError.unprocessable('Reference does not exist');
          }
          if (!force && !(await repository.git.isAncestor(current, sha))) {
            throw GitHubHttpError.unprocessable('Update is not a fast forward');
          }
          await repository.git.updateRef(ref, sha, current);
          return {
            status: 200,
            body: refJson(context.urls, repository, ref, sha),
          };
        });
      },
    },
    {
      method: 'DELETE',
      path: `${prefix}/refs/*ref`,
      handler: async ({ params }) => {
        const repository = context.repository(params);
        const ref = normaliseRef(params.ref);
        return repository.exclusive(async () => {
          const current = await repository.git.readRef(ref);
          if (!current) {
            throw GitHubHttpError.unprocessable('Reference does not exist');
          }
          await repository.git.deleteRef(ref, current);
          return { status: 204 };
        });
      },
    },
  ];
}
