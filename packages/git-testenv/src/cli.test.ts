import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { useTestEnv } from './__testUtils__/testEnv';

jest.setTimeout(60_000);

const BIN = join(__dirname, '..', 'bin', 'git-testenv.js');

function start(args: string[], env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', chunk => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>(resolve =>
    child.on('exit', resolve),
  );
  return { child, exited, stderr: () => stderr };
}

describe('git-testenv serve', () => {
  const env = useTestEnv();

  it('refuses to start without GIT_TESTENV_TOKEN', async () => {
    const dir = await env.tempDir();
    const run = start(['serve', '--dir', dir, '--repo', 'acme/gitops'], {});
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/GIT_TESTENV_TOKEN is not set/);
  });

  it('prints where it listens, serves the API with the token, and stops on SIGTERM', async () => {
    const dir = await env.tempDir();
    const run = start(
      ['serve', '--dir', dir, '--port', '0', '--repo', 'acme/gitops'],
      {
        GIT_TESTENV_TOKEN: 'cli-token',
      },
    );
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        createInterface({ input: run.child.stdout }).once('line', resolve);
        run.exited.then(code =>
          reject(new Error(`exited ${code}: ${run.stderr()}`)),
        );
      });
      const ready = JSON.parse(firstLine);
      expect(ready).toEqual({
        url: expect.stringMatching(/^http:\/\/localhost:\d+$/),
        apiBaseUrl: `${ready.url}/api/v3`,
        host: ready.url.replace('http://', ''),
      });
      const repo = await fetch(`${ready.apiBaseUrl}/repos/acme/gitops`, {
        headers: { Authorization: 'token cli-token' },
      });
      expect(repo.status).toBe(200);
      expect(await repo.json()).toMatchObject({
        full_name: 'acme/gitops',
        default_branch: 'main',
      });
      expect(run.stderr()).not.toContain('cli-token');
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
  });
});
