/*
 * The review pages' HTML: the hosted repositories, a repository's pull requests, and one
 * pull request with its body, reviewers, changed files and the Merge / Close forms.
 * Pure functions of what the site read from git and the pull request store.
 */
import { GitFileChange } from '../git/GitRepository';
import { HostedRepository } from '../github/HostedRepository';
import { StoredPullRequest } from '../github/PullRequestStore';
import { escapeHtml, htmlPage } from './html';
import { renderMarkdown } from './renderMarkdown';

/** A changed file with its unified diff. @internal */
export interface ReviewFile extends GitFileChange {
  diff: string;
  /** The diff was cut to the first lines; the page says so. */
  truncated: boolean;
}

/** Everything the pull request page shows. @internal */
export interface PullRequestPageData {
  repository: HostedRepository;
  pr: StoredPullRequest;
  files: ReviewFile[];
  /** Whether the head merges cleanly into the base; null once closed. */
  mergeable: boolean | null;
  /** Login the page acts as. */
  approver: string;
  /** The form token every POST must carry. */
  formToken: string;
  /** Why the last action failed, shown above the buttons. */
  problem?: string;
}

function stateOf(pr: StoredPullRequest): 'open' | 'merged' | 'closed' {
  if (pr.mergedAt) return 'merged';
  return pr.state;
}

function stateBadge(pr: StoredPullRequest) {
  const state = stateOf(pr);
  const label = { open: 'Open', merged: 'Merged', closed: 'Closed' }[state];
  return `<span class="state state-${state}">${label}</span>`;
}

function pullsPath(repository: HostedRepository) {
  return `/${encodeURIComponent(repository.owner)}/${encodeURIComponent(
    repository.name,
  )}/pulls`;
}

/** Path of a pull request's page, as `html_url` names it. @internal */
export function pullRequestPath(repository: HostedRepository, number: number) {
  return `/${encodeURIComponent(repository.owner)}/${encodeURIComponent(
    repository.name,
  )}/pull/${number}`;
}

/** The hosted repositories, each linking to its pull requests. @internal */
export function repositoriesPage(repositories: HostedRepository[]): string {
  const items = repositories
    .map(repository => {
      const open = repository.pulls
        .list()
        .filter(pr => pr.state === 'open').length;
      return `<li><a href="${escapeHtml(pullsPath(repository))}">${escapeHtml(
        repository.fullName,
      )}</a> <span class="muted">${open} open pull request${
        open === 1 ? '' : 's'
      }</span></li>`;
    })
    .join('\n');
  return htmlPage(
    'Repositories',
    `<h1>Repositories</h1>\n<ul>\n${items}\n</ul>`,
  );
}

/** A repository's pull requests: open ones first, newest first within each. @internal */
export function pullRequestListPage(repository: HostedRepository): string {
  const pulls = repository.pulls
    .list()
    .sort(
      (a, b) =>
        Number(b.state === 'open') - Number(a.state === 'open') ||
        b.number - a.number,
    );
  const rows = pulls
    .map(
      pr => `<tr>
<td>#${pr.number}</td>
<td><a href="${escapeHtml(
        pullRequestPath(repository, pr.number),
      )}">${escapeHtml(pr.title)}</a></td>
<td>${stateBadge(pr)}</td>
<td>${escapeHtml(pr.headRef)} → ${escapeHtml(pr.baseRef)}</td>
<td>${escapeHtml(pr.user)}</td>
<td>${escapeHtml(pr.createdAt)}</td>
</tr>`,
    )
    .join('\n');
  const table = pulls.length
    ? `<table>
<thead><tr><th>#</th><th>title</th><th>state</th><th>branch</th><th>opened by</th><th>opened</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`
    : '<p>No pull requests yet. Request a virtual machine in the portal to open one.</p>';
  return htmlPage(
    `Pull requests · ${repository.fullName}`,
    `<p><a href="/">Repositories</a></p>
<h1>Pull requests of ${escapeHtml(repository.fullName)}</h1>
${table}`,
  );
}

function diffHtml(file: ReviewFile) {
  const lines = file.diff.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // The header lines (diff --git, index, ---, +++) repeat what the heading says.
  const start = lines.findIndex(line => line.startsWith('@@'));
  const body = (start >= 0 ? lines.slice(start) : lines)
    .map(line => {
      let kind = '';
      if (line.startsWith('@@')) kind = 'hunk';
      else if (line.startsWith('+')) kind = 'add';
      else if (line.startsWith('-')) kind = 'del';
      return `<span${kind ? ` class="${kind}"` : ''}>${escapeHtml(
        line,
      )}</span>`;
    })
    .join('');
  const note = file.truncated
    ? '<p class="muted">The diff is cut short here; read the branch with git for the rest.</p>'
    : '';
  return `<pre class="diff">${body}</pre>${note}`;
}

