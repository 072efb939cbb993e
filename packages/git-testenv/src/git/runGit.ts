/*
 * Runs the git CLI against one bare repository.
 */
import { spawn } from 'node:child_process';

/**
 * A git command that exited with a code the caller did not expect.
 *
 * @internal
 */
export class GitCommandError extends Error {
  readonly exitCode: number;
  readonly stderr: string;

  constructor(args: string[], exitCode: number, stderr: string) {
    super(`git ${args[0]} exited with ${exitCode}: ${stderr.trim()}`);
    this.name = 'GitCommandError';
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** @internal */
export interface GitRunOptions {
  /** Bytes written to the command's standard input. */
  input?: string | Buffer;
  /** Extra environment, for example GIT_INDEX_FILE. */
  env?: Record<string, string>;
  /** Exit codes that are not errors; defaults to [0]. */
  okExitCodes?: number[];
}

/** @internal */
export interface GitRunResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

// The caller's own git settings (a global hooks path, a GIT_DIR or GIT_INDEX_FILE of a
// surrounding checkout, a pager) must not leak into the repositories this server owns.
function isolatedEnv(gitDir: string, extra: Record<string, string> = {}) {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('GIT_')) {
      env[key] = value;
    }
  }
  return {
    ...env,
    GIT_DIR: gitDir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    ...extra,
  };
}

/**
 * Runs `git <args>` with `GIT_DIR` set to the given repository. Arguments are passed as
 * an argument vector, never through a shell.
 *
 * @internal
 */
export function runGit(
  gitDir: string,
  args: string[],
  options: GitRunOptions = {},
): Promise<GitRunResult> {
  const okExitCodes = options.okExitCodes ?? [0];
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      env: isolatedEnv(gitDir, options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', chunk => stdout.push(chunk));
    child.stderr.on('data', chunk => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', code => {
      const result = {
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString('utf8'),
        exitCode: code ?? -1,
      };
      if (okExitCodes.includes(result.exitCode)) {
        resolve(result);
      } else {
        reject(new GitCommandError(args, result.exitCode, result.stderr));
      }
    });
    child.stdin.on('error', () => {
      // git may exit before reading all input; the exit code tells what happened.
    });
    child.stdin.end(options.input ?? '');
  });
}
