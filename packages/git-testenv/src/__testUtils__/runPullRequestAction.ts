/*
 * Runs Backstage's stock publish:github:pull-request action, unchanged, against a
 * server, with the integration config a Backstage backend would have.
 */
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { createPublishGithubPullRequestAction } from '@backstage/plugin-scaffolder-backend-module-github';
import { GitHubApiServer } from '../GitHubApiServer';
import { TOKEN } from './testEnv';

type PullRequestAction = ReturnType<
  typeof createPublishGithubPullRequestAction
>;
type ActionContext = Parameters<PullRequestAction['handler']>[0];

/** A workspace file: text, or text with the executable bit. */
export type WorkspaceFile = string | { content: string; executable: true };

export interface ActionRun {
  input: Partial<ActionContext['input']>;
  files: Record<string, WorkspaceFile>;
  /** The integration's token; defaults to the server's. */
  token?: string;
  /** Where the workspace is made; the caller owns its cleanup. */
  workspaceParent: string;
}

/** Runs the action; resolves to its outputs, rejects with the action's error. */
export async function runPullRequestAction(
  server: GitHubApiServer,
  run: ActionRun,
): Promise<Record<string, unknown>> {
  const integrations = ScmIntegrations.fromConfig(
    new ConfigReader({
      integrations: {
        github: [
          {
            host: server.host,
            apiBaseUrl: server.apiBaseUrl,
            token: run.token ?? TOKEN,
          },
        ],
      },
    }),
  );
  const action = createPublishGithubPullRequestAction({
    integrations,
    githubCredentialsProvider:
      DefaultGithubCredentialsProvider.fromIntegrations(integrations),
  });

  const workspacePath = await mkdtemp(join(run.workspaceParent, 'workspace-'));
  for (const [path, file] of Object.entries(run.files)) {
    const target = join(workspacePath, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, typeof file === 'string' ? file : file.content);
    if (typeof file !== 'string') {
      await chmod(target, 0o755);
    }
  }

  const outputs: Record<string, unknown> = {};
  const context: ActionContext = {
    logger: mockServices.logger.mock(),
    workspacePath,
    input: {
      repoUrl: `${server.host}?owner=acme&repo=gitops`,
      branchName: 'vm/request',
      title: 'Request a virtual machine',
      description: 'Adds a virtual machine',
      ...run.input,
    },
    output: (name, value) => {
      outputs[name] = value;
    },
    checkpoint: async ({ fn }) => fn(),
    createTemporaryDirectory: () => mkdtemp(join(run.workspaceParent, 'tmp-')),
    getInitiatorCredentials: async () => mockCredentials.user(),
    task: { id: 'task-1' },
  };
  await action.handler(context);
  return outputs;
}