function reviewersHtml(repository: HostedRepository, pr: StoredPullRequest) {
  const names = [
    ...pr.requestedReviewers.map(login => escapeHtml(login)),
    ...pr.requestedTeams.map(
      slug => `${escapeHtml(repository.owner)}/${escapeHtml(slug)} (team)`,
    ),
  ];
  return names.length
    ? `<ul class="reviewers">${names
        .map(name => `<li>${name}</li>`)
        .join('')}</ul>`
    : '<p class="muted">No reviewers requested.</p>';
}

function actionsHtml(data: PullRequestPageData) {
  const { repository, pr, mergeable, formToken, approver } = data;
  const state = stateOf(pr);
  if (state === 'merged') {
    return `<p>Merged by <strong>${escapeHtml(
      pr.mergedBy ?? '',
    )}</strong> at ${escapeHtml(
      pr.mergedAt ?? '',
    )} as commit <code>${escapeHtml(pr.mergeCommitSha ?? '')}</code>.</p>`;
  }
  if (state === 'closed') {
    return `<p>Closed without merging at ${escapeHtml(
      pr.closedAt ?? '',
    )}; nothing was applied.</p>`;
  }
  const action = (name: string) =>
    `${escapeHtml(pullRequestPath(repository, pr.number))}/${name}`;
  const token = `<input type="hidden" name="token" value="${escapeHtml(
    formToken,
  )}">`;
  let merge: string;
  if (pr.draft) {
    merge =
      '<p class="notice">This pull request is a draft and cannot be merged.</p>';
  } else if (mergeable === false) {
    merge =
      '<p class="notice">This branch conflicts with the base branch and cannot be merged.</p>';
  } else {
    merge = `<form method="post" action="${action(
      'merge',
    )}">${token}<button class="merge" type="submit">Merge pull request</button></form>`;
  }
  return `<p class="muted">You act as <strong>${escapeHtml(
    approver,
  )}</strong>. Merging approves the request: the merge applies the manifests to the cluster.</p>
<div class="actions">
${merge}
<form method="post" action="${action(
    'close',
  )}">${token}<button type="submit">Close pull request</button></form>
</div>`;
}

/** One pull request, for review. @internal */
export function pullRequestPage(data: PullRequestPageData): string {
  const { repository, pr, files } = data;
  const additions = files.reduce((sum, file) => sum + file.additions, 0);
  const deletions = files.reduce((sum, file) => sum + file.deletions, 0);
  const body = pr.body?.trim()
    ? renderMarkdown(pr.body)
    : '<p class="muted">No description.</p>';
  const fileSections = files
    .map(
      file => `<section class="file">
<h3>${escapeHtml(file.path)} <span class="muted">${escapeHtml(file.status)} +${
        file.additions
      } −${file.deletions}</span></h3>
${diffHtml(file)}
</section>`,
    )
    .join('\n');
  const problem = data.problem
    ? `<p class="notice" role="alert">${escapeHtml(data.problem)}</p>`
    : '';
  return htmlPage(
    `${pr.title} · Pull request #${pr.number} · ${repository.fullName}`,
    `<p><a href="/">Repositories</a> / <a href="${escapeHtml(
      pullsPath(repository),
    )}">${escapeHtml(repository.fullName)}</a></p>
<h1>${escapeHtml(pr.title)} <span class="muted">#${pr.number}</span></h1>
<p>${stateBadge(pr)} <strong>${escapeHtml(pr.user)}</strong> ${
      { open: 'wants to merge', merged: 'merged', closed: 'wanted to merge' }[
        stateOf(pr)
      ]
    } <code>${escapeHtml(pr.headRef)}</code> into <code>${escapeHtml(
      pr.baseRef,
    )}</code>, opened ${escapeHtml(pr.createdAt)}</p>
<div class="body">
${body}
</div>
<h2>Reviewers</h2>
${reviewersHtml(repository, pr)}
<h2>Review</h2>
${problem}
${actionsHtml(data)}
<h2>Files changed <span class="muted">(${
      files.length
    }, +${additions} −${deletions})</span></h2>
${fileSections}`,
  );
}

/** A page for a path the site does not serve, or a refused request. @internal */
export function messagePage(title: string, message: string): string {
  return htmlPage(
    title,
    `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(
      message,
    )}</p>\n<p><a href="/">Repositories</a></p>`,
  );
}
