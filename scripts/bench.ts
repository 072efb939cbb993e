// `npm run bench -- <command> [flags]`: the benchmarks of @vmportal/bench (see
// docs/benchmarks.md). Each run stops by itself, prints one JSON object as its last
// line and writes it to bench/results/.
import { DemoPortalLauncher, runBench } from '@vmportal/bench';
import { ProcessGroup } from './lib/ProcessGroup';
import { startDemoPortal } from './lib/startDemoPortal';
import { DEMO_GITOPS_REPO } from './lib/startDemoEnvironment';

/** The README's demo (clusters, demo git server, backend) for `first-vm`. */
const demoPortal: DemoPortalLauncher = async ({ stateDir, log }) => {
  const group = new ProcessGroup();
  try {
    const { demo, portal } = await startDemoPortal({
      group,
      stateDir,
      backendPort: 27007,
      withApp: false,
      log,
    });
    return {
      backendUrl: portal.backendUrl,
      git: { apiBaseUrl: demo.git.apiBaseUrl, token: demo.git.token },
      repo: DEMO_GITOPS_REPO,
      kubeDir: demo.kubeDir,
      stop: () => group.stop(),
    };
  } catch (error) {
    await group.stop();
    throw error;
  }
};

runBench(process.argv.slice(2), { demoPortal }).then(
  code => process.exit(code),
  error => {
    process.stderr.write(
      `npm run bench failed: ${error instanceof Error ? error.stack : error}\n`,
    );
    process.exit(1);
  },
);
