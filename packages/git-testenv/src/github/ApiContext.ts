/*
 * What every route handler needs besides its request: where the API lives, who it acts
 * as, the hosted repositories and the merge hook.
 */
import { GitHubHttpError } from './GitHubHttpError';
import { ApiUser, HostedRepository } from './HostedRepository';

/**
 * Told after a pull request was merged and the base branch moved.
 *
 * @public
 */
export interface MergeEvent {
  owner: string;
  repo: string;
  pullNumber: number;
  baseBranch: string;
  /** The new commit at the tip of the base branch. */
  sha: string;
  /** Paths that differ between the base branch before and after the merge. */
  files: string[];
  /** The bare repository, for reading the merged tree with git. */
  repoPath: string;
}

/**
 * Where the server reports what it does. Matches the subset of Backstage's
 * `LoggerService` it uses, so a Backstage logger can be passed as is.
 *
 * @public
 */
export interface GitTestenvLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** @internal */
export interface ApiUrls {
  /** The REST API base, for example http://localhost:1234/api/v3 */
  api: string;
  /** Where html_url links point, for example http://localhost:1234 */
  web: string;
}

/** @internal */
export class ApiContext {
  readonly urls: ApiUrls;
  readonly user: ApiUser;
  readonly logger: GitTestenvLogger;
  readonly onMerge?: (event: MergeEvent) => Promise<void>;
  private readonly repositories: Map<string, HostedRepository>;

  constructor(options: {
    urls: ApiUrls;
    user: ApiUser;
    logger: GitTestenvLogger;
    repositories: HostedRepository[];
    onMerge?: (event: MergeEvent) => Promise<void>;
  }) {
    this.urls = options.urls;
    this.user = options.user;
    this.logger = options.logger;
    this.onMerge = options.onMerge;
    this.repositories = new Map(
      options.repositories.map(r => [r.fullName.toLowerCase(), r]),
    );
  }

  /** Every hosted repository, in the order they were configured. */
  listRepositories(): HostedRepository[] {
    return [...this.repositories.values()];
  }

  /** The hosted repository, or undefined; owner and name match case-insensitively. */
  findRepository(owner: string, repo: string): HostedRepository | undefined {
    return this.repositories.get(`${owner}/${repo}`.toLowerCase());
  }

  /** The hosted repository, or a 404 like GitHub's for an unknown repository. */
  repository(params: Record<string, string>): HostedRepository {
    const found = this.findRepository(params.owner, params.repo);
    if (!found) {
      throw GitHubHttpError.notFound();
    }
    return found;
  }
}
