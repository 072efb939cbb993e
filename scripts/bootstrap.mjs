// JavaScript, not TypeScript (like lib/node22.cjs): it must run on whatever Node the
// machine has (20 on a fresh machine) before anything is installed. It
//   1. brings Node 22 from the npm registry into the cache (outside the repo) and re-runs
//      itself under it, so that npm, native builds and the portal all use Node 22
//      (lib/node22.cjs, shared with the kube-testenv and git-testenv CLIs);
//   2. runs `npm install` when the lockfile or a package.json changed since the last install;
//   3. hands over to scripts/<command>.ts (TypeScript, run with tsx).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  NODE_MAJOR,
  installNode22,
  reexecUnder,
  runningMajor,
} from './lib/node22.cjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
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
  if (runningMajor() === NODE_MAJOR) return undefined;
  try {
    return installNode22(step);
  } catch (error) {
    return fail(error.message);
  }
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

/**
 * Native modules (better-sqlite3) must be built against the headers of the Node that
 * runs them. The machine's ~/.npmrc may set `nodedir` to another Node's headers (seen:
 * `/usr`, Node 20, while Node 22 ran the install), so point it at this Node's own.
 */
function nativeBuildEnv() {
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node.h'))
    ? { npm_config_nodedir: prefix }
    : {};
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
  const status = run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error'],
    { env: { ...process.env, ...nativeBuildEnv() } },
  );
  if (status !== 0) fail('npm install failed (see the output above)');
  writeFileSync(stampFile, installStamp());
  step(`dependencies installed in ${((Date.now() - t) / 1000).toFixed(1)}s`);
}

if (!commands.has(command)) {
  fail(`unknown command "${command}"; use one of: ${[...commands].join(', ')}`);
}
const node = ensureNode22();
if (node)
  reexecUnder(node, fileURLToPath(import.meta.url), [command, ...commandArgs]);
ensureDependencies();
const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
process.exit(
  run(process.execPath, [
    tsx,
    join(repoRoot, 'scripts', `${command}.ts`),
    ...commandArgs,
  ]),
);
