import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ProcessGroup } from './ProcessGroup';
import { isPortFree } from '@vmportal/kube-testenv';
import { waitForHttp } from './waitFor';

export const repoRoot = resolve(__dirname, '..', '..');

/** How to start the portal's backend and app. */
export interface PortalOptions {
  group: ProcessGroup;
  /** The Backstage app to start: this repository's unless given (the install test's fresh app). */
  appRoot?: string;
  /** Where generated config and logs go. */
  stateDir: string;
  /** Extra config files (absolute paths), after app-config.yaml. */
  configFiles?: string[];
  /** Environment for the backend (secrets the config files refer to as `${VAR}`). */
  backendEnv?: Record<string, string>;
  backendPort?: number;
  appPort?: number;
  /** Start the app's dev server too (default true; benchmarks need only the backend). */
  withApp?: boolean;
  /** Print the backend's and app's output instead of writing it to log files. */
  verbose?: boolean;
  log: (line: string) => void;
}

/** Where a started portal answers. */
export interface Portal {
  appUrl: string;
  backendUrl: string;
}

/**
 * Starts the backend (new backend system, SQLite in memory) and the app's dev server,
 * and resolves when both answer.
 */
export async function startPortal(options: PortalOptions): Promise<Portal> {
  const backendPort = options.backendPort ?? 7007;
  const appPort = options.appPort ?? 3000;
  const backendUrl = `http://localhost:${backendPort}`;
  const appUrl = `http://localhost:${appPort}`;

  const withApp = options.withApp ?? true;
  for (const port of withApp ? [backendPort, appPort] : [backendPort]) {
    if (!(await isPortFree(port))) {
      throw new Error(
        `port ${port} is in use (another npm start?); stop what uses it and run again`,
      );
    }
  }
  // JSON is YAML: the generated config needs no YAML writer.
  const portsConfig = join(options.stateDir, 'app-config.ports.yaml');
  writeFileSync(
    portsConfig,
    JSON.stringify(
      {
        app: { baseUrl: appUrl },
        backend: {
          baseUrl: backendUrl,
          listen: { port: backendPort },
          cors: { origin: appUrl },
        },
      },
      null,
      2,
    ),
  );
  const appRoot = options.appRoot ?? repoRoot;
  const configFiles = [
    join(appRoot, 'app-config.yaml'),
    ...(options.configFiles ?? []),
    portsConfig,
  ];
  if (process.env.VMPORTAL_API_TOKEN && appRoot === repoRoot) {
    // The file names the variable, never the token itself.
    configFiles.push(join(repoRoot, 'app-config.api-token.yaml'));
  }
  const configArgs = configFiles.flatMap(file => ['--config', file]);
  const cli = join(appRoot, 'node_modules', '.bin', 'backstage-cli');
  const env = {
    ...process.env,
    NODE_OPTIONS: '--no-node-snapshot',
    FORCE_COLOR: '0',
  };

  options.log(
    withApp
      ? `starting backend on ${backendUrl} and app on ${appUrl}`
      : `starting backend on ${backendUrl}`,
  );
  const t = Date.now();
  options.group.start(cli, ['package', 'start', ...configArgs], {
    name: 'backend',
    cwd: join(appRoot, 'packages', 'backend'),
    env: { ...env, ...options.backendEnv },
    logFile: options.verbose
      ? undefined
      : join(options.stateDir, 'logs', 'backend.log'),
  });
  if (withApp) {
    options.group.start(cli, ['package', 'start', ...configArgs], {
      name: 'app',
      cwd: join(appRoot, 'packages', 'app'),
      env: { ...env, BROWSER: 'none' },
      logFile: options.verbose
        ? undefined
        : join(options.stateDir, 'logs', 'app.log'),
    });
  }
  await Promise.all([
    waitForHttp(`${backendUrl}/.backstage/health/v1/readiness`, 300_000).then(
      () =>
        options.log(
          `backend ready in ${((Date.now() - t) / 1000).toFixed(1)}s`,
        ),
    ),
    withApp &&
      waitForHttp(appUrl, 600_000).then(() =>
        options.log(`app ready in ${((Date.now() - t) / 1000).toFixed(1)}s`),
      ),
  ]);
  return { appUrl, backendUrl };
}
