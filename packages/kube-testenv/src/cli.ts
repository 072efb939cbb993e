import { parseArgs } from 'node:util';
import { ensureBinaries } from './binaries';
import {
  readClusters,
  startControlPlane,
  stopControlPlane,
} from './ControlPlane';
import { seedDemo } from './seed/seedDemo';
import { runSimulator } from './simulator/runSimulator';

const usage = `Usage:
  kube-testenv up --dir DIR [--clusters N | --names a,b] [--seed demo] [--no-simulator]
      start the clusters, write DIR/clusters.json, return once every apiserver is ready
  kube-testenv down --dir DIR      stop what 'up' started in DIR (data is kept)
  kube-testenv build               build the control-plane binaries into the cache
  kube-testenv simulate --dir DIR  run the KubeVirt simulator in the foreground`;

function log(line: string) {
  process.stderr.write(`[kube-testenv] ${line}\n`);
}

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      clusters: { type: 'string' },
      names: { type: 'string' },
      seed: { type: 'string' },
      'no-simulator': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const dir = values.dir;
  const needDir = () => {
    if (!dir) throw new Error(`${command} needs --dir DIR`);
    return dir;
  };
  switch (command) {
    case 'build':
      await ensureBinaries({ log });
      return;
    case 'up': {
      const count = values.clusters ? Number(values.clusters) : 1;
      if (!Number.isInteger(count) || count < 1 || count > 10) {
        throw new Error(
          `--clusters must be a whole number from 1 to 10, got '${values.clusters}'`,
        );
      }
      const plane = await startControlPlane({
        dir: needDir(),
        clusters: values.names ? values.names.split(',') : count,
        simulator: !values['no-simulator'],
        log,
      });
      if (values.seed === 'demo') await seedDemo(plane.clusters, log);
      else if (values.seed)
        throw new Error(`--seed knows only 'demo', got '${values.seed}'`);
      process.stdout.write(
        `${JSON.stringify(
          plane.clusters.map(c => ({ name: c.name, url: c.url })),
        )}\n`,
      );
      return;
    }
    case 'down':
      await stopControlPlane(needDir());
      return;
    case 'simulate': {
      const simulator = await runSimulator({
        clusters: readClusters(needDir()),
        log,
      });
      const stop = () => void simulator.stop().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      return;
    }
    default:
      throw new Error(`unknown command '${command}'\n${usage}`);
  }
}

main(process.argv.slice(2)).catch(error => {
  process.stderr.write(
    `kube-testenv: ${error instanceof Error ? error.message : error}\n`,
  );
  process.exit(1);
});
