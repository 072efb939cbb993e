/*
 * A bare git repository, read and written through git's plumbing commands.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlatTreeEntry } from './applyTreeChanges';
import { runGit, GitRunOptions } from './runGit';

/** Who and when, as in a commit's author and committer lines. @internal */
export interface GitIdentity {
  name: string;
  email: string;
  /** ISO 8601; GitHub's API reports UTC with a trailing Z. */
  date: string;
}

/** A parsed commit object. @internal */
export interface GitCommit {
  sha: string;
  tree: string;
  parents: string[];
  author: GitIdentity;
  committer: GitIdentity;
  message: string;
  signature?: string;
}

/** One entry of one tree level, as `git ls-tree -l` prints it. @internal */
export interface GitTreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  /** Size in bytes for blobs. */
  size?: number;
  path: string;
}

/** A file that differs between two commits. @internal */
export interface GitFileChange {
  path: string;
  status: 'added' | 'removed' | 'modified' | 'changed';
  /** Blob after the change, or before it for a removal. */
  sha: string;
  additions: number;
  deletions: number;
}

/** Outcome of `git merge-tree --write-tree`. @internal */
export type GitMergeResult =
  | { clean: true; tree: string }
  | { clean: false; conflicts: string[] };

const HEX_SHA = /^[0-9a-f]{4,40}$/i;
// What git refuses in ref names (see git-check-ref-format), plus a leading dash, so that
// a revision taken from a request can never be read as an option.
const UNSAFE_REVISION_PARTS = /(^-)|[~^:?*[\\]|\.\.|@\{|\/\/|\.lock$|\/$/;

function isUnsafeRevision(revision: string) {
  for (const char of revision) {
    const code = char.charCodeAt(0);
    if (code <= 0x20 || code === 0x7f) {
      return true;
    }
  }
  return UNSAFE_REVISION_PARTS.test(revision);
}

function splitNul(buffer: Buffer): string[] {
  const text = buffer.toString('utf8');
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') {
    parts.pop();
  }
  return parts;
}

function parseIdentity(line: string): GitIdentity {
  const match = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line);
  if (!match) {
    return { name: line, email: '', date: new Date(0).toISOString() };
  }
  const date = new Date(Number(match[3]) * 1000);
  return {
    name: match[1],
    email: match[2],
    date: date.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

function sanitizeIdentityPart(value: string): string {
  return value.replace(/[<>\n\r\0]/g, '').trim();
}

function formatIdentity(identity: GitIdentity): string {
  const time = Date.parse(identity.date);
  if (Number.isNaN(time)) {
    throw new Error(`Invalid date '${identity.date}'`);
  }
  const zone = /([+-])(\d\d):?(\d\d)$/.exec(identity.date);
  const offset = zone ? `${zone[1]}${zone[2]}${zone[3]}` : '+0000';
  return `${sanitizeIdentityPart(identity.name)} <${sanitizeIdentityPart(
    identity.email,
  )}> ${Math.floor(time / 1000)} ${offset}`;
}

/**
 * A bare repository on disk. Every method runs one or a few git plumbing commands.
 *
 * @internal
 */
export class GitRepository {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  /** A repository that must already exist; git commands fail if it does not. */
  static open(path: string): GitRepository {
    return new GitRepository(path);
  }

  /** Opens the bare repository at `path`, creating an empty one if none is there. */
  static async openOrInit(
    path: string,
    defaultBranch: string,
  ): Promise<{ repository: GitRepository; created: boolean }> {
    const repository = new GitRepository(path);
    const exists = await stat(join(path, 'HEAD')).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await mkdir(path, { recursive: true });
      await repository.run([
        'init',
        '--quiet',
        '--bare',
        `--initial-branch=${defaultBranch}`,
      ]);
    }
    return { repository, created: !exists };
  }

  run(args: string[], options?: GitRunOptions) {
    return runGit(this.path, args, options);
  }

  private async text(args: string[], options?: GitRunOptions) {
    const { stdout } = await this.run(args, options);
    return stdout.toString('utf8').trim();
  }

  /** Writes a blob and returns its id. */
  async writeBlob(content: Buffer): Promise<string> {
    return this.text(['hash-object', '-w', '--stdin'], { input: content });
  }

  async readBlob(sha: string): Promise<Buffer> {
    const { stdout } = await this.run(['cat-file', 'blob', sha]);
    return stdout;
  }

  /** The type of an object, or undefined if the id is malformed or unknown. */
  async objectType(sha: string): Promise<string | undefined> {
    if (!HEX_SHA.test(sha)) {
      return undefined;
    }
    const { stdout, exitCode } = await this.run(['cat-file', '-t', sha], {
      okExitCodes: [0, 1, 128],
    });
    return exitCode === 0 ? stdout.toString('utf8').trim() : undefined;
  }

  /** The full object id of a commit named by a full ref name, exactly. */
  async readRef(ref: string): Promise<string | undefined> {
    if (!ref.startsWith('refs/') || isUnsafeRevision(ref)) {
      return undefined;
    }
    const { stdout, exitCode } = await this.run(
      ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`],
      { okExitCodes: [0, 1, 128] },
    );
    return exitCode === 0 ? stdout.toString('utf8').trim() : undefined;
  }

  /**
   * Resolves what GitHub accepts as a `sha` or `ref` parameter: a commit id (full or
   * abbreviated), a branch name, a tag name or a full ref name.
   */
  async resolveCommit(revision: string): Promise<string | undefined> {
    if (!revision || isUnsafeRevision(revision)) {
      return undefined;
    }
    const candidates = revision.startsWith('refs/')
      ? [revision]
      : [`refs/heads/${revision}`, `refs/tags/${revision}`];
    if (HEX_SHA.test(revision)) {
      candidates.push(revision);
    }
    for (const candidate of candidates) {
      const { stdout, exitCode } = await this.run(
        ['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`],
        { okExitCodes: [0, 1, 128] },
      );
      if (exitCode === 0) {
        return stdout.toString('utf8').trim();
      }
    }
    return undefined;
  }

  /** Whether git accepts a full ref name such as `refs/heads/feature/x`. */
  async isValidRefName(ref: string): Promise<boolean> {
    if (!ref.startsWith('refs/')) {
      return false;
    }
    const { exitCode } = await this.run(['check-ref-format', ref], {
      okExitCodes: [0, 1, 128],
    });
    return exitCode === 0;
  }

  /** Creates a ref; false if it already exists. */
  async createRef(ref: string, sha: string): Promise<boolean> {
    if (await this.readRefRaw(ref)) {
      return false;
    }
    // The empty old value makes git refuse if someone created it in between.
    const { exitCode } = await this.run(['update-ref', ref, sha, ''], {
      okExitCodes: [0, 1, 128],
    });
    return exitCode === 0;
  }

  /** Moves a ref, only if it still points at `expectedOldSha`. */
  async updateRef(ref: string, sha: string, expectedOldSha: string) {
    await this.run(['update-ref', ref, sha, expectedOldSha]);
  }

  async deleteRef(ref: string, expectedOldSha: string) {
    await this.run(['update-ref', '-d', ref, expectedOldSha]);
  }

  private async readRefRaw(ref: string): Promise<string | undefined> {
    const { stdout, exitCode } = await this.run(
      ['rev-parse', '--verify', '--quiet', ref],
      { okExitCodes: [0, 1, 128] },
    );
    return exitCode === 0 ? stdout.toString('utf8').trim() : undefined;
  }

  async readCommit(sha: string): Promise<GitCommit> {
    const { stdout } = await this.run(['cat-file', 'commit', sha]);
    const text = stdout.toString('utf8');
    const split = text.indexOf('\n\n');
    const header = split >= 0 ? text.slice(0, split) : text;
    const message = split >= 0 ? text.slice(split + 2) : '';
    const commit: GitCommit = {
      sha,
      tree: '',
      parents: [],
      author: parseIdentity(''),
      committer: parseIdentity(''),
      message,
    };
    let signature: string[] | undefined;
    let inSignature = false;
    for (const line of header.split('\n')) {
      if (inSignature && signature && line.startsWith(' ')) {
        signature.push(line.slice(1));
        continue;
      }
      inSignature = false;
      const space = line.indexOf(' ');
      const key = line.slice(0, space);
      const value = line.slice(space + 1);
      if (key === 'tree') commit.tree = value;
      else if (key === 'parent') commit.parents.push(value);
      else if (key === 'author') commit.author = parseIdentity(value);
      else if (key === 'committer') commit.committer = parseIdentity(value);
      else if (key === 'gpgsig') {
        signature = [value];
        inSignature = true;
      }
    }
    if (signature) {
      commit.signature = signature.join('\n');
    }
    return commit;
  }

  /**
   * Writes a commit object as given (GitHub keeps the message byte for byte and accepts
   * a ready-made signature), so it is built by hand instead of through commit-tree.
   */
  async writeCommit(commit: Omit<GitCommit, 'sha'>): Promise<string> {
    const lines = [`tree ${commit.tree}`];
    for (const parent of commit.parents) {
      lines.push(`parent ${parent}`);
    }
    lines.push(`author ${formatIdentity(commit.author)}`);
    lines.push(`committer ${formatIdentity(commit.committer)}`);
    if (commit.signature) {
      const [first, ...rest] = commit.signature.replace(/\n$/, '').split('\n');
      lines.push(`gpgsig ${first}`, ...rest.map(line => ` ${line}`));
    }
    const body = `${lines.join('\n')}\n\n${commit.message}`;
    return this.text(['hash-object', '-t', 'commit', '-w', '--stdin'], {
      input: body,
    });
  }

  /** Commit ids reachable from `start`, newest first. */
  async listCommits(
    start: string,
    options: { skip: number; limit: number },
  ): Promise<string[]> {
    const out = await this.text([
      'rev-list',
      `--skip=${options.skip}`,
      `--max-count=${options.limit}`,
      start,
    ]);
    return out ? out.split('\n') : [];
  }

  /** Commits in `head` that are not in `base`, oldest first. */
  async commitsBetween(base: string, head: string): Promise<string[]> {
    const out = await this.text(['rev-list', '--reverse', head, `^${base}`]);
    return out ? out.split('\n') : [];
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const { exitCode } = await this.run(
      ['merge-base', '--is-ancestor', ancestor, descendant],
      { okExitCodes: [0, 1] },
    );
    return exitCode === 0;
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const { stdout, exitCode } = await this.run(['merge-base', a, b], {
      okExitCodes: [0, 1],
    });
    return exitCode === 0 ? stdout.toString('utf8').trim() : undefined;
  }

  /** Every blob and gitlink under a tree, by full path. */
  async readFlatTree(treeish: string): Promise<Map<string, FlatTreeEntry>> {
    const { stdout } = await this.run([
      'ls-tree',
      '-r',
      '-z',
      '--full-tree',
      treeish,
    ]);
    const tree = new Map<string, FlatTreeEntry>();
    for (const record of splitNul(stdout)) {
      const tab = record.indexOf('\t');
      const [mode, , sha] = record.slice(0, tab).split(' ');
      tree.set(record.slice(tab + 1), { mode, sha });
    }
    return tree;
  }

  /** One level of a tree, or of the tree at `path` inside `treeish`. */
  async readTreeLevel(treeish: string): Promise<GitTreeEntry[]> {
    const { stdout } = await this.run(['ls-tree', '-z', '-l', treeish]);
    return splitNul(stdout).map(record => {
      const tab = record.indexOf('\t');
      const [mode, type, sha, size] = record
        .slice(0, tab)
        .split(' ')
        .filter(Boolean);
      return {
        mode,
        type: type as GitTreeEntry['type'],
        sha,
        size: size === '-' ? undefined : Number(size),
        path: record.slice(tab + 1),
      };
    });
  }

  /** The entry at `path` in a commit's tree, or undefined. */
  async entryAt(
    commit: string,
    path: string,
  ): Promise<GitTreeEntry | undefined> {
    const { stdout } = await this.run([
      '--literal-pathspecs',
      'ls-tree',
      '-z',
      '-l',
      '--full-tree',
      commit,
      '--',
      path,
    ]);
    const record = splitNul(stdout)[0];
    if (!record) {
      return undefined;
    }
    const tab = record.indexOf('\t');
    if (record.slice(tab + 1) !== path) {
      return undefined;
    }
    const [mode, type, sha, size] = record
      .slice(0, tab)
      .split(' ')
      .filter(Boolean);
    return {
      mode,
      type: type as GitTreeEntry['type'],
      sha,
      size: size === '-' ? undefined : Number(size),
      path,
    };
  }

  /** Writes a tree from a flat path -> entry map through a throwaway index. */
  async writeFlatTree(tree: ReadonlyMap<string, FlatTreeEntry>) {
    const dir = await mkdtemp(join(tmpdir(), 'git-testenv-index-'));
    try {
      const env = { GIT_INDEX_FILE: join(dir, 'index') };
      const input = [...tree]
        .map(([path, entry]) => `${entry.mode} ${entry.sha}\t${path}\0`)
        .join('');
      await this.run(['update-index', '-z', '--add', '--index-info'], {
        input,
        env,
      });
      return await this.text(['write-tree'], { env });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Three-way merge of two commits without a work tree (git 2.38+). */
  async mergeTrees(ours: string, theirs: string): Promise<GitMergeResult> {
    const { stdout, exitCode } = await this.run(
      [
        'merge-tree',
        '--write-tree',
        '--name-only',
        '--no-messages',
        ours,
        theirs,
      ],
      { okExitCodes: [0, 1] },
    );
    const [tree, ...conflicts] = stdout.toString('utf8').trim().split('\n');
    return exitCode === 0
      ? { clean: true, tree }
      : { clean: false, conflicts: conflicts.filter(Boolean) };
  }

  /** The unified diff of one file between two commits, as `git diff` prints it. */
  async fileDiff(from: string, to: string, path: string): Promise<string> {
    const { stdout } = await this.run([
      '--literal-pathspecs',
      'diff-tree',
      '-p',
      '-r',
      '--no-renames',
      '--no-color',
      from,
      to,
      '--',
      path,
    ]);
    return stdout.toString('utf8');
  }

  /** Files that differ between two commits, without rename detection. */
  async diff(from: string, to: string): Promise<GitFileChange[]> {
    const raw = splitNul(
      (await this.run(['diff-tree', '-r', '-z', '--no-renames', from, to]))
        .stdout,
    );
    const numstat = splitNul(
      (
        await this.run([
          'diff-tree',
          '-r',
          '-z',
          '--no-renames',
          '--numstat',
          from,
          to,
        ])
      ).stdout,
    );
    const counts = new Map<string, { additions: number; deletions: number }>();
    for (const record of numstat) {
      const [added, deleted, path] = record.split('\t');
      counts.set(path, {
        additions: Number(added) || 0,
        deletions: Number(deleted) || 0,
      });
    }
    const changes: GitFileChange[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const [, , oldSha, newSha, letter] = raw[i].split(' ');
      const path = raw[i + 1];
      let status: GitFileChange['status'] = 'changed';
      if (letter === 'A') status = 'added';
      else if (letter === 'D') status = 'removed';
      else if (letter === 'M') status = 'modified';
      changes.push({
        path,
        status,
        sha: status === 'removed' ? oldSha : newSha,
        ...(counts.get(path) ?? { additions: 0, deletions: 0 }),
      });
    }
    return changes;
  }
}
