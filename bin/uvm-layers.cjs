#!/usr/bin/env node
'use strict';
// The CLI is bundled by `npm run build` (scripts/build-cli.mjs) into dist/cli.cjs.
try {
  require('../dist/cli.cjs');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.cjs')) {
    process.stderr.write('uvm-layers: not built yet; run `npm ci && npm run build` first\n');
    process.exitCode = 1;
  } else {
    throw error;
  }
}
