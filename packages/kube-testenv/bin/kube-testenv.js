#!/usr/bin/env node
// On Node older than 22 (a fresh machine's 20), re-runs itself under the bootstrap's
// Node 22, installing it into the cache once: @kubernetes/client-node needs it.
// This runs on whatever Node the machine has, before any workspace resolution: a
// relative require of the one helper the bootstrap also uses.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
require('../../../scripts/lib/node22.cjs').requireNode22(__filename);
// Runs the TypeScript CLI through tsx, so no build step is needed.
require('tsx/cjs');
require('../src/cli.ts');
