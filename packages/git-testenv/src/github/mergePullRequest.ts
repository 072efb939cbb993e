/*
 * PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge: a real merge (or squash) commit
 * on the base branch, computed with `git merge-tree` and moved in with a
 * compare-and-swap ref update.
 */
import { ApiContext, MergeEvent } from './ApiContext';
import { GitHubHttpError } from './GitHubHttpError';
import { ApiUser, HostedRepository } from './HostedRepository';
import { JsonBody, optionalString } from './requestBody';
import { ApiResponse } from './Router';

const NOT_MERGEABLE = 'Pull Request is not mergeable';

async function squashMessage(
  repository: HostedRepository,
  base: string,
  head: string,
) {
  const lines: string[] = [];
  for (const sha of await repository.git.commitsBetween(base, head)) {
    const subject = (await repository.git.readCommit(sha)).message.split(
      '\n',
    )[0];
    lines.push(`* ${subject}`);
  }
  return lines.join('\n');
}

/**
 * Merges a pull request. Returns the API response and, on success, the event for the
 * merge hook, which the caller runs after the repository lock is released (see
 * {@link runMergeHook}). `actor` merges: the API's user, or the review page's approver.
 *
 * @internal
 */
export async function mergePullRequest(
  context: ApiContext,
  repository: HostedRepository,
  number: number,
  input: JsonBody,
  actor: ApiUser = context.user,
): Promise<{ response: ApiResponse; event?: MergeEvent }> {
  const method = optionalString(input, 'merge_method') ?? 'merge';
  if (!['merge', 'squash', 'rebase'].includes(method)) {
    throw GitHubHttpError.validationFailed({
      resource: 'PullRequest',
      field: 'merge_method',
      code: 'invalid',
    });
  }
  if (method === 'rebase') {
    throw new GitHubHttpError(
      405,
      'Rebase merges are not allowed on this repository.',
    );
  }
  const expectedHead = optionalString(input, 'sha');
  return repository.exclusive(async () => {
    const pr = repository.pulls.get(number);
    if (!pr) {
      throw GitHubHttpError.notFound();
    }
    if (pr.state !== 'open') {
      throw new GitHubHttpError(405, NOT_MERGEABLE);
    }
    if (pr.draft) {
      throw new GitHubHttpError(405, 'Pull Request is still a draft');
    }
    const headSha = await repository.git.readRef(`refs/heads/${pr.headRef}`);
    const baseRef = `refs/heads/${pr.baseRef}`;
    const baseSha = await repository.git.readRef(baseRef);
    if (!headSha || !baseSha) {
      throw new GitHubHttpError(405, NOT_MERGEABLE);
    }
    if (expectedHead && expectedHead !== headSha) {
      throw new GitHubHttpError(
        409,
        'Head branch was modified. Review and try the merge again.',
      );
    }
    const merged = await repository.git.mergeTrees(baseSha, headSha);
    if (!merged.clean) {
      context.logger.info('Pull request conflicts with its base', {
        repository: repository.fullName,
        pullNumber: number,
        conflicts: merged.conflicts,
      });
      throw new GitHubHttpError(405, NOT_MERGEABLE);
    }
    const title =
      optionalString(input, 'commit_title') ??
      (method === 'squash'
        ? `${pr.title} (#${number})`
        : `Merge pull request #${number} from ${pr.headOwner}/${pr.headRef}`);
    const message =
      optionalString(input, 'commit_message') ??
      (method === 'squash'
        ? await squashMessage(repository, baseSha, headSha)
        : pr.title);
    const now = new Date().toISOString();
    const identity = {
      name: actor.name,
      email: actor.email,
      date: now,
    };
    const sha = await repository.git.writeCommit({
      tree: merged.tree,
      parents: method === 'squash' ? [baseSha] : [baseSha, headSha],
      author: identity,
      committer: identity,
      message: message ? `${title}\n\n${message}\n` : `${title}\n`,
    });
    await repository.git.updateRef(baseRef, sha, baseSha);
    await repository.pulls.update(number, {
      state: 'closed',
      closedAt: now,
      mergedAt: now,
      mergeCommitSha: sha,
      mergedBy: actor.login,
      headSha,
      baseSha,
    });
    const files = (await repository.git.diff(baseSha, sha)).map(f => f.path);
    context.logger.info('Merged pull request', {
      repository: repository.fullName,
      pullNumber: number,
      baseBranch: pr.baseRef,
      sha,
    });
    return {
      response: {
        status: 200,
        body: {
          sha,
          merged: true,
          message: 'Pull Request successfully merged',
        },
      },
      event: {
        owner: repository.owner,
        repo: repository.name,
        pullNumber: number,
        baseBranch: pr.baseRef,
        sha,
        files,
        repoPath: repository.git.path,
      },
    };
  });
}

/**
 * Runs the merge hook for a merge that happened. The merge stands whatever the hook
 * does, as on GitHub; a failing hook is reported, not turned into a failed merge.
 *
 * @internal
 */
export async function runMergeHook(context: ApiContext, event: MergeEvent) {
  if (!context.onMerge) {
    return;
  }
  try {
    await context.onMerge(event);
  } catch (error) {
    context.logger.error('Merge hook failed', {
      repository: `${event.owner}/${event.repo}`,
      pullNumber: event.pullNumber,
      error: String(error),
    });
  }
}
