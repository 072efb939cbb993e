import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const chromiumPath =
  process.env.VMPORTAL_CHROMIUM ?? '/usr/bin/chromium';

/**
 * The end-to-end tests drive Debian's chromium. Installs it with apt-get when it is
 * missing and we are root; otherwise fails with what to do (never skips).
 */
export async function ensureChromium(
  log: (line: string) => void,
): Promise<void> {
  if (existsSync(chromiumPath)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${chromiumPath} is missing: install Debian's chromium (sudo apt-get install -y chromium) or set VMPORTAL_CHROMIUM`,
    );
  }
  const t = Date.now();
  log('installing chromium with apt-get (once)');
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', 'chromium'],
  ]) {
    const result = spawnSync('apt-get', args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0)
      throw new Error(`apt-get ${args.join(' ')} failed`);
  }
  if (!existsSync(chromiumPath))
    throw new Error(`apt-get did not install ${chromiumPath}`);
  log(`chromium installed in ${((Date.now() - t) / 1000).toFixed(1)}s`);
}
