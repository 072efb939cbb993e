import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@vmportal/kube-testenv';
import { ProcessGroup } from '../lib/ProcessGroup';
import { Portal, repoRoot, startPortal } from '../lib/startPortal';
import {
  DemoEnvironment,
  startDemoEnvironment,
} from '../lib/startDemoEnvironment';
import { applyInstallSteps } from './applyInstallSteps';
import { createStockApp, forgetCachedPackages } from './createStockApp';
import { packPlugins } from './packPlugins';
import { readmeInstallSteps } from './readmeInstallSteps';
import { ScopeRegistry } from './ScopeRegistry';

/** A fresh Backstage app with VM Portal installed by the READMEs, running. */
export interface InstalledApp extends Portal {
  /** The app's folder (outside the repository). */
  dir: string;
  demo: DemoEnvironment;
  /** Removes the app's folder; call it when the checks passed. */
  remove(): void;
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`;
}

/**
 * Packs our plugins, creates a stock Backstage app of our Backstage line, installs the
 * tarballs into it with the READMEs' own steps (read from the READMEs), and starts its
 * backend and frontend against the local clusters and the demo git server. Everything
 * it starts stops with `group`.
 */
export async function startInstalledApp(options: {
  stateDir: string;
  group: ProcessGroup;
  log: (line: string) => void;
}): Promise<InstalledApp> {
  const { stateDir, group, log } = options;
  const cacheDir = join(
    resolve(
      process.env.VMPORTAL_CACHE_DIR || join(homedir(), '.cache', 'vmportal'),
    ),
    'install-test',
  );
  mkdirSync(cacheDir, { recursive: true });
  rmSync(join(stateDir, 'logs'), { recursive: true, force: true });
  // Read first: a README that lost its markers fails before the slow part.
  const steps = readmeInstallSteps();
  log(`${steps.length} install steps marked in the READMEs`);

  let t = Date.now();
  const packed = packPlugins(join(stateDir, 'tarballs'), log);
  log(`packed ${packed.length} plugins in ${seconds(t)}`);

  t = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), 'vmportal-install-test-'));
  const app = await createStockApp({
    workDir,
    cacheDir,
    logFile: join(stateDir, 'logs', 'yarn.log'),
    log,
  });
  log(`stock app created and installed in ${seconds(t)}`);

  // Our packages come from a registry for their scope, as from a real one; the READMEs'
  // `yarn add <name>` commands stay as they are.
  const registry = await ScopeRegistry.start(packed);
  group.onStop(() => registry.stop());
  forgetCachedPackages(cacheDir, 'vmportal');
  await app.yarn([
    'config',
    'set',
    'npmScopes.vmportal.npmRegistryServer',
    registry.url,
  ]);
  await app.yarn([
    'config',
    'set',
    'unsafeHttpWhitelist',
    '--json',
    '["127.0.0.1"]',
  ]);
  // docs/install.md: copy the template into the app's repository.
  cpSync(
    join(repoRoot, 'templates', 'request-virtual-machine'),
    join(app.dir, 'templates', 'request-virtual-machine'),
    { recursive: true },
  );
  t = Date.now();
  await applyInstallSteps(app, steps, log);
  log(`README steps applied in ${seconds(t)}`);

  // The organisation: a real portal has its users and groups in the catalog already;
  // here the demo's teams replace the stock example org, and the guest signs in as the
  // demo's guest, a member of team-web.
  cpSync(
    join(repoRoot, 'examples', 'org.yaml'),
    join(app.dir, 'examples', 'org.yaml'),
  );
  const demo = await startDemoEnvironment({
    stateDir: join(stateDir, 'demo'),
    group,
    log,
  });
  const orgConfig = join(stateDir, 'app-config.install-test.yaml');
  writeFileSync(
    orgConfig,
    JSON.stringify(
      {
        auth: { providers: { guest: { userEntityRef: 'user:default/guest' } } },
      },
      null,
      2,
    ),
  );
  const portal = await startPortal({
    group,
    stateDir,
    appRoot: app.dir,
    configFiles: [...demo.configFiles, orgConfig],
    backendEnv: demo.backendEnv,
    backendPort: await freePort(),
    appPort: await freePort(),
    log,
  });
  return {
    ...portal,
    dir: app.dir,
    demo,
    remove: () => rmSync(workDir, { recursive: true, force: true }),
  };
}
