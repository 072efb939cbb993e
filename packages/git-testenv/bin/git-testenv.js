#!/usr/bin/env node
// Runs the TypeScript sources directly: this package is private and never built.
require('tsx/cjs');

require('../src/cli.ts')
  .runCli(process.argv.slice(2))
  .then(code => {
    process.exitCode = code;
  });
