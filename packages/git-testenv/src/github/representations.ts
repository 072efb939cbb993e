/*
 * JSON bodies in the shapes GitHub's REST API returns, for the objects this server has.
 * Only fields that GitHub returns are used, never invented ones; fields about things
 * this server does not have (avatars, reactions, statuses) are left out.
 */
import { createHash } from 'node:crypto';
import { GitCommit } from '../git/GitRepository';
import { ApiUrls } from './ApiContext';
import { ApiUser, HostedRepository } from './HostedRepository';

/** A stable positive 31-bit number for a name, standing in for GitHub's database ids. @internal */
export function stableId(kind: string, name: string): number {
  return (
    createHash('sha1').update(`${kind}:${name}`).digest().readUInt32BE(0) &
    0x7fffffff
  );
}

function nodeId(prefix: string, name: string) {
  return `${prefix}_${Buffer.from(name).toString('base64url')}`;
}

/** @internal */
export function userJson(urls: ApiUrls, login: string) {
  return {
    login,
    id: stableId('user', login),
    node_id: nodeId('U', login),
    url: `${urls.api}/users/${login}`,
    html_url: `${urls.web}/${login}`,
    type: 'User',
    site_admin: false,
  };
}

/** @internal */
export function teamJson(urls: ApiUrls, owner: string, slug: string) {
  return {
    id: stableId('team', `${owner}/${slug}`),
    node_id: nodeId('T', `${owner}/${slug}`),
    name: slug,
    slug,
    url: `${urls.api}/orgs/${owner}/teams/${slug}`,
    html_url: `${urls.web}/orgs/${owner}/teams/${slug}`,
    privacy: 'closed',
    permission: 'pull',
  };
}

/** @internal */
export function repositoryJson(urls: ApiUrls, repository: HostedRepository) {
  const full = repository.fullName;
  return {
    id: stableId('repo', full),
    node_id: nodeId('R', full),
    name: repository.name,
    full_name: full,
    private: true,
    visibility: 'private',
    owner: userJson(urls, repository.owner),
    html_url: `${urls.web}/${full}`,
    description: null,
    fork: false,
    url: `${urls.api}/repos/${full}`,
    // The repository is not served over a git protocol; a file URL lets local tools
    // (and tests) clone it directly.
    clone_url: `file://${repository.git.path}`,
    default_branch: repository.defaultBranch,
    archived: false,
    disabled: false,
    permissions: {
      admin: true,
      maintain: true,
      push: true,
      triage: true,
      pull: true,
    },
    allow_merge_commit: true,
    allow_squash_merge: true,
    allow_rebase_merge: false,
  };
}

/** A commit as the git database API returns it (POST/GET git/commits). @internal */
export function gitCommitJson(
  urls: ApiUrls,
  repository: HostedRepository,
  commit: GitCommit,
) {
  const full = repository.fullName;
  return {
    sha: commit.sha,
    node_id: nodeId('C', commit.sha),
    url: `${urls.api}/repos/${full}/git/commits/${commit.sha}`,
    html_url: `${urls.web}/${full}/commit/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    tree: {
      sha: commit.tree,
      url: `${urls.api}/repos/${full}/git/trees/${commit.tree}`,
    },
    message: commit.message,
    parents: commit.parents.map(sha => ({
      sha,
      url: `${urls.api}/repos/${full}/git/commits/${sha}`,
      html_url: `${urls.web}/${full}/commit/${sha}`,
    })),
    verification: {
      verified: false,
      reason: commit.signature ? 'unknown_key' : 'unsigned',
      signature: commit.signature ?? null,
      payload: null,
    },
  };
}

/** A commit as the repository commits API returns it (GET commits). @internal */
export function repoCommitJson(
  urls: ApiUrls,
  repository: HostedRepository,
  commit: GitCommit,
  user: ApiUser,
) {
  const full = repository.fullName;
  const git = gitCommitJson(urls, repository, commit);
  // GitHub links a commit to an account by e-mail; the only account here is the API user.
  const account = (email: string) =>
    email === user.email ? userJson(urls, user.login) : null;
  return {
    sha: commit.sha,
    node_id: git.node_id,
    commit: {
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      tree: git.tree,
      url: git.url,
      comment_count: 0,
      verification: git.verification,
    },
    url: `${urls.api}/repos/${full}/commits/${commit.sha}`,
    html_url: git.html_url,
    comments_url: `${urls.api}/repos/${full}/commits/${commit.sha}/comments`,
    author: account(commit.author.email),
    committer: account(commit.committer.email),
    parents: commit.parents.map(sha => ({
      sha,
      url: `${urls.api}/repos/${full}/commits/${sha}`,
      html_url: `${urls.web}/${full}/commit/${sha}`,
    })),
  };
}

/** @internal */
export function refJson(
  urls: ApiUrls,
  repository: HostedRepository,
  ref: string,
  sha: string,
) {
  const full = repository.fullName;
  return {
    ref,
    node_id: nodeId('REF', `${full}:${ref}`),
    url: `${urls.api}/repos/${full}/git/${ref}`,
    object: {
      sha,
      type: 'commit',
      url: `${urls.api}/repos/${full}/git/commits/${sha}`,
    },
  };
}
