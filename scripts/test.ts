// `npm test`: type-check, lint, unit and integration tests (jest, against the real
// control plane), small runs of the benchmarks (their figures must be produced and
// sane; nothing is timed), the browser end-to-end tests against a running demo portal,
// then the install test (our packed plugins in a fresh create-app app, by the READMEs).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startControlPlane } from '@vmportal/kube-testenv';
import { ensureChromium } from './lib/ensureChromium';
import { ProcessGroup } from './lib/ProcessGroup';
import { startDemoPortal } from './lib/startDemoPortal';
import { repoRoot } from './lib/startPortal';
import { startInstalledApp } from './install-test/startInstalledApp';

const startedAt = Date.now();
const results: Array<{ name: string; seconds: number; ok: boolean }> = [];

function log(line: string) {
  process.stdout.write(
    `[vmportal test ${((Date.now() - startedAt) / 1000)
      .toFixed(1)
      .padStart(6)}s] ${line}\n`,
  );
}

/**
 * Runs one step as a child process. Asynchronous on purpose: the demo git server of
 * the end-to-end step runs in this process and must keep answering meanwhile.
 */
async function stepRun(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<boolean> {
  log(`${name}: ${command} ${args.join(' ')}`);
  const t = Date.now();
  const child = spawn(command, args, {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, CI: 'true', ...env },
  });
  const ok = await new Promise<boolean>(done => {
    child.on('error', error => {
      log(`${name}: ${error.message}`);
      done(false);
    });
    child.on('exit', code => done(code === 0));
  });
  results.push({ name, seconds: (Date.now() - t) / 1000, ok });
  log(
    `${name}: ${ok ? 'ok' : 'FAILED'} in ${((Date.now() - t) / 1000).toFixed(
      1,
    )}s`,
  );
  return ok;
}

/**
 * A small run of one benchmark (`npm run bench -- <args>`): passes when it exits 0,
 * which it does only when its figures are produced and sane (numbers > 0, ratios
 * finite, counts right), and its last line is that result as JSON. Results and
 * control-plane data go under the test state folder, not bench/results.
 */
function benchStep(name: string, args: string[], stateDir: string): boolean {
  log(`${name}: npm run bench -- ${args.join(' ')}`);
  const t = Date.now();
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'scripts', 'bench.ts'),
      ...args,
      '--results-dir',
      join(stateDir, 'results'),
      '--state-dir',
      join(stateDir, 'tmp'),
    ],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, CI: 'true' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const lastLine = String(result.stdout ?? '')
    .trim()
    .split('\n')
    .pop();
  let ok = result.status === 0;
  try {
    const parsed = JSON.parse(lastLine ?? '') as {
      ok?: boolean;
      problems?: string[];
    };
    if (parsed.ok !== true) {
      ok = false;
      log(`${name}: ${(parsed.problems ?? []).join('; ')}`);
    }
  } catch {
    ok = false;
    log(`${name}: the last line of its output is not a JSON result`);
  }
  results.push({ name, seconds: (Date.now() - t) / 1000, ok });
  log(
    `${name}: ${ok ? 'ok' : 'FAILED'} in ${((Date.now() - t) / 1000).toFixed(
      1,
    )}s`,
  );
  return ok;
}

function bin(name: string) {
  return join(repoRoot, 'node_modules', '.bin', name);
}

async function endToEnd(stateDir: string): Promise<boolean> {
  // The tests count on the demo as seeded (VMs per quota, pull requests): each run
  // starts from new clusters and a new git server, never from what a run left.
  rmSync(stateDir, { recursive: true, force: true });
  const group = new ProcessGroup();
  try {
    const { demo, portal } = await startDemoPortal({
      group,
      stateDir,
      backendPort: 17007,
      appPort: 13000,
      log,
    });
    return await stepRun(
      'end-to-end (chromium)',
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-concurrency=1',
        // VMPORTAL_E2E_FILES narrows the files while developing a test.
        process.env.VMPORTAL_E2E_FILES ?? 'packages/app/e2e-tests/*.test.ts',
      ],
      {
        E2E_APP_URL: portal.appUrl,
        E2E_BACKEND_URL: portal.backendUrl,
        E2E_OUTPUT_DIR: join(stateDir, 'e2e'),
        // The demo git server and clusters, for the request-a-VM test.
        E2E_GIT_API_URL: demo.git.apiBaseUrl,
        E2E_GIT_TOKEN: demo.git.token,
        E2E_GIT_REPO_PATH: demo.git.repoPath,
        E2E_KUBE_DIR: demo.kubeDir,
        // Where startPortal writes the backend's output: the adversarial suite reads
        // the audit lines of its probes there.
        E2E_BACKEND_LOG: join(stateDir, 'logs', 'backend.log'),
      },
    );
  } finally {
    await group.stop();
  }
}

/**
 * The install test: our six plugins packed with `npm pack`, installed into a fresh app of
 * `@backstage/create-app` (our Backstage line) by the READMEs' own steps, that app
 * started against the local clusters, then checked from outside
 * (scripts/install-test/installedApp.test.ts). Its total time is printed and listed.
 */
