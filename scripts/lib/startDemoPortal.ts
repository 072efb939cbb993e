import { DemoEnvironment, startDemoEnvironment } from './startDemoEnvironment';
import { Portal, PortalOptions, startPortal } from './startPortal';

/**
 * The README's demo: local clusters, demo git server and the portal pointed at them
 * (`npm start`, the end-to-end tests and `npm run bench -- first-vm`).
 */
export async function startDemoPortal(
  options: Omit<PortalOptions, 'configFiles' | 'backendEnv'>,
): Promise<{ demo: DemoEnvironment; portal: Portal }> {
  const { stateDir, group, log } = options;
  const demo = await startDemoEnvironment({ stateDir, group, log });
  const portal = await startPortal({
    ...options,
    configFiles: demo.configFiles,
    backendEnv: demo.backendEnv,
  });
  return { demo, portal };
}
