import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  DefaultGithubCredentialsProvider,
  GithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { Octokit } from '@octokit/rest';

/**
 * A pull request, as its web URL names it.
 *
 * @internal
 */
export interface PullRequestLocation {
  /** `https://<host>/<owner>/<repo>/pull/<number>` as given. */
  url: string;
  host: string;
  owner: string;
  repo: string;
  number: number;
  /** The API of the GitHub integration configured for `host`. */
  apiBaseUrl: string;
}

/**
 * What became of a pull request.
 *
 * @internal
 */
export type PullRequestState = 'open' | 'merged' | 'closed';

const PULL_PATH = /^\/([^/]+)\/([^/]+)\/pull\/(\d+)\/?$/;

/**
 * Reads pull requests through Backstage's GitHub integration (`integrations.github`):
 * the integration configured for the URL's host, its credentials (a token or a GitHub
 * App), and its `apiBaseUrl`, so github.com and GitHub Enterprise work alike.
 *
 * @internal
 */
export class PullRequestReader {
  static fromConfig(config: Config): PullRequestReader {
    const integrations = ScmIntegrations.fromConfig(config);
    return new PullRequestReader(
      integrations,
      DefaultGithubCredentialsProvider.fromIntegrations(integrations),
    );
  }

  private constructor(
    private readonly integrations: ScmIntegrations,
    private readonly credentials: GithubCredentialsProvider,
  ) {}

  /**
   * Where the pull request `url` is, and which integration reads it; `InputError`
   * naming `field` when the URL is not a pull request's or no integration serves it.
   */
  locate(url: string, field = 'pullRequestUrl'): PullRequestLocation {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InputError(`${field}: '${url}' is not a URL`);
    }
    const match = PULL_PATH.exec(parsed.pathname);
    if (!match) {
      throw new InputError(
        `${field}: '${url}' is not a pull request's web URL; it looks like https://<host>/<owner>/<repo>/pull/<number>`,
      );
    }
    const integration = this.integrations.github.byHost(parsed.host);
    if (!integration) {
      const hosts = this.integrations.github.list().map(i => i.config.host);
      throw new InputError(
        `${field}: no GitHub integration is configured for ${
          parsed.host
        }, so the portal cannot follow this pull request; configure integrations.github for it (configured: ${
          hosts.join(', ') || 'none'
        })`,
      );
    }
    const { apiBaseUrl } = integration.config;
    if (!apiBaseUrl) {
      throw new InputError(
        `${field}: the GitHub integration for ${parsed.host} has no apiBaseUrl; set integrations.github[].apiBaseUrl (https://${parsed.host}/api/v3 for GitHub Enterprise)`,
      );
    }
    return {
      url,
      host: parsed.host,
      owner: decodeURIComponent(match[1]),
      repo: decodeURIComponent(match[2]),
      number: Number(match[3]),
      apiBaseUrl,
    };
  }

  /** The pull request's state now; rejects with what GitHub answered (nothing secret). */
  async read(url: string): Promise<PullRequestState> {
    const pr = this.locate(url);
    const { token } = await this.credentials.getCredentials({
      url: `${new URL(url).origin}/${pr.owner}/${pr.repo}`,
    });
    const octokit = new Octokit({ baseUrl: pr.apiBaseUrl, auth: token });
    try {
      const { data } = await octokit.pulls.get({
        owner: pr.owner,
        repo: pr.repo,
        pull_number: pr.number,
      });
      if (data.merged || data.merged_at) return 'merged';
      return data.state === 'closed' ? 'closed' : 'open';
    } catch (error) {
      const status = (error as { status?: number }).status;
      throw new Error(
        `reading ${pr.owner}/${pr.repo}#${pr.number} on ${pr.host} failed${
          status ? ` with HTTP ${status}` : ''
        }: ${(error as Error).message}`,
      );
    }
  }
}
