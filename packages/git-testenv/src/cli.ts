/*
 * git-testenv serve --dir DIR [--port P] [--host H] --repo owner/repo [--repo ...]
 *                   [--clusters FILE]
 *
 * Prints one JSON line { url, apiBaseUrl, host } once the server accepts requests and
 * runs until SIGTERM or SIGINT. The accepted token comes from GIT_TESTENV_TOKEN only, so
 * it never shows in a process list.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { GitHubApiServer } from './GitHubApiServer';
import { GitOpsApplier, GitOpsCluster } from './GitOpsApplier';
import { GitTestenvLogger } from './github/ApiContext';

const USAGE = `Usage: git-testenv serve --dir DIR [--port PORT] [--host HOST] --repo OWNER/REPO [--repo ...] [--clusters FILE]

Serves the part of GitHub's REST API used by Backstage's publish:github:pull-request
over bare git repositories in DIR. The token to accept is read from GIT_TESTENV_TOKEN.
--clusters names a JSON file [{ "name", "url", "token", "caData" }]; merged manifests
under clusters/<name>/ are then applied to those clusters.`;

class UsageError extends Error {}

const logger: GitTestenvLogger = {
  info: (message, meta) =>
    process.stderr.write(
      `${JSON.stringify({ level: 'info', message, ...meta })}\n`,
    ),
  warn: (message, meta) =>
    process.stderr.write(
      `${JSON.stringify({ level: 'warn', message, ...meta })}\n`,
    ),
  error: (message, meta) =>
    process.stderr.write(
      `${JSON.stringify({ level: 'error', message, ...meta })}\n`,
    ),
};

async function readClusters(file: string): Promise<GitOpsCluster[]> {
  const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
  if (
    !Array.isArray(parsed) ||
    parsed.some(
      c =>
        !c ||
        typeof c.name !== 'string' ||
        typeof c.url !== 'string' ||
        typeof c.token !== 'string',
    )
  ) {
    throw new UsageError(
      `${file} must hold a JSON array of { name, url, token, caData? }`,
    );
  }
  return parsed as GitOpsCluster[];
}

async function serve(args: string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({
    args,
    options: {
      dir: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      repo: { type: 'string', multiple: true },
      clusters: { type: 'string' },
    },
    strict: true,
  });
  const token = env.GIT_TESTENV_TOKEN;
  if (!token) {
    throw new UsageError(
      'GIT_TESTENV_TOKEN is not set: set it to the token clients must send (the one in integrations.github[].token); git-testenv refuses to start without it',
    );
  }
  if (!values.dir) {
    throw new UsageError('--dir is required');
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a port number, got ${values.port}`);
  }
  const repos = (values.repo ?? []).map(spec => {
    const [owner, repo, ...rest] = spec.split('/');
    if (!owner || !repo || rest.length > 0) {
      throw new UsageError(`--repo must be OWNER/REPO, got ${spec}`);
    }
    return { owner, repo };
  });
  if (repos.length === 0) {
    throw new UsageError('at least one --repo OWNER/REPO is required');
  }
  const onMerge = values.clusters
    ? GitOpsApplier.create({
        clusters: await readClusters(values.clusters),
      }).mergeHandler()
    : undefined;
  const server = await GitHubApiServer.start({
    dataDir: values.dir,
    port,
    host: values.host,
    token,
    repos,
    onMerge,
    logger,
  });
  process.stdout.write(
    `${JSON.stringify({
      url: server.url,
      apiBaseUrl: server.apiBaseUrl,
      host: server.host,
    })}\n`,
  );
  await new Promise<void>(resolve => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await server.stop();
}

/**
 * Runs the command line; resolves to the process exit code.
 *
 * @internal
 */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === 'serve') {
      await serve(rest, env);
      return 0;
    }
    if (command === undefined || command === '--help' || command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command ${command}`);
  } catch (error) {
    const usage =
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(
      `git-testenv: ${
        error instanceof Error ? error.message : String(error)
      }\n`,
    );
    if (usage) {
      process.stderr.write(`${USAGE}\n`);
    }
    return usage ? 2 : 1;
  }
}
