/*
 * A stored pull request as GitHub's API shows it, with the parts GitHub computes
 * (head and base commits, mergeability, change counts) computed from git.
 */
import { GitFileChange } from '../git/GitRepository';
import { ApiContext } from './ApiContext';
import { HostedRepository } from './HostedRepository';
import { StoredPullRequest } from './PullRequestStore';
import {
  repositoryJson,
  stableId,
  teamJson,
  userJson,
} from './representations';

/** The commits a pull request compares: live while open, frozen once closed. @internal */
export async function pullRequestCommits(
  repository: HostedRepository,
  pr: StoredPullRequest,
): Promise<{ headSha: string; baseSha: string }> {
  if (pr.state === 'open') {
    const headSha =
      (await repository.git.readRef(`refs/heads/${pr.headRef}`)) ?? pr.headSha;
    const baseSha =
      (await repository.git.readRef(`refs/heads/${pr.baseRef}`)) ??
      pr.baseSha ??
      headSha;
    return { headSha, baseSha };
  }
  return { headSha: pr.headSha, baseSha: pr.baseSha ?? pr.headSha };
}

/**
 * What closing an open pull request stores: its state, and the commits it compared,
 * frozen so that its files and diff stay as they were.
 *
 * @internal
 */
export async function closingPatch(
  repository: HostedRepository,
  pr: StoredPullRequest,
): Promise<Partial<StoredPullRequest>> {
  const { headSha, baseSha } = await pullRequestCommits(repository, pr);
  return {
    state: 'closed',
    closedAt: new Date().toISOString(),
    headSha,
    baseSha,
  };
}

/** Files a pull request changes: head against its merge base with the base. @internal */
export async function pullRequestFiles(
  repository: HostedRepository,
  pr: StoredPullRequest,
): Promise<GitFileChange[]> {
  const { headSha, baseSha } = await pullRequestCommits(repository, pr);
  const mergeBase =
    (await repository.git.mergeBase(baseSha, headSha)) ?? baseSha;
  return repository.git.diff(mergeBase, headSha);
}

/**
 * The JSON of a pull request. `detailed` adds what GitHub only returns for a single pull
 * request (merged, mergeable, change counts), not in lists.
 *
 * @internal
 */
export async function pullRequestJson(
  context: ApiContext,
  repository: HostedRepository,
  pr: StoredPullRequest,
  detailed: boolean,
) {
  const { urls } = context;
  const full = repository.fullName;
  const api = `${urls.api}/repos/${full}`;
  const { headSha, baseSha } = await pullRequestCommits(repository, pr);
  const repo = repositoryJson(urls, repository);
  const assignees = pr.assignees.map(login => userJson(urls, login));
  const json: Record<string, unknown> = {
    url: `${api}/pulls/${pr.number}`,
    id: stableId('pull', `${full}#${pr.number}`),
    node_id: `PR_${Buffer.from(`${full}#${pr.number}`).toString('base64url')}`,
    html_url: `${urls.web}/${full}/pull/${pr.number}`,
    diff_url: `${urls.web}/${full}/pull/${pr.number}.diff`,
    patch_url: `${urls.web}/${full}/pull/${pr.number}.patch`,
    issue_url: `${api}/issues/${pr.number}`,
    commits_url: `${api}/pulls/${pr.number}/commits`,
    comments_url: `${api}/issues/${pr.number}/comments`,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: userJson(urls, pr.user),
    body: pr.body,
    labels: [],
    milestone: null,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    merged_at: pr.mergedAt,
    merge_commit_sha: pr.mergeCommitSha,
    assignee: assignees[0] ?? null,
    assignees,
    requested_reviewers: pr.requestedReviewers.map(login =>
      userJson(urls, login),
    ),
    requested_teams: pr.requestedTeams.map(slug =>
      teamJson(urls, repository.owner, slug),
    ),
    head: {
      label: `${pr.headOwner}:${pr.headRef}`,
      ref: pr.headRef,
      sha: headSha,
      user: userJson(urls, pr.headOwner),
      repo,
    },
    base: {
      label: `${repository.owner}:${pr.baseRef}`,
      ref: pr.baseRef,
      sha: baseSha,
      user: userJson(urls, repository.owner),
      repo,
    },
    author_association: 'OWNER',
    auto_merge: null,
    draft: pr.draft,
  };
  if (!detailed) {
    return json;
  }
  const files = await pullRequestFiles(repository, pr);
  const mergeBase =
    (await repository.git.mergeBase(baseSha, headSha)) ?? baseSha;
  const commits = await repository.git.commitsBetween(mergeBase, headSha);
  let mergeable: boolean | null = null;
  let mergeableState = 'unknown';
  if (pr.state === 'open') {
    mergeable = (await repository.git.mergeTrees(baseSha, headSha)).clean;
    if (!mergeable) mergeableState = 'dirty';
    else mergeableState = pr.draft ? 'draft' : 'clean';
  }
  return {
    ...json,
    merged: pr.mergedAt !== null,
    mergeable,
    rebaseable: false,
    mergeable_state: mergeableState,
    merged_by: pr.mergedBy ? userJson(urls, pr.mergedBy) : null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: commits.length,
    additions: files.reduce((sum, file) => sum + file.additions, 0),
    deletions: files.reduce((sum, file) => sum + file.deletions, 0),
    changed_files: files.length,
  };
}