async function installTest(stateDir: string): Promise<boolean> {
  const group = new ProcessGroup();
  const t = Date.now();
  let ok = false;
  try {
    const app = await startInstalledApp({ stateDir, group, log });
    log(
      `install test: the app is up after ${((Date.now() - t) / 1000).toFixed(
        1,
      )}s`,
    );
    ok = await stepRun(
      'install test: checks of the installed app',
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        'scripts/install-test/installedApp.test.ts',
      ],
      {
        E2E_APP_URL: app.appUrl,
        E2E_BACKEND_URL: app.backendUrl,
        E2E_OUTPUT_DIR: join(stateDir, 'output'),
        E2E_GIT_API_URL: app.demo.git.apiBaseUrl,
        E2E_GIT_TOKEN: app.demo.git.token,
        E2E_GIT_REPO_PATH: app.demo.git.repoPath,
        E2E_KUBE_DIR: app.demo.kubeDir,
      },
    );
    // A failed run leaves the app for a look (its folder is in the log above).
    if (ok) app.remove();
  } catch (error) {
    log(`install test: ${error instanceof Error ? error.message : error}`);
  } finally {
    await group.stop();
  }
  results.push({
    name: 'install test (all)',
    seconds: (Date.now() - t) / 1000,
    ok,
  });
  log(
    `install test: ${ok ? 'ok' : 'FAILED'} in ${(
      (Date.now() - t) /
      1000
    ).toFixed(1)}s`,
  );
  return ok;
}

/**
 * The API reports' options, as package.json's `build:api-reports` gives them: the six
 * published plugins, release tags checked per entry point, members' missing TSDoc not
 * listed (as in backstage/community-plugins).
 */
const API_REPORT_OPTIONS = [
  '-o',
  'ae-wrong-input-file-type,ae-undocumented',
  '--validate-release-tags',
  'plugins/*',
];

/** The step groups; `npm test -- --only e2e,unit` runs some of them (for development). */
const GROUPS = ['static', 'unit', 'bench', 'e2e', 'install'] as const;

function selectedGroups(argv: string[]): Set<string> {
  const at = argv.indexOf('--only');
  if (at === -1) return new Set(GROUPS);
  const names = (argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter(n => !(GROUPS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(
      `--only takes a comma-separated list of ${GROUPS.join(', ')}${
        unknown.length ? ` (not: ${unknown.join(', ')})` : ''
      }`,
    );
  }
  log(`only: ${names.join(', ')} (the full suite is npm test with no flags)`);
  return new Set(names);
}

async function main() {
  const only = selectedGroups(process.argv.slice(2));
  const stateDir = resolve(
    process.env.VMPORTAL_TEST_STATE_DIR ?? join(repoRoot, '.vmportal', 'test'),
  );
  mkdirSync(stateDir, { recursive: true });
  // The end-to-end tests call the backend as scripts would: a fresh token per run.
  process.env.VMPORTAL_API_TOKEN ??= `test-${crypto.randomUUID()}`;

  await ensureChromium(log);
  let ok = true;
  if (only.has('static')) {
    ok =
      (await stepRun('type-check', bin('tsc'), [
        // A full compile: the API reports are checked against its declarations, and an
        // incremental one can print a union's members in another order.
        '--incremental',
        'false',
      ])) && ok;
    // Reads the declarations that type-check just wrote to dist-types; fails when a
    // plugin's committed report*.api.md differs (`npm run build:api-reports` updates them).
    ok =
      (await stepRun('API reports', bin('backstage-repo-tools'), [
        'api-reports',
        '--ci',
        ...API_REPORT_OPTIONS,
      ])) && ok;
    ok = (await stepRun('lint', bin('backstage-cli'), ['repo', 'lint'])) && ok;
  }
  if (only.has('unit')) ok = (await unitAndIntegration(stateDir)) && ok;
  if (only.has('bench')) ok = benchmarks(join(stateDir, 'bench')) && ok;
  if (only.has('e2e')) ok = (await endToEnd(join(stateDir, 'demo'))) && ok;
  if (only.has('install'))
    ok = (await installTest(join(stateDir, 'install'))) && ok;

  log('summary:');
  for (const r of results) {
    log(`  ${r.ok ? 'ok    ' : 'FAILED'} ${r.name} (${r.seconds.toFixed(1)}s)`);
  }
  process.exit(ok ? 0 : 1);
}

async function unitAndIntegration(stateDir: string): Promise<boolean> {
  // One control plane for every package's integration tests (their jest global setup
  // uses it through KUBE_TESTENV_DIR instead of starting its own).
  const t = Date.now();
  const plane = await startControlPlane({
    dir: join(stateDir, 'kube'),
    clusters: 2,
    log,
  });
  results.push({
    name: 'control plane for the tests',
    seconds: (Date.now() - t) / 1000,
    ok: true,
  });
  try {
    return await stepRun(
      'unit and integration',
      bin('backstage-cli'),
      ['repo', 'test'],
      { KUBE_TESTENV_DIR: plane.dir },
    );
  } finally {
    await plane.stop();
  }
}

/** Small runs of each benchmark; each starts its own control plane. */
function benchmarks(benchDir: string): boolean {
  let ok = benchStep(
    'benchmark: catalog (small)',
    [
      'catalog',
      '--vms',
      '300',
      '--clusters',
      '2',
      '--changes',
      '40',
      '--change-rate',
      '4',
    ],
    benchDir,
  );
  ok =
    benchStep(
      'benchmark: plan (small)',
      ['plan', '--runs', '40', '--clusters', '3', '--namespaces', '10'],
      benchDir,
    ) && ok;
  ok =
    benchStep(
      'benchmark: page (small)',
      ['page', '--seconds', '10', '--rate', '20', '--warmup', '2'],
      benchDir,
    ) && ok;
  return ok;
}

main().catch(error => {
  process.stderr.write(
    `npm test failed: ${error instanceof Error ? error.stack : error}\n`,
  );
  process.exit(1);
});
