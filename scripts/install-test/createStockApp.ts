import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { repoRoot } from '../lib/startPortal';
import { runLogged } from './runLogged';

/**
 * The `@backstage/create-app` release of our Backstage line (`backstage.json`): create-app
 * 0.9.2 makes Backstage 1.55.0 apps. When backstage.json moves, the test fails naming
 * the line it got; find the release with `npm view @backstage/create-app time` (the one
 * published with the Backstage release) and set it here.
 */
const CREATE_APP_VERSION = '0.9.2';

/** The corepack that brings the app's Yarn (the Node 22 of the bootstrap has none). */
const COREPACK_VERSION = '0.34.6';

/** A fresh Backstage app, installed, and its package manager. */
export interface StockApp {
  /** The app's root folder. */
  dir: string;
  /** Runs the app's Yarn in `cwd` (default the app's root). */
  yarn(args: string[], cwd?: string): Promise<void>;
  /** The environment its commands and processes get (caches, registry, Node). */
  env: NodeJS.ProcessEnv;
}

function npmRegistry(): string {
  // Read at run time: whichever registry this machine's npm uses.
  const result = spawnSync('npm', ['config', 'get', 'registry'], {
    encoding: 'utf8',
  });
  const registry = result.stdout?.trim();
  if (result.status !== 0 || !registry) {
    throw new Error('`npm config get registry` gave no registry');
  }
  return registry.replace(/\/+$/, '');
}

/**
 * Creates an app with `@backstage/create-app` (non-interactively, the name from
 * `BACKSTAGE_APP_NAME`) in `workDir/app` and installs it with the Yarn it declares,
 * through corepack, as `create-app` would. Caches (npm, corepack, Yarn's packages and a
 * yarn.lock seed of the stock app) stay in `cacheDir`, so a warm run downloads nothing.
 */
export async function createStockApp(options: {
  workDir: string;
  cacheDir: string;
  logFile: string;
  log: (line: string) => void;
}): Promise<StockApp> {
  const { workDir, cacheDir, logFile, log } = options;
  const nodeDir = dirname(dirname(process.execPath));
  const registry = npmRegistry();
  const binDir = join(cacheDir, 'bin');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [binDir, dirname(process.execPath), process.env.PATH].join(':'),
    FORCE_COLOR: '0',
    npm_config_cache: join(cacheDir, 'npm'),
    npm_config_update_notifier: 'false',
    // Native modules (better-sqlite3, isolated-vm) build against this Node's own
    // headers; nothing is downloaded for them.
    npm_config_nodedir: nodeDir,
    COREPACK_HOME: join(cacheDir, 'corepack'),
    COREPACK_NPM_REGISTRY: registry,
    COREPACK_ENABLE_DOWNLOAD_PROMPT: '0',
    // Outside the app (create-app's `yarn -v`), the Yarn corepack knows, not "latest".
    COREPACK_DEFAULT_TO_LATEST: '0',
    YARN_NPM_REGISTRY_SERVER: registry,
    YARN_GLOBAL_FOLDER: join(cacheDir, 'yarn'),
    // CI=true would make every install refuse to change the lockfile.
    YARN_ENABLE_IMMUTABLE_INSTALLS: 'false',
    YARN_ENABLE_TELEMETRY: '0',
    YARN_ENABLE_PROGRESS_BARS: 'false',
  };

  let t = Date.now();
  const corepack = join(
    cacheDir,
    'corepack-cli',
    'node_modules',
    'corepack',
    'dist',
    'corepack.js',
  );
  if (!existsSync(corepack)) {
    await runLogged(
      'npm',
      [
        'install',
        '--prefix',
        join(cacheDir, 'corepack-cli'),
        '--no-save',
        '--no-package-lock',
        `corepack@${COREPACK_VERSION}`,
      ],
      { cwd: cacheDir, env, logFile },
    );
  }
  mkdirSync(binDir, { recursive: true });
  await runLogged(
    process.execPath,
    [corepack, 'enable', '--install-directory', binDir, 'yarn'],
    { cwd: cacheDir, env, logFile },
  );

  const dir = join(workDir, 'app');
  await runLogged(
    'npx',
    [
      '--yes',
      `@backstage/create-app@${CREATE_APP_VERSION}`,
      '--skip-install',
      '--path',
      dir,
    ],
    {
      cwd: workDir,
      env: { ...env, BACKSTAGE_APP_NAME: 'vmportal-install-test' },
      logFile,
    },
  );
  const ours = readJson<{ version: string }>(join(repoRoot, 'backstage.json'));
  const theirs = readJson<{ version: string }>(join(dir, 'backstage.json'));
  if (theirs.version !== ours.version) {
    throw new Error(
      `@backstage/create-app@${CREATE_APP_VERSION} made a Backstage ${theirs.version} app, but backstage.json says ${ours.version}: set CREATE_APP_VERSION in scripts/install-test/createStockApp.ts to the create-app release of ${ours.version}`,
    );
  }
  log(
    `created a Backstage ${
      theirs.version
    } app with @backstage/create-app@${CREATE_APP_VERSION} in ${dir} (${(
      (Date.now() - t) /
      1000
    ).toFixed(1)}s)`,
  );

  const app: StockApp = {
    dir,
    env,
    yarn: (args, cwd = dir) => runLogged('yarn', args, { cwd, env, logFile }),
  };
  // create-app seeds yarn.lock from GitHub; where that is out of reach, the lockfile of
  // the previous run is the seed (the same resolutions, no registry round trips).
  const seed = join(cacheDir, `yarn.lock-create-app-${CREATE_APP_VERSION}`);
  const seeded = existsSync(seed);
  if (seeded) copyFileSync(seed, join(dir, 'yarn.lock'));
  t = Date.now();
  await installAsOfRelease(app, createAppPublished(env));
  copyFileSync(join(dir, 'yarn.lock'), seed);
  log(
    `yarn install of the stock app in ${((Date.now() - t) / 1000).toFixed(1)}s${
      seeded ? ' (yarn.lock seeded from the last run)' : ''
    }`,
  );
  return app;
}

