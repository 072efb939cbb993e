/*
 * Shared test set-up: a temporary directory and server per test, cleaned up after it,
 * a git runner for inspecting bare repositories, and a small API client.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitHubApiServer, GitHubApiServerOptions } from '../GitHubApiServer';

export const TOKEN = 'test-token-0123456789';

/** Runs git against a bare repository and returns its trimmed output. */
export function git(repoPath: string, ...args: string[]): string {
  return execFileSync('git', args, {
    env: {
      PATH: process.env.PATH,
      GIT_DIR: repoPath,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    },
    encoding: 'utf8',
  }).trim();
}

/** Calls the server's REST API the way any HTTP client would. */
export async function api(
  server: GitHubApiServer,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null } = {},
): Promise<{ status: number; body: any }> {
  const token = options.token === undefined ? TOKEN : options.token;
  const response = await fetch(`${server.apiBaseUrl}${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `token ${token}` } : {}),
      ...(options.body !== undefined
        ? { 'Content-Type': 'application/json' }
        : {}),
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Registers cleanup with the current test file: every directory and server made
 * through the returned functions is removed or stopped after each test.
 */
export function useTestEnv() {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) {
      await cleanups.pop()!();
    }
  });
  const tempDir = async (prefix = 'git-testenv-test-') => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  const startServer = async (
    options: Partial<GitHubApiServerOptions> & { dataDir?: string } = {},
  ) => {
    const server = await GitHubApiServer.start({
      token: TOKEN,
      repos: [{ owner: 'acme', repo: 'gitops' }],
      ...options,
      dataDir: options.dataDir ?? (await tempDir()),
    });
    cleanups.push(() => server.stop());
    return server;
  };
  return { tempDir, startServer };
}
