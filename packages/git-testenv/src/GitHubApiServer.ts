/*
 * A local HTTP server speaking the part of GitHub's REST API that Backstage's
 * publish:github:pull-request action uses, over real bare git repositories.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { ApiContext, GitTestenvLogger, MergeEvent } from './github/ApiContext';
import { gitDatabaseRoutes } from './github/gitDatabaseRoutes';
import { GitHubHttpError } from './github/GitHubHttpError';
import { handleGraphql } from './github/graphqlEndpoint';
import { ApiUser, HostedRepository } from './github/HostedRepository';
import { pullRequestRoutes } from './github/pullRequestRoutes';
import { repositoryRoutes } from './github/repositoryRoutes';
import { ApiResponse, Router } from './github/Router';
import { PAGE_HEADERS, ReviewSite, WebResponse } from './web/ReviewSite';

const REST_PREFIX = '/api/v3';
const GRAPHQL_PATH = '/api/graphql';
const MAX_BODY_BYTES = 100 * 1024 * 1024;

/**
 * A repository the server hosts.
 *
 * @public
 */
export interface GitHubApiServerRepository {
  owner: string;
  repo: string;
  /** Branch created with the first commit; defaults to `main`. */
  defaultBranch?: string;
  /** Files of the first commit, by path; defaults to a README.md. Ignored if the repository exists. */
  initialFiles?: Record<string, string>;
}

/**
 * Options of {@link GitHubApiServer.start}.
 *
 * @public
 */
export interface GitHubApiServerOptions {
  /** Port to listen on; 0 or absent picks a free one. */
  port?: number;
  /** Address to listen on; defaults to 127.0.0.1. */
  host?: string;
  /** Where the bare repositories live, as `<dataDir>/<owner>/<repo>.git`; kept between runs. */
  dataDir: string;
  /** The only token the server accepts, as `Authorization: token X` or `Bearer X`. */
  token: string;
  repos: GitHubApiServerRepository[];
  /** The account the token belongs to; commits without an author are attributed to it. */
  user?: { login: string; name?: string; email?: string };
  /**
   * Who the review pages act as: they merge and close pull requests as this account,
   * with no token in the browser. Defaults to `demo-approver`.
   */
  approver?: { login: string; name?: string; email?: string };
  /** Called after each merge, before the merge request is answered. */
  onMerge?: (event: MergeEvent) => Promise<void>;
  /** Defaults to errors on standard error and nothing else. */
  logger?: GitTestenvLogger;
}

const stderrLogger: GitTestenvLogger = {
  info: () => {},
  warn: (message, meta) =>
    process.stderr.write(
      `git-testenv: ${message} ${JSON.stringify(meta ?? {})}\n`,
    ),
  error: (message, meta) =>
    process.stderr.write(
      `git-testenv: ${message} ${JSON.stringify(meta ?? {})}\n`,
    ),
};

function digest(value: string) {
  return createHash('sha256').update(value).digest();
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new GitHubHttpError(413, 'Request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolveBody(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * A running local GitHub API. Create it with {@link GitHubApiServer.start}; configure
 * Backstage's GitHub integration with {@link GitHubApiServer.host} and
 * {@link GitHubApiServer.apiBaseUrl}.
 *
 * @public
 */
export class GitHubApiServer {
  /** Where the server listens, for example `http://localhost:41234`. */
  readonly url: string;
  /** The REST API base, `<url>/api/v3`, as for GitHub Enterprise Server. */
  readonly apiBaseUrl: string;
  /** `localhost:PORT`, the `host` of the integration and of `repoUrl`. */
  readonly host: string;
  private readonly server: Server;
  private readonly dataDir: string;

  private constructor(options: {
    url: string;
    host: string;
    server: Server;
    dataDir: string;
  }) {
    this.url = options.url;
    this.apiBaseUrl = `${options.url}${REST_PREFIX}`;
    this.host = options.host;
    this.server = options.server;
    this.dataDir = options.dataDir;
  }

  /**
   * Creates the repositories that do not exist yet, then listens. Resolves once the
   * server accepts connections.
   */
  static async start(
    options: GitHubApiServerOptions,
  ): Promise<GitHubApiServer> {
    if (!options.token) {
      throw new Error('GitHubApiServer needs a token to accept');
    }
    const dataDir = resolve(options.dataDir);
    await mkdir(dataDir, { recursive: true });
    const login = options.user?.login ?? 'git-testenv';
    const user: ApiUser = {
      login,
      name: options.user?.name ?? login,
      email: options.user?.email ?? `${login}@users.noreply.localhost`,
    };
    const repositories: HostedRepository[] = [];
    for (const repo of options.repos) {
      repositories.push(
        await HostedRepository.open({
          dataDir,
          owner: repo.owner,
          name: repo.repo,
          defaultBranch: repo.defaultBranch ?? 'main',
          initialFiles: repo.initialFiles ?? {
            'README.md': `# ${repo.repo}\n`,
          },
          user,
        }),
      );
    }

    const expectedToken = digest(options.token);
    const logger = options.logger ?? stderrLogger;
    // The URLs in replies need the port, so requests are routed only once it is known.
    const server = createServer();
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolveListen();
      });
    });
    const { port } = server.address() as AddressInfo;
    const listenHost = options.host ?? '127.0.0.1';
    // Loopback and wildcard addresses are named localhost, as Backstage configs do.
    const hostName = [
      '127.0.0.1',
      'localhost',
      '0.0.0.0',
      '::',
      '::1',
    ].includes(listenHost)
      ? 'localhost'
      : listenHost;
    const url = `http://${
      hostName.includes(':') ? `[${hostName}]` : hostName
    }:${port}`;
    const context = new ApiContext({
      urls: { api: `${url}${REST_PREFIX}`, web: url },
      user,
      logger,
      repositories,
      onMerge: options.onMerge,
    });
    const approverLogin = options.approver?.login ?? 'demo-approver';
    const site = new ReviewSite({
      context,
      url,
      approver: {
        login: approverLogin,
        name: options.approver?.name ?? 'Demo approver',
        email:
          options.approver?.email ?? `${approverLogin}@users.noreply.localhost`,
      },
    });
    const router = new Router([
      ...repositoryRoutes(context),
      ...gitDatabaseRoutes(context),
      ...pullRequestRoutes(context),
    ]);
    server.on(
      'request',
      (request: IncomingMessage, response: ServerResponse) => {
        const pathname = new URL(request.url ?? '/', 'http://localhost')
          .pathname;
        if (!isApiPath(pathname)) {
          site.handle(request, pathname).then(
            reply => sendPage(request, response, reply),
            error => {
              logger.error('Page failed', {
                method: request.method,
                path: pathname,
                error: String(error),
              });
              sendPage(request, response, {
                status: 500,
                html: 'Server error; see the server log.',
              });
            },
          );
          return;
        }
        handle(context, router, expectedToken, request).then(
          reply => send(request, response, reply),
          error => {
            logger.error('Request failed', {
              method: request.method,
              path: request.url?.split('?')[0],
              error: String(error),
            });
            send(request, response, {
              status: 500,
              body: { message: 'Server Error' },
            });
          },
        );
      },
    );
    return new GitHubApiServer({
      url,
      host: url.replace(/^http:\/\//, ''),
      server,
      dataDir,
    });
  }

  /** The bare repository of owner/repo, for inspecting it with git. */
  repoPath(owner: string, repo: string): string {
    return HostedRepository.pathFor(this.dataDir, owner, repo);
  }

  /** Stops listening and closes open connections; the repositories stay on disk. */
  async stop(): Promise<void> {
    await new Promise<void>(resolveClose => {
      this.server.close(() => resolveClose());
      this.server.closeAllConnections();
    });
  }
}