/** When `@backstage/create-app@CREATE_APP_VERSION` was published, from the registry. */
function createAppPublished(env: NodeJS.ProcessEnv): Date {
  const result = spawnSync(
    'npm',
    ['view', '@backstage/create-app', 'time', '--json'],
    { encoding: 'utf8', env },
  );
  const published =
    result.status === 0
      ? (JSON.parse(result.stdout) as Record<string, string>)[
          CREATE_APP_VERSION
        ]
      : undefined;
  if (!published) {
    throw new Error(
      `npm view @backstage/create-app time gave no date for ${CREATE_APP_VERSION}`,
    );
  }
  return new Date(published);
}

/**
 * Installs the stock app with the dependencies of its Backstage release. create-app
 * seeds yarn.lock from GitHub; without that seed (GitHub out of reach), `^` ranges pull
 * in packages of later Backstage releases that the release's core does not run (a
 * signals backend that needs a newer backend-defaults, and so on). Yarn's own age gate,
 * set for this one install to a week after the create-app release (the release's own
 * packages and its first patches; the registry dates some of them days after
 * create-app) and applied to Backstage's packages too, resolves what a seeded install
 * of that week would; the app's `.yarnrc.yml` is as create-app wrote it afterwards.
 */
async function installAsOfRelease(app: StockApp, released: Date) {
  const rcFile = join(app.dir, '.yarnrc.yml');
  const original = readFileSync(rcFile, 'utf8');
  const rc = parseDocument(original);
  const cutoff = released.getTime() + 7 * 24 * 60 * 60 * 1000;
  rc.set('npmMinimalAgeGate', `${Math.ceil((Date.now() - cutoff) / 60_000)}m`);
  rc.set('npmPreapprovedPackages', []);
  writeFileSync(rcFile, String(rc));
  try {
    await app.yarn(['install']);
  } finally {
    writeFileSync(rcFile, original);
  }
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/**
 * Our packages as earlier runs left them in Yarn's cache: a rebuilt tarball of the same
 * version must not be taken from there, so they go before each run.
 */
export function forgetCachedPackages(cacheDir: string, scope: string): void {
  const cache = join(cacheDir, 'yarn', 'cache');
  if (!existsSync(cache)) return;
  for (const name of readdirSync(cache)) {
    if (name.startsWith(`@${scope}-`)) rmSync(join(cache, name));
  }
}
