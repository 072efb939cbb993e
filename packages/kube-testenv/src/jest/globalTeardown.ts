import { rmSync } from 'node:fs';
import { stopControlPlane } from '../ControlPlane';

/** Stops the control plane that {@link globalSetup} started (not a shared one). */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env.KUBE_TESTENV_DIR;
  if (!dir || process.env.KUBE_TESTENV_OWNED !== '1') return;
  await stopControlPlane(dir);
  rmSync(dir, { recursive: true, force: true });
}
