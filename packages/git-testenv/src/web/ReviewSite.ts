/*
 * The demo's review pages: everything the server answers outside /api. A person opens
 * the html_url of a pull request, reads it and merges or closes it, with no token in the
 * browser; the site acts as one demo approver.
 *
 * Protection fit for a server on the loopback interface: pages answer only to the
 * server's own host names (so a DNS-rebinding page cannot read them), a POST must carry
 * the form token this server process made (random, never stored) and must not come
 * from another origin, and the pages run no script and cannot be framed.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { GitFileChange } from '../git/GitRepository';
import { ApiContext } from '../github/ApiContext';
import { GitHubHttpError } from '../github/GitHubHttpError';
import { ApiUser, HostedRepository } from '../github/HostedRepository';
import { mergePullRequest, runMergeHook } from '../github/mergePullRequest';
import { closingPatch, pullRequestCommits } from '../github/pullRequestJson';
import { CONTENT_SECURITY_POLICY } from './html';
import {
  messagePage,
  pullRequestListPage,
  pullRequestPage,
  pullRequestPath,
  repositoriesPage,
  ReviewFile,
} from './reviewPages';

const MAX_FORM_BYTES = 16 * 1024;
const MAX_DIFF_LINES = 2000;

/** What the site answers; the server writes it out. @internal */
export interface WebResponse {
  status: number;
  html?: string;
  headers?: Record<string, string>;
}

const REFUSED =
  'This form did not come from this page, or the server restarted since the page was loaded: reload the pull request and try again.';

function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new GitHubHttpError(413, 'The form is too large.'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () =>
      resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))),
    );
    request.on('error', reject);
  });
}

function truncateDiff(diff: string): { diff: string; truncated: boolean } {
  const lines = diff.split('\n');
  return lines.length > MAX_DIFF_LINES
    ? { diff: lines.slice(0, MAX_DIFF_LINES).join('\n'), truncated: true }
    : { diff, truncated: false };
}

/** @internal */
export class ReviewSite {
  private readonly context: ApiContext;
  private readonly approver: ApiUser;
  private readonly allowedHosts: Set<string>;
  private readonly formToken = randomBytes(32).toString('base64url');

  /**
   * @param url - where the server listens, e.g. http://localhost:1234; the pages
   *   answer to its host, and to the loopback addresses when it is localhost.
   */
  constructor(options: {
    context: ApiContext;
    approver: ApiUser;
    url: string;
  }) {
    this.context = options.context;
    this.approver = options.approver;
    const { host, hostname, port } = new URL(options.url);
    this.allowedHosts = new Set([host.toLowerCase()]);
    if (hostname === 'localhost') {
      for (const alias of ['127.0.0.1', '[::1]']) {
        this.allowedHosts.add(`${alias}:${port}`);
      }
    }
  }

  /** Answers a request for a path outside the API. */
  async handle(
    request: IncomingMessage,
    pathname: string,
  ): Promise<WebResponse> {
    const host = (request.headers.host ?? '').toLowerCase();
    if (!this.allowedHosts.has(host)) {
      return this.page(
        403,
        messagePage(
          'Wrong host name',
          `This demo git server answers only as ${[...this.allowedHosts].join(
            ', ',
          )}.`,
        ),
      );
    }
    let segments: string[];
    try {
      segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return this.notFound();
    }
    const method = request.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';
    try {
      if (segments.length === 0 && read) {
        return this.page(
          200,
          repositoriesPage(this.context.listRepositories()),
        );
      }
      const [owner, repo, kind, number, action, ...rest] = segments;
      const repository =
        owner && repo ? this.context.findRepository(owner, repo) : undefined;
      if (!repository || rest.length > 0) {
        return this.notFound();
      }
      if (read && (kind === undefined || (kind === 'pulls' && !number))) {
        return this.page(200, pullRequestListPage(repository));
      }
      if (kind !== 'pull' || !/^[1-9][0-9]{0,8}$/.test(number ?? '')) {
        return this.notFound();
      }
      const pullNumber = Number(number);
      if (read && action === undefined) {
        return await this.pullRequest(repository, pullNumber, 200);
      }
      if (method === 'POST' && (action === 'merge' || action === 'close')) {
        const refusal = await this.checkForm(request, host);
        if (refusal) {
          return refusal;
        }
        return action === 'merge'
          ? await this.merge(repository, pullNumber)
          : await this.close(repository, pullNumber);
      }
      return this.page(
        405,
        messagePage('Method not allowed', `${method} is not served here.`),
      );
    } catch (error) {
      if (error instanceof GitHubHttpError && error.status === 404) {
        return this.notFound();
      }
      throw error;
    }
  }

