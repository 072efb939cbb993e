import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../ControlPlane';

/**
 * Jest global setup: makes a control plane available to the tests through
 * `KUBE_TESTENV_DIR`. `npm test` starts one for the whole run and sets the variable;
 * a package tested on its own starts its own here (two clusters, simulator on).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.KUBE_TESTENV_DIR) return;
  const dir = mkdtempSync(join(tmpdir(), 'kube-testenv-'));
  await startControlPlane({
    dir,
    clusters: 2,
    log: line => process.stderr.write(`[kube-testenv] ${line}\n`),
  });
  process.env.KUBE_TESTENV_DIR = dir;
  process.env.KUBE_TESTENV_OWNED = '1';
}
