import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Runs a command with its output in `logFile` (package managers print thousands of
 * lines); on failure rejects with the command and the log's last lines. Asynchronous:
 * servers in this process (the scope registry, the demo git server) keep answering.
 */
export async function runLogged(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string },
): Promise<void> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const out = createWriteStream(options.logFile, { flags: 'a' });
  out.write(`\n$ ${command} ${args.join(' ')}   (in ${options.cwd})\n`);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  const code = await new Promise<number | string>(resolve => {
    child.on('error', error => resolve(error.message));
    child.on('close', (status, signal) => resolve(status ?? signal ?? 1));
  });
  await new Promise<void>(resolve => out.end(resolve));
  if (code !== 0) {
    const tail = readFileSync(options.logFile, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-40)
      .join('\n');
    throw new Error(
      `${command} ${args.join(' ')} failed (${code}) in ${
        options.cwd
      }; the end of ${options.logFile}:\n${tail}`,
    );
  }
}