  private page(
    status: number,
    html: string,
    headers?: Record<string, string>,
  ): WebResponse {
    return { status, html, headers };
  }

  private notFound() {
    return this.page(
      404,
      messagePage(
        'Not found',
        'There is no such repository or pull request here.',
      ),
    );
  }

  /** Undefined when the POST came from this server's own page, else the refusal. */
  private async checkForm(
    request: IncomingMessage,
    host: string,
  ): Promise<WebResponse | undefined> {
    const refused = () => this.page(403, messagePage('Refused', REFUSED));
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) {
      return refused();
    }
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') {
      return refused();
    }
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim();
    if (type !== 'application/x-www-form-urlencoded') {
      return refused();
    }
    const sent = Buffer.from((await readForm(request)).get('token') ?? '');
    const expected = Buffer.from(this.formToken);
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
      return refused();
    }
    return undefined;
  }

  private async pullRequest(
    repository: HostedRepository,
    number: number,
    status: number,
    problem?: string,
  ): Promise<WebResponse> {
    const pr = repository.pulls.get(number);
    if (!pr) {
      return this.notFound();
    }
    const { headSha, baseSha } = await pullRequestCommits(repository, pr);
    const mergeBase =
      (await repository.git.mergeBase(baseSha, headSha)) ?? baseSha;
    const changes: GitFileChange[] = await repository.git.diff(
      mergeBase,
      headSha,
    );
    const files: ReviewFile[] = [];
    for (const change of changes) {
      files.push({
        ...change,
        ...truncateDiff(
          await repository.git.fileDiff(mergeBase, headSha, change.path),
        ),
      });
    }
    const mergeable =
      pr.state === 'open'
        ? (await repository.git.mergeTrees(baseSha, headSha)).clean
        : null;
    return this.page(
      status,
      pullRequestPage({
        repository,
        pr,
        files,
        mergeable,
        approver: this.approver.login,
        formToken: this.formToken,
        problem,
      }),
    );
  }

  private seeOther(repository: HostedRepository, number: number): WebResponse {
    return {
      status: 303,
      headers: { Location: pullRequestPath(repository, number) },
    };
  }

  private async merge(
    repository: HostedRepository,
    number: number,
  ): Promise<WebResponse> {
    let event;
    try {
      ({ event } = await mergePullRequest(
        this.context,
        repository,
        number,
        {},
        this.approver,
      ));
    } catch (error) {
      if (error instanceof GitHubHttpError && error.status !== 404) {
        return this.pullRequest(
          repository,
          number,
          409,
          `Not merged: ${error.message}.`,
        );
      }
      throw error;
    }
    if (event) {
      await runMergeHook(this.context, event);
    }
    return this.seeOther(repository, number);
  }

  private async close(
    repository: HostedRepository,
    number: number,
  ): Promise<WebResponse> {
    const closed = await repository.exclusive(async () => {
      const pr = repository.pulls.get(number);
      if (!pr) {
        throw GitHubHttpError.notFound();
      }
      if (pr.state !== 'open') {
        return false;
      }
      await repository.pulls.update(number, await closingPatch(repository, pr));
      this.context.logger.info('Closed pull request', {
        repository: repository.fullName,
        pullNumber: number,
        by: this.approver.login,
      });
      return true;
    });
    return closed
      ? this.seeOther(repository, number)
      : this.pullRequest(
          repository,
          number,
          409,
          'Not closed: the pull request is no longer open.',
        );
  }
}

/** Headers every page carries. @internal */
export const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  // Not no-referrer: with it, browsers send `Origin: null` on the page's own forms,
  // which the origin check refuses.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};