/** The API lives under /api; everything else is the review pages. */
function isApiPath(pathname: string) {
  return pathname === '/api' || pathname.startsWith('/api/');
}

function sendPage(
  request: IncomingMessage,
  response: ServerResponse,
  reply: WebResponse,
) {
  const headers = { ...PAGE_HEADERS, ...reply.headers };
  if (reply.html === undefined) {
    response.writeHead(reply.status, headers).end();
    return;
  }
  const payload = Buffer.from(reply.html);
  response
    .writeHead(reply.status, {
      ...headers,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(payload.length),
    })
    .end(request.method === 'HEAD' ? undefined : payload);
}

async function handle(
  context: ApiContext,
  router: Router,
  expectedToken: Buffer,
  request: IncomingMessage,
): Promise<ApiResponse> {
  try {
    const authorization = request.headers.authorization;
    if (!authorization) {
      throw new GitHubHttpError(401, 'Requires authentication');
    }
    const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(authorization);
    if (!match || !timingSafeEqual(digest(match[1]), expectedToken)) {
      throw new GitHubHttpError(401, 'Bad credentials');
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    const raw = await readBody(request);
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new GitHubHttpError(400, 'Problems parsing JSON');
      }
    }
    if (url.pathname === GRAPHQL_PATH && method === 'POST') {
      return await handleGraphql(context, body);
    }
    const rest = url.pathname.startsWith(`${REST_PREFIX}/`)
      ? url.pathname.slice(REST_PREFIX.length)
      : undefined;
    const route = rest !== undefined ? router.match(method, rest) : undefined;
    if (!route) {
      throw GitHubHttpError.notFound();
    }
    return await route.handler({
      method,
      params: route.params,
      query: url.searchParams,
      body,
      accept: request.headers.accept,
    });
  } catch (error) {
    if (error instanceof GitHubHttpError) {
      return { status: error.status, body: error.toJSON() };
    }
    throw error;
  }
}

function send(
  request: IncomingMessage,
  response: ServerResponse,
  reply: ApiResponse,
) {
  const headers: Record<string, string> = {
    'X-GitHub-Media-Type': 'github.v3; format=json',
    'X-GitHub-Request-Id': randomUUID(),
    // octokit-plugin-create-pull-request tells users from apps by this header.
    'X-OAuth-Scopes': 'repo',
    ...reply.headers,
  };
  if (reply.status === 204 || reply.body === undefined) {
    response.writeHead(reply.status, headers).end();
    return;
  }
  const raw = Buffer.isBuffer(reply.body);
  const payload = raw
    ? (reply.body as Buffer)
    : Buffer.from(JSON.stringify(reply.body));
  response
    .writeHead(reply.status, {
      'Content-Type': 'application/json; charset=utf-8',
      ...headers,
      'Content-Length': String(payload.length),
    })
    .end(request.method === 'HEAD' ? undefined : payload);
}
