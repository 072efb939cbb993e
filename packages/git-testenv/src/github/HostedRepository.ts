/*
 * One repository the server hosts: its bare git repository, its pull requests, and a
 * queue that runs ref-moving operations one at a time.
 */
import { join } from 'node:path';
import { GitRepository } from '../git/GitRepository';
import { PullRequestStore } from './PullRequestStore';

/** The account the API acts as; commits without an author are attributed to it. @internal */
export interface ApiUser {
  login: string;
  name: string;
  email: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/** Whether a string is usable as a GitHub owner or repository name. @internal */
export function isValidRepositoryName(name: string) {
  return NAME.test(name) && name !== '.' && name !== '..';
}

/** @internal */
export class HostedRepository {
  readonly owner: string;
  readonly name: string;
  readonly defaultBranch: string;
  readonly git: GitRepository;
  readonly pulls: PullRequestStore;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(options: {
    owner: string;
    name: string;
    defaultBranch: string;
    git: GitRepository;
    pulls: PullRequestStore;
  }) {
    this.owner = options.owner;
    this.name = options.name;
    this.defaultBranch = options.defaultBranch;
    this.git = options.git;
    this.pulls = options.pulls;
  }

  /** Where the bare repository of owner/name lives under a data directory. */
  static pathFor(dataDir: string, owner: string, name: string) {
    return join(dataDir, owner, `${name}.git`);
  }

  /**
   * Opens the repository under `dataDir`, creating it with one commit of
   * `initialFiles` on the default branch if it does not exist yet.
   */
  static async open(options: {
    dataDir: string;
    owner: string;
    name: string;
    defaultBranch: string;
    initialFiles: Record<string, string>;
    user: ApiUser;
  }): Promise<HostedRepository> {
    const { owner, name, defaultBranch } = options;
    if (!isValidRepositoryName(owner) || !isValidRepositoryName(name)) {
      throw new Error(`Invalid repository name '${owner}/${name}'`);
    }
    const path = HostedRepository.pathFor(options.dataDir, owner, name);
    const { repository: git } = await GitRepository.openOrInit(
      path,
      defaultBranch,
    );
    const branchRef = `refs/heads/${defaultBranch}`;
    if (!(await git.readRef(branchRef))) {
      const tree = new Map<string, { mode: string; sha: string }>();
      for (const [file, content] of Object.entries(options.initialFiles)) {
        const sha = await git.writeBlob(Buffer.from(content, 'utf8'));
        tree.set(file, { mode: '100644', sha });
      }
      const identity = {
        name: options.user.name,
        email: options.user.email,
        date: new Date().toISOString(),
      };
      const commit = await git.writeCommit({
        tree: await git.writeFlatTree(tree),
        parents: [],
        author: identity,
        committer: identity,
        message: 'Initial commit\n',
      });
      await git.createRef(branchRef, commit);
    }
    const pulls = await PullRequestStore.open(join(path, 'testenv-pulls.json'));
    return new HostedRepository({ owner, name, defaultBranch, git, pulls });
  }

  get fullName() {
    return `${this.owner}/${this.name}`;
  }

  /**
   * Runs `fn` after every earlier exclusive operation on this repository has settled, so
   * that creating refs, numbering pull requests and merging never interleave.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(fn, fn);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
