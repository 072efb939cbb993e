// `npm run bench -- <command> [flags]`: the benchmarks of @vmportal/bench (see
// docs/benchmarks.md). Each run stops by itself, prints one JSON object as its last
// line and writes it to bench/results/.
import { runBench } from '@vmportal/bench';

runBench(process.argv.slice(2)).then(
  code => process.exit(code),
  error => {
    process.stderr.write(
      `npm run bench failed: ${error instanceof Error ? error.stack : error}\n`,
    );
    process.exit(1);
  },
);
