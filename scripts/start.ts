// `npm start`: the local control plane with demo clusters and VMs, the demo git server,
// and the portal (SQLite in memory); prints `Portal ready: <url>` when all answer.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ProcessGroup } from './lib/ProcessGroup';
import { startDemoPortal } from './lib/startDemoPortal';
import { repoRoot } from './lib/startPortal';

async function main(group: ProcessGroup) {
  const startedAt = Date.now();
  const log = (line: string) =>
    process.stdout.write(
      `[vmportal ${((Date.now() - startedAt) / 1000)
        .toFixed(1)
        .padStart(6)}s] ${line}\n`,
    );
  const stateDir = resolve(
    process.env.VMPORTAL_STATE_DIR ?? join(repoRoot, '.vmportal'),
  );
  mkdirSync(stateDir, { recursive: true });

  const { portal } = await startDemoPortal({
    group,
    stateDir,
    log,
    verbose: process.env.VMPORTAL_VERBOSE === '1',
    appPort: Number(process.env.VMPORTAL_APP_PORT ?? 3000),
    backendPort: Number(process.env.VMPORTAL_BACKEND_PORT ?? 7007),
  });
  log(`logs: ${join(stateDir, 'logs')}`);
  process.stdout.write(`Portal ready: ${portal.appUrl}\n`);
}

const group = new ProcessGroup();
main(group).catch(async error => {
  process.stderr.write(
    `npm start failed: ${error instanceof Error ? error.stack : error}\n`,
  );
  await group.stop();
  process.exit(1);
});
