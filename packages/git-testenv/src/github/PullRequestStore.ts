/*
 * Pull requests of one repository, kept in a JSON file beside its git objects so that
 * they survive restarts of the server just as the branches do.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';

/** A pull request as stored; JSON for the API is built from it on demand. @internal */
export interface StoredPullRequest {
  number: number;
  title: string;
  body: string | null;
  draft: boolean;
  state: 'open' | 'closed';
  /** Login of the account that opened it. */
  user: string;
  /** Owner of the repository the head branch lives in. */
  headOwner: string;
  headRef: string;
  /** Last known head commit; the live branch wins while the pull request is open. */
  headSha: string;
  baseRef: string;
  /** Base branch tip when the pull request was closed or merged; the live branch wins while it is open. */
  baseSha: string | null;
  requestedReviewers: string[];
  requestedTeams: string[];
  assignees: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  mergedBy: string | null;
}

interface StoreFile {
  pullRequests: StoredPullRequest[];
}

/** @internal */
export class PullRequestStore {
  private readonly file: string;
  private readonly pullRequests: StoredPullRequest[];

  private constructor(file: string, pullRequests: StoredPullRequest[]) {
    this.file = file;
    this.pullRequests = pullRequests;
  }

  static async open(file: string): Promise<PullRequestStore> {
    let pullRequests: StoredPullRequest[] = [];
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as StoreFile;
      pullRequests = parsed.pullRequests ?? [];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw error;
      }
    }
    return new PullRequestStore(file, pullRequests);
  }

  list(): StoredPullRequest[] {
    return [...this.pullRequests];
  }

  get(number: number): StoredPullRequest | undefined {
    return this.pullRequests.find(pr => pr.number === number);
  }

  /** Stores a new pull request under the next free number. */
  async create(
    fields: Omit<StoredPullRequest, 'number'>,
  ): Promise<StoredPullRequest> {
    const number =
      this.pullRequests.reduce((max, pr) => Math.max(max, pr.number), 0) + 1;
    const pullRequest = { ...fields, number };
    this.pullRequests.push(pullRequest);
    await this.save();
    return pullRequest;
  }

  async update(
    number: number,
    patch: Partial<Omit<StoredPullRequest, 'number'>>,
  ): Promise<StoredPullRequest> {
    const pullRequest = this.get(number);
    if (!pullRequest) {
      throw new Error(`No pull request #${number}`);
    }
    Object.assign(pullRequest, patch, { updatedAt: new Date().toISOString() });
    await this.save();
    return pullRequest;
  }

  // Write then rename, so a crash never leaves a half-written file behind.
  private async save() {
    const data: StoreFile = { pullRequests: this.pullRequests };
    const temporary = `${this.file}.tmp`;
    await writeFile(temporary, `${JSON.stringify(data, null, 2)}\n`);
    await rename(temporary, this.file);
  }
}
